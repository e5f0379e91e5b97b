/**
 * `npm run bench`: speed and memory, JSON to stdout and to bench-results/<timestamp>.json.
 * Not a test: nothing here passes or fails; the goals are reported beside the measurements.
 *   npm run bench                 Node (WASM, CPU) + the extension's service worker in Chromium
 *   npm run bench -- --node-only  skip the browser
 *   npm run bench -- --runs 30    warm runs per measurement (default 20)
 *   npm run bench -- --only features [--feature-steps 0.25]
 *                                 only issue 9's four "images from features" timings (Node WASM,
 *                                 bench/features.ts), optionally at a fraction of their steps
 *                                 (ms/step measured, totals extrapolated and flagged)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { loadSimdKernelsNode } from '../src/engine/kernels/assemble-node.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { featureGoals } from './features.js';

const { values } = parseArgs({
  options: {
    'node-only': { type: 'boolean', default: false },
    runs: { type: 'string', default: '20' },
    only: { type: 'string' },
    'feature-steps': { type: 'string', default: '1' },
  },
});
if (values.only !== undefined && values.only !== 'features') throw new Error(`--only takes "features"`);
const runs = Number(values.runs);
const root = projectRoot();
const outDir = join(root, 'build', 'bench');
mkdirSync(outDir, { recursive: true });
// The bundles read build/kernels but cannot see the generator sources from build/bench, so they
// would take stale kernels as fresh: bring them up to date here, where the sources resolve.
for (const build of ['simd128', 'relaxed-simd'] as const) await loadSimdKernelsNode(build);
const bundle = join(outDir, 'node-bench.cjs');
const methodsBundle = join(outDir, 'methods-bench.cjs');
for (const [entry, outfile] of [
  ['node.ts', bundle],
  ['methods.ts', methodsBundle],
] as const)
  await esbuild.build({
    entryPoints: [join(root, 'bench', entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    mainFields: ['module', 'main'], // ESM tfjs-core: one instance, with its gradient registry for tf.grad
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
    external: ['jpeg-js', 'pngjs'],
    logLevel: 'warning',
  });

function methodsBench(backend: 'wasm' | 'cpu', extra: string[] = []) {
  const args = [methodsBundle, backend, '--feature-steps', values['feature-steps']!, ...extra];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function nodeBench(backend: 'wasm' | 'cpu', n: number) {
  const out = execFileSync(process.execPath, [bundle, backend, String(n), backend === 'cpu' ? '1' : '3'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const git = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const machine = {
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  node: process.version,
  loadAverage: os.loadavg().map((v) => Number(v.toFixed(2))),
};
function writeReport(report: { date: string }) {
  const file = join(root, 'bench-results', `bench-${report.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`bench: wrote ${file}\n`);
}

if (values.only === 'features') {
  process.stderr.write('bench: images from features on Node WASM…\n');
  const methods = methodsBench('wasm', ['--features-only']);
  let browser: unknown = { skipped: '--node-only' };
  if (!values['node-only']) {
    process.stderr.write('bench: images from features in the extension service worker…\n');
    try {
      const { benchBrowser } = await import('./browser.js');
      browser = await benchBrowser({ only: 'features', featureSteps: Number(values['feature-steps']) });
    } catch (error) {
      browser = { error: (error as Error).message };
    }
  }
  const loadAfter = os.loadavg().map((v) => Number(v.toFixed(2)));
  const date = new Date().toISOString();
  writeReport({
    date,
    git,
    machine: { ...machine, loadAverageAfter: loadAfter },
    goals: {
      nodeWasm: featureGoals(methods.imagesFromFeatures),
      extensionWorker: featureGoals(
        (browser as { imagesFromFeatures?: { timings?: Parameters<typeof featureGoals>[0] } }).imagesFromFeatures
          ?.timings,
      ),
    },
    methods: { wasm: methods },
    browser,
  } as { date: string });
  process.exit(0);
}

process.stderr.write('bench: Node WASM…\n');
const wasm = nodeBench('wasm', runs);
process.stderr.write('bench: Node CPU (few runs: ~35× slower)…\n');
const cpu = nodeBench('cpu', Math.min(runs, 5));
process.stderr.write('bench: methods on Node WASM…\n');
const methodsWasm = methodsBench('wasm');
process.stderr.write('bench: methods on Node CPU (a reduced set)…\n');
const methodsCpu = methodsBench('cpu');
let browser: unknown = { skipped: '--node-only' };
if (!values['node-only']) {
  process.stderr.write('bench: extension service worker in Chromium…\n');
  try {
    const { benchBrowser } = await import('./browser.js');
    browser = await benchBrowser({ runs });
  } catch (error) {
    browser = { error: (error as Error).message };
  }
}

/** Issue 11's click goals: warm click → answer p50 ≤ 120 ms, cold ≤ 500 ms, saliency map ≤ 250 ms warm. */
function latencyGoals(result: unknown) {
  const l = (result as { latency?: Record<string, { p50Ms: number; p50WithWorkerStartMs?: number }> }).latency;
  const goal = (goalMs: number, p50?: number) => ({
    goalMs,
    p50Ms: p50 ?? null,
    met: p50 === undefined ? null : p50 <= goalMs,
  });
  return {
    clickWarmP50: goal(120, l?.classifyWarm?.p50Ms),
    clickColdP50: goal(500, l?.classifyCold?.p50WithWorkerStartMs),
    saliencyWarmP50: goal(250, l?.saliencyWarm?.p50Ms),
  };
}

const find = (
  r: { results: { kind: string; batch: number; ours: { median: number }; stock: { median: number } }[] },
  kind: string,
  batch: number,
) => r.results.find((x) => x.kind === kind && x.batch === batch)!;
const fwd = find(wasm, 'forward', 1);
const grad = find(wasm, 'gradient', 1);
const goals = {
  forwardWasmBatch1: {
    goalMs: 25,
    oursMedianMs: fwd.ours.median,
    stockMedianMs: fwd.stock.median,
    met: fwd.ours.median <= 25,
  },
  inputGradientWasmBatch1: {
    goalMs: 75,
    goalRatioToForward: 3,
    oursMedianMs: grad.ours.median,
    ratioToOurForward: Number((grad.ours.median / fwd.ours.median).toFixed(2)),
    stockMedianMs: grad.stock.median,
    met: grad.ours.median <= 75 && grad.ours.median <= 3 * fwd.ours.median,
  },
  // issue 11 §2, as ratios within this run
  forwardVsStockWasm: {
    goalRatio: 2,
    ratio: Number((fwd.stock.median / fwd.ours.median).toFixed(2)),
    met: fwd.stock.median / fwd.ours.median >= 2,
  },
  inputGradientVsForward: {
    goalRatio: 1.8,
    ratio: Number((grad.ours.median / fwd.ours.median).toFixed(2)),
    met: grad.ours.median / fwd.ours.median <= 1.8,
  },
  ...latencyGoals(browser),
  imagesFromFeaturesNodeWasm: featureGoals(methodsWasm.imagesFromFeatures),
  imagesFromFeaturesWorker: featureGoals(
    (browser as { methods?: { imagesFromFeatures?: { timings?: Parameters<typeof featureGoals>[0] } } }).methods
      ?.imagesFromFeatures?.timings,
  ),
  coldStartServiceWorker: (() => {
    const cold = (browser as { coldStart?: { swScriptToResultMs?: { median: number } } }).coldStart?.swScriptToResultMs
      ?.median;
    return { goalMs: 600, medianMs: cold ?? null, met: cold === undefined ? null : cold <= 600 };
  })(),
};
const report = {
  date: new Date().toISOString(),
  git,
  machine,
  goals,
  node: { wasm, cpu },
  methods: { wasm: methodsWasm, cpu: methodsCpu, browserWorker: 'see browser.methods' },
  browser,
};
writeReport(report);

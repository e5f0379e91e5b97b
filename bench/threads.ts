/**
 * Issue 11 §2, "Threads": would a 2-thread engine in a cross-origin-isolated extension page beat
 * the product's 1-thread engine in the service worker, end to end? `npx tsx bench/threads.ts
 * [--runs 20] [--rounds 2]` (not part of `npm run bench`; JSON on stdout and in bench-results/).
 *
 * It makes dist/threads-bench: the test build plus the manifest keys that make extension pages
 * cross-origin isolated (cross_origin_embedder_policy require-corp, cross_origin_opener_policy
 * same-origin — SharedArrayBuffer and TF.js's threaded WASM build), a page (bench/threads/page.ts)
 * and our SIMD kernels assembled a second time with a shared memory import (the threaded build's
 * memory is shared; the product's module cannot link to it). For each configuration, interleaved
 * over `rounds`, the page loads the engine and times forward and forward + input gradient on the
 * golf-ball photo (median of `runs`). The hop a page engine adds — the worker sending the page a
 * 224×224×3 input as an extension message and getting 1000 logits back — is timed from the
 * service worker.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import esbuild from 'esbuild';
import { ensureBuilt, ROOT } from '../esbuild.config.js';
import { simdKernelsWat } from '../src/engine/kernels/simd-wat.js';
import { launchExtension } from '../test/helpers/browser.js';
import { photos } from '../test/helpers/data.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, rounds: { type: 'string', default: '2' } },
});
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const OUT = join(ROOT, 'dist', 'threads-bench');

async function sharedKernels(): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  // Same kernels; the memory import declared shared (a shared import needs a maximum: 4 GiB).
  const wat = simdKernelsWat().replace(
    '(import "env" "memory" (memory 0))',
    '(import "env" "memory" (memory 0 65536 shared))',
  );
  if (!wat.includes('shared')) throw new Error('simd-wat.ts: the memory import was not found');
  const features = { simd: true, bulk_memory: true, threads: true };
  const module = wabt.parseWat('simd-kernels-shared.wat', wat, features);
  try {
    // (wabt's types omit validate's features argument; without it the shared memory is refused)
    (module as unknown as { validate(f: object): void }).validate(features);
    return new Uint8Array(module.toBinary({ log: false }).buffer);
  } finally {
    module.destroy();
  }
}

async function makeBuild(): Promise<void> {
  const test = await ensureBuilt({ variant: 'test', log: (m) => console.error(`[build] ${m}`) });
  await rm(OUT, { recursive: true, force: true });
  await cp(test, OUT, { recursive: true });
  const manifest = JSON.parse(await readFile(join(OUT, 'manifest.json'), 'utf8'));
  manifest.cross_origin_embedder_policy = { value: 'require-corp' };
  manifest.cross_origin_opener_policy = { value: 'same-origin' };
  await writeFile(join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(join(OUT, 'kernels', 'simd-kernels-shared.wasm'), await sharedKernels());
  await cp(
    join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'),
    join(OUT, 'tfjs-threaded-main.js'),
  );
  const workerModule = join(
    ROOT,
    'node_modules',
    '@tensorflow',
    'tfjs-backend-wasm',
    'wasm-out',
    'tfjs-backend-wasm-threaded-simd.worker.js',
  );
  const { wasmWorkerContents } = createRequire(import.meta.url)(workerModule) as { wasmWorkerContents: string };
  // As TF.js does before making its blob: the string holds raw newlines inside string literals.
  await writeFile(join(OUT, 'tfjs-threaded-worker.js'), wasmWorkerContents.replace(/\n/g, '\\n'));
  const golf = photos().find((p) => p.file.includes('golf_ball'))!;
  await cp(golf.path, join(OUT, 'bench-photo.jpg'));
  await writeFile(
    join(OUT, 'threads.html'),
    '<!doctype html><meta charset="utf-8"><script src="threads.js"></script>\n',
  );
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'bench', 'threads', 'page.ts')],
    outfile: join(OUT, 'threads.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await makeBuild();
const ext = await launchExtension({ dir: OUT, webgpu: false });
const configs = [
  { threads: 0, kernels: 1 }, // the product's configuration
  { threads: 0, kernels: 0 },
  { threads: 1, kernels: 1 },
  { threads: 2, kernels: 0 },
  { threads: 2, kernels: 1 },
];
const results: Record<string, { forwardMs: number[]; gradientMs: number[]; detail: unknown[] }> = {};
let hopMs: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const c of configs) {
      const key = `threads${c.threads}-kernels${c.kernels}`;
      const page = await ext.context.newPage();
      await page.goto(
        `chrome-extension://${ext.extensionId}/threads.html?threads=${c.threads}&kernels=${c.kernels}&runs=${runs}`,
      );
      await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, {
        timeout: 300_000,
      });
      const r = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as {
        error?: string;
        forwardMedianMs: number;
        gradientMedianMs: number;
      };
      console.error(key, JSON.stringify(r.error ?? { forward: r.forwardMedianMs, gradient: r.gradientMedianMs }));
      const entry = (results[key] ??= { forwardMs: [], gradientMs: [], detail: [] });
      if (!r.error) {
        entry.forwardMs.push(r.forwardMedianMs);
        entry.gradientMs.push(r.gradientMedianMs);
      }
      entry.detail.push(r);
      if (round === rounds - 1 && c === configs[configs.length - 1]) {
        // The hop, while this page is open: worker → page message with a 224×224×3 input, logits back.
        hopMs = await ext.sw.evaluate(async (n: number) => {
          const input = Array.from({ length: 224 * 224 * 3 }, (_, i) => i % 256);
          const times: number[] = [];
          for (let i = 0; i < n + 3; i++) {
            const t = performance.now();
            await chrome.runtime.sendMessage({ type: 'threads-bench/echo', input });
            if (i >= 3) times.push(performance.now() - t);
          }
          return times;
        }, runs);
      }
      await page.close();
    }
  }
} finally {
  await ext.close();
}
const report = {
  date: new Date().toISOString(),
  runs,
  rounds,
  load: (await import('node:os')).loadavg(),
  configs: Object.fromEntries(
    Object.entries(results).map(([k, v]) => [
      k,
      {
        forwardMedianMs: median(v.forwardMs),
        gradientMedianMs: median(v.gradientMs),
        perRound: v,
        errors: v.detail.filter((d) => (d as { error?: string }).error),
      },
    ]),
  ),
  hop: { medianMs: median(hopMs), ms: hopMs },
};
await mkdir(join(ROOT, 'bench-results'), { recursive: true });
await writeFile(
  join(ROOT, 'bench-results', `threads-${report.date.replace(/[:.]/g, '-')}.json`),
  JSON.stringify(report, null, 2),
);
process.stdout.write(
  `${JSON.stringify({ ...report, configs: Object.fromEntries(Object.entries(report.configs).map(([k, v]) => [k, { forward: v.forwardMedianMs, gradient: v.gradientMedianMs, errors: v.errors.length }])) }, null, 2)}\n`,
);

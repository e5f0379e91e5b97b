/**
 * `npm run agreement`: does the command line give the extension's answer, and do both give the
 * independent float64 reference's? Not a test (nothing passes or fails): it prints one JSON report
 * and writes it to bench-results/agreement-<time>.json.
 *
 * For every image of the held-out-style set (./photo-set.ts, made in a temporary folder):
 *   cli        the CLI's decode (src/cli/shared.ts readImage) + preprocess + the Node engine (WASM);
 *              and the real command, `node bin/squeezelens.mjs classify --json --jobs 1 DIR`, whose
 *              top-5 must be the in-process one (checked, reported);
 *   extension  the extension's image path in its service worker in Chromium (test build's hook
 *              `inspectUrl`: fetch from a local HTTP server → createImageBitmap decode → preprocess →
 *              engine with the worker's default options);
 *   oracle     test/helpers/reference-forward.ts (plain float64 loops, no TF.js) on the exact input
 *              the extension's engine saw, i.e. on the pixels Chromium decoded;
 *   pixels     whether the CLI's decoded RGBA equals Chromium's byte for byte (SHA-256 of both).
 *
 *   npm run agreement                       everything (the oracle takes ~1.2 s of CPU an image)
 *   npm run agreement -- --oracle-every 4   the oracle on every 4th image only (stated in the report)
 *   npm run agreement -- --keep DIR         write the photo set to DIR (created) and keep it
 *   npm run agreement -- --sources 2        only the first 2 source photos and their variants (a quick look)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { readImage } from '../../src/cli/shared.js';
import { projectRoot } from '../../src/engine/model-data-node.js';
import { loadEngineNode } from '../../src/engine/node.js';
import { loadWeightsNode } from '../../src/engine/node-weights.js';
import { preprocess } from '../../src/engine/preprocess.js';
import { disposeResult } from '../../src/engine/squeezenet.js';
import { callHook, fromBase64, launchExtension } from '../../test/helpers/browser.js';
import { referenceForward } from '../../test/helpers/reference-forward.js';
import { buildPhotoSet, type SetEntry, VARIANTS } from './photo-set.js';
import { answerOf, type Compared, summarize } from './summary.js';

const { values } = parseArgs({
  options: {
    'oracle-every': { type: 'string', default: '1' },
    keep: { type: 'string' },
    sources: { type: 'string' },
  },
});
const oracleEvery = Math.max(1, Number(values['oracle-every']));
const log = (m: string) => process.stderr.write(`agreement: ${m}\n`);
const root = projectRoot();
const started = Date.now();

const dir = values.keep ?? mkdtempSync(join(os.tmpdir(), 'squeezelens-agreement-'));
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true });
const set = await buildPhotoSet(dir, log, values.sources ? Number(values.sources) : Infinity);
const entries = set.entries;

type Row = SetEntry & Compared;
const rows: Row[] = entries.map((e) => ({ ...e }));

// 1. The CLI's path, in this process.
const engine = await loadEngineNode({ backend: 'wasm' });
for (const [i, row] of rows.entries()) {
  try {
    const rgba = await readImage(join(dir, row.file));
    const { input } = preprocess(rgba, 'crop');
    const result = engine.model.run(tf.tensor4d(input, [1, 224, 224, 3]));
    const logits = Float64Array.from(await result.logits.data());
    disposeResult(result);
    row.cli = {
      ...answerOf(logits),
      rgbaSha256: createHash('sha256').update(rgba.data).digest('hex'),
      size: [rgba.width, rgba.height],
      input,
    };
  } catch (error) {
    row.error = `cli: ${(error as Error).message}`;
  }
  if (i % 50 === 49) log(`cli: ${i + 1}/${rows.length}`);
}
tf.disposeVariables();

// 2. The real command over the folder (its own process, its own engine).
log('the squeezelens command over the folder…');
const lines = execFileSync(
  process.execPath,
  [join(root, 'bin', 'squeezelens.mjs'), 'classify', '--json', '--jobs', '1', dir],
  {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  },
)
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { file: string; top5?: { index: number }[] });
for (const l of lines) {
  const row = rows.find((r) => r.file === l.file.split('/').pop());
  if (row && l.top5) row.cliCommand = l.top5.map((t) => t.index);
}

// 3. The extension's path in Chromium, files served by a local HTTP server.
const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
};
const server = createServer((req, res) => {
  const name = decodeURIComponent((req.url ?? '/').slice(1));
  if (!entries.some((e) => e.file === name)) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': TYPES[name.split('.').pop()!] ?? 'application/octet-stream' });
  res.end(readFileSync(join(dir, name)));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const ext = await launchExtension();
let extensionBackend = '';
try {
  for (const [i, row] of rows.entries()) {
    try {
      const r = await callHook(ext.sw, 'inspectUrl', { url: `${base}/${encodeURIComponent(row.file)}` });
      extensionBackend = r.backend.backend;
      row.extension = {
        ...answerOf(Float64Array.from(r.logits)),
        rgbaSha256: r.rgbaSha256,
        size: [r.image.width, r.image.height],
        originalSize: [r.image.originalWidth, r.image.originalHeight],
      };
      row.extensionInput = fromBase64(r.input);
    } catch (error) {
      row.error = `${row.error ?? ''} extension: ${(error as Error).message.split('\n')[0]}`.trim();
    }
    if (i % 50 === 49) log(`extension: ${i + 1}/${rows.length}`);
  }
} finally {
  await ext.close();
  server.close();
}

// 4. The float64 oracle on the extension's input.
const weights = await loadWeightsNode(engine.data);
const oracleRows = rows.filter((r, i) => r.extensionInput && i % oracleEvery === 0);
const oracleStart = performance.now();
for (const [i, row] of oracleRows.entries()) {
  row.oracle = answerOf(referenceForward(weights, row.extensionInput!).logits);
  if (i % 25 === 24) log(`oracle: ${i + 1}/${oracleRows.length}`);
}
const oracleSeconds = (performance.now() - oracleStart) / 1000;

const report = {
  what: 'top-1 agreement: the CLI, the extension (Chromium service worker) and a float64 reference',
  date: new Date().toISOString(),
  git: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(),
  set: {
    images: rows.length,
    testPhotos: 12,
    wallpaperPhotos: set.wallpapersFound,
    wallpapersMissing: set.wallpapersMissing,
    variantsPerPhoto: VARIANTS,
    kinds: countBy(rows.map((r) => r.kind)),
    folder: values.keep ?? '(temporary, removed)',
  },
  extensionBackend,
  oracle: {
    images: oracleRows.length,
    every: oracleEvery,
    secondsPerImage: Number((oracleSeconds / Math.max(1, oracleRows.length)).toFixed(2)),
  },
  ...summarize(rows, engine.labels),
  seconds: Math.round((Date.now() - started) / 1000),
};
const outDir = join(root, 'bench-results');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, `agreement-${report.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
log(`written to ${out}`);
if (!values.keep) rmSync(dir, { recursive: true, force: true });

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

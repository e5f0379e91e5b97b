/**
 * A fire module's backward (output gradient → squeeze gradient) at fire8/9's shape by default (13×13,
 * 2 × 256 expand channels → 64 squeeze channels, batch 1): our zero-skipping kernel vs the dense path
 * (reluMaskSplit, XNNPACK 1×1, Winograd AddMask), interleaved, at several kept fractions of the
 * output gradient. Decides SPARSE_FIRE_MAX_KEPT in src/engine/kernels/fire-backward.ts.
 *   npx tsx bench/fire-backward.ts [--runs 40] [--size 13] [--e 256] [--s 64]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { fireBackwardSparse } from '../src/engine/kernels/fire-backward.js';
import { reluMaskSplit } from '../src/engine/kernels/ops.js';
import { Conv3x3 } from '../src/engine/kernels/winograd.js';
import { loadEngineNode } from '../src/engine/node.js';
import { stats } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    size: { type: 'string', default: '13' },
    e: { type: 'string', default: '256' },
    s: { type: 'string', default: '64' },
  },
});
const runs = Number(values.runs);
const size = Number(values.size);

async function main(): Promise<void> {
  const engine = await loadEngineNode({ backend: 'wasm' });
  const [e, s] = [Number(values.e), Number(values.s)];
  const rand = (n: number, zeros = 0) =>
    Float32Array.from({ length: n }, () => (Math.random() < zeros ? 0 : Math.random() - 0.5));
  const w3data = rand(9 * e * s);
  const conv = new Conv3x3(w3data, e, s);
  const w3 = tf.tensor4d(w3data, [3, 3, e, s]);
  const w1 = tf.tensor4d(rand(e * s), [1, 1, e, s]);
  const sq = tf.relu(tf.tensor4d(rand(size * size * s), [1, size, size, s])) as tf.Tensor4D;
  const results = [];
  for (const kept of [0.05, 0.1, 0.2, 0.3, 0.5]) {
    // y > 0 on half the entries, d nonzero on 2·kept of them: kept·(all) survive the mask
    const y = tf.tensor4d(
      rand(size * size * 2 * e).map((v) => (Math.random() < 0.5 ? Math.abs(v) + 0.01 : 0)),
      [1, size, size, 2 * e],
    );
    const d = tf.tensor4d(rand(size * size * 2 * e, 1 - 2 * kept), [1, size, size, 2 * e]);
    const dense = () => {
      const [d1, d3] = reluMaskSplit(d, y);
      const addend = tf.conv2d(d1, w1, 1, 'valid');
      const out = conv.applyAddMask(d3, w3, addend, sq);
      tf.dispose([d1, d3, addend]);
      return out;
    };
    const sparse = () => fireBackwardSparse(d, y, sq, w1, w3);
    const time = (f: () => tf.Tensor) => {
      const t0 = performance.now();
      const out = f();
      out.dataSync();
      const ms = performance.now() - t0;
      out.dispose();
      return ms;
    };
    for (let i = 0; i < 5; i++) time(i % 2 ? dense : sparse);
    const td: number[] = [];
    const ts: number[] = [];
    for (let i = 0; i < runs; i++) {
      td.push(time(dense));
      ts.push(time(sparse));
    }
    results.push({ kept, denseMs: stats(td), sparseMs: stats(ts) });
    tf.dispose([y, d]);
  }
  conv.dispose();
  tf.dispose([w3, w1, sq]);
  engine.model.dispose();
  for (const r of results)
    console.log(
      `kept ${r.kept}: dense ${r.denseMs.median} (min ${r.denseMs.min})  sparse ${r.sparseMs.median} (min ${r.sparseMs.min}) ms`,
    );
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});

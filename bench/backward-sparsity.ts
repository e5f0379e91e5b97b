/**
 * Would the zero-skipping 1×1 kernel (ops.ts conv1x1Sparse) speed up the backward pass's 1×1
 * convolutions? Their inputs are ReLU-masked gradients. For fire2, fire5 and fire9 on the
 * golf-ball photo: the expand-1×1 input gradient's input (a gradient masked by where the fire
 * output is > 0), timed through XNNPACK and through the sparse kernel, interleaved.
 *   npx tsx bench/backward-sparsity.ts [--runs 40]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage } from '../src/engine/decode-node.js';
import { conv1x1Sparse } from '../src/engine/kernels/ops.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { loadEngineNode } from '../src/engine/node.js';
import { preprocess } from '../src/engine/preprocess.js';
import { stats } from './stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' } } });
const runs = Number(values.runs);

async function main(): Promise<void> {
  const engine = await loadEngineNode({ backend: 'wasm' });
  const photo = join(projectRoot(), '..', 'shared', 'testdata', 'photos', 'kennysong_574_golf_ball.jpg');
  const x = tf.tensor4d(preprocess(decodeImage(readFileSync(photo), photo)).input, [1, 224, 224, 3]);
  const r = engine.model.run(x, { activations: ['fire2', 'fire5', 'fire9'] });
  const time = (fn: () => tf.Tensor) => {
    const t0 = performance.now();
    const o = tf.tidy(fn);
    o.dataSync();
    const ms = performance.now() - t0;
    o.dispose();
    return ms;
  };
  const results = [];
  for (const [name, s] of [
    ['fire2', 16],
    ['fire5', 32],
    ['fire9', 64],
  ] as const) {
    const act = r.activations[name]!;
    const e = act.shape[3] / 2;
    const half = tf.slice(act, [0, 0, 0, 0], [-1, -1, -1, e]);
    const d = tf.mul(tf.randomNormal(half.shape), tf.step(half)) as tf.Tensor4D;
    const zeros = 1 - tf.mean(tf.step(half)).dataSync()[0];
    const w = tf.randomNormal([1, 1, e, s]) as tf.Tensor4D;
    const b = tf.zeros([s]) as tf.Tensor1D;
    const xnn: number[] = [];
    const sparse: number[] = [];
    for (let i = 0; i < runs; i++) {
      xnn.push(time(() => tf.conv2d(d, w, 1, 'valid')));
      sparse.push(time(() => conv1x1Sparse(d, w, b)));
    }
    results.push({
      layer: name,
      cin: e,
      cout: s,
      zeros: Number(zeros.toFixed(2)),
      xnnpackMs: stats(xnn),
      sparseMs: stats(sparse),
    });
    tf.dispose([half, d, w, b]);
  }
  process.stdout.write(`${JSON.stringify({ runs, results }, null, 1)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});

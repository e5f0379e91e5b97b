/**
 * The whole model, batch 1, on the golf-ball photo, interleaved run by run: our forward and
 * forward + input gradient with the per-layer Winograd choice ('auto') and with XNNPACK only
 * ('never'), the gradient with conv0's stock phase-conv gradient instead of the sparse kernel,
 * and the stock TF.js forward (bench/stock-squeezenet.ts). A quick check of the
 * Winograd path between full `npm run bench` runs; one JSON object on stdout.
 *   npx tsx bench/winograd-model.ts [--runs 20]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage } from '../src/engine/decode-node.js';
import { loadSimdKernelsNode } from '../src/engine/kernels/assemble-node.js';
import { setSparseConv0Backward } from '../src/engine/kernels/conv0-backward.js';
import { kernelBuild, provideSimdKernels, relaxedSimdSupported } from '../src/engine/kernels/ops.js';
import { setWinogradMode } from '../src/engine/kernels/winograd.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { loadEngineNode } from '../src/engine/node.js';
import { loadWeightsNode } from '../src/engine/node-weights.js';
import { preprocess } from '../src/engine/preprocess.js';
import { classScore } from '../src/engine/scores.js';
import { stats } from './stats.js';
import { StockSqueezeNet } from './stock-squeezenet.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, relaxed: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);

async function main(): Promise<void> {
  const engine = await loadEngineNode({ backend: 'wasm' });
  const stock = new StockSqueezeNet(await loadWeightsNode(engine.data));
  const photo = join(projectRoot(), '..', 'shared', 'testdata', 'photos', 'kennysong_574_golf_ball.jpg');
  const x = tf.tensor4d(preprocess(decodeImage(readFileSync(photo), photo)).input, [1, 224, 224, 3]);
  const time = (fn: () => tf.Tensor) => {
    const t0 = performance.now();
    const out = fn();
    out.dataSync();
    const ms = performance.now() - t0;
    out.dispose();
    return ms;
  };
  // --relaxed: the relaxed-SIMD build as a third variant (Node 20: run with --experimental-wasm-relaxed-simd)
  const plain = await WebAssembly.compile(new Uint8Array(await loadSimdKernelsNode('simd128')));
  const relaxed = values.relaxed
    ? await WebAssembly.compile(new Uint8Array(await loadSimdKernelsNode('relaxed-simd')))
    : null;
  const ours =
    (m: 'auto' | 'never', gradient: boolean, build: 'simd128' | 'relaxed-simd' = 'simd128') =>
    () => {
      if (kernelBuild() !== build) provideSimdKernels(plain, build === 'relaxed-simd' ? relaxed : null);
      setWinogradMode(m);
      const score = classScore([574]);
      return time(() =>
        tf.tidy(() => (gradient ? engine.model.run(x, { score }).gradients.input! : engine.model.run(x).logits)),
      );
    };
  const cases: Record<string, () => number> = {
    forwardWinograd: ours('auto', false),
    forwardXnnpack: ours('never', false),
    forwardStock: () => time(() => tf.tidy(() => stock.logits(x))),
    gradientWinograd: ours('auto', true),
    gradientXnnpack: ours('never', true),
    // Winograd, but conv0's input gradient by the stock phase conv instead of the sparse scatter
    gradientPhaseConv0: () => {
      setSparseConv0Backward(false);
      const ms = ours('auto', true)();
      setSparseConv0Backward(true);
      return ms;
    },
    ...(relaxed && relaxedSimdSupported()
      ? { forwardRelaxed: ours('auto', false, 'relaxed-simd'), gradientRelaxed: ours('auto', true, 'relaxed-simd') }
      : {}),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const before = tf.memory().numTensors;
  for (let i = 0; i < runs + 3; i++)
    for (const [name, fn] of Object.entries(cases)) {
      const ms = fn();
      if (i >= 3) samples[name].push(ms);
    }
  setWinogradMode('auto');
  const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
  const med = (k: string) => s[k].median;
  process.stdout.write(
    `${JSON.stringify(
      {
        relaxedSimdSupported: relaxedSimdSupported(),
        runs,
        leakedTensors: tf.memory().numTensors - before,
        ms: s,
        forwardVsStock: {
          winograd: +(med('forwardStock') / med('forwardWinograd')).toFixed(2),
          xnnpack: +(med('forwardStock') / med('forwardXnnpack')).toFixed(2),
        },
        gradientVsForward: {
          winograd: +(med('gradientWinograd') / med('forwardWinograd')).toFixed(2),
          xnnpack: +(med('gradientXnnpack') / med('forwardXnnpack')).toFixed(2),
        },
      },
      null,
      1,
    )}\n`,
  );
  x.dispose();
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});

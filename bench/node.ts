/**
 * Node benchmark (bundled by bench/run.ts so that our engine and the stock comparison share one
 * tfjs-core with its gradient registry): forward and forward+input-gradient, batch 1 and 8, our
 * engine vs stock TF.js, interleaved run by run so both see the same machine conditions.
 * Prints one JSON object on stdout.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage } from '../src/engine/decode-node.js';
import { kernelBuild } from '../src/engine/kernels/ops.js';
import { setWinogradMode, type WinogradMode } from '../src/engine/kernels/winograd.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { loadEngineNode } from '../src/engine/node.js';
import { loadWeightsNode } from '../src/engine/node-weights.js';
import { preprocess } from '../src/engine/preprocess.js';
import { classScore } from '../src/engine/scores.js';
import { disposeResult } from '../src/engine/squeezenet.js';
import { stats } from './stats.js';
import { StockSqueezeNet } from './stock-squeezenet.js';

async function main(): Promise<void> {
  const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
  const runs = Number(process.argv[3] ?? 20);
  const warmup = Number(process.argv[4] ?? 3);
  // 'never' / 'always' override the per-layer Winograd choice (to compare the paths in one sitting)
  const winograd = (process.argv[5] ?? 'auto') as WinogradMode;
  setWinogradMode(winograd);
  const root = projectRoot();
  setWasmPaths(`${join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')}/`);

  const processStart = performance.now();
  const engine = await loadEngineNode({ backend });
  const photo = join(root, '..', 'shared', 'testdata', 'photos', 'kennysong_574_golf_ball.jpg');
  const single = preprocess(decodeImage(readFileSync(photo), photo)).input;
  {
    const first = engine.model.run(tf.tensor4d(single, [1, 224, 224, 3]));
    await first.logits.data();
    disposeResult(first);
  }
  const coldStartMs = performance.now() - processStart; // module loaded → weights → first logits
  const stock = new StockSqueezeNet(await loadWeightsNode(engine.data));

  function timeIt(fn: () => tf.Tensor): number {
    const t0 = performance.now();
    const out = fn();
    out.dataSync(); // include the download: the result is only useful once it is read
    const ms = performance.now() - t0;
    out.dispose();
    return ms;
  }

  const results: Record<string, unknown>[] = [];
  const stockRuns = backend === 'cpu' ? Math.min(runs, 5) : runs;
  for (const batch of [1, 8]) {
    const data = new Float32Array(batch * single.length);
    for (let i = 0; i < batch; i++) data.set(single, i * single.length);
    const x = tf.tensor4d(data, [batch, 224, 224, 3]);
    const classes = Array(batch).fill(574);
    const cases = {
      forward: {
        ours: () => timeIt(() => tf.tidy(() => engine.model.run(x).logits)),
        stock: () => timeIt(() => tf.tidy(() => stock.logits(x))),
      },
      gradient: {
        // the call the gradient methods make per sample (vanilla.ts pixelGradient): the score's class only
        ours: () =>
          timeIt(() =>
            tf.tidy(() => engine.model.run(x, { score: classScore(classes), heads: 'score' }).gradients.input!),
          ),
        stock: () => timeIt(() => tf.tidy(() => stock.inputGradient(x, 574))),
      },
    };
    for (const [kind, impl] of Object.entries(cases)) {
      const baseline = tf.memory().numTensors;
      for (let i = 0; i < warmup; i++) {
        impl.ours();
        impl.stock();
      }
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < runs; i++) {
        ours.push(impl.ours());
        if (i < stockRuns) theirs.push(impl.stock());
      }
      results.push({
        kind,
        batch,
        ours: stats(ours),
        stock: stats(theirs),
        speedup: Number((stats(theirs).median / stats(ours).median).toFixed(2)),
        leakedTensors: tf.memory().numTensors - baseline,
      });
    }
    x.dispose();
  }

  process.stdout.write(
    `${JSON.stringify({
      backend: engine.backend,
      tfjsVersion: tf.version_core,
      winograd,
      kernels: kernelBuild(), // 'simd128' or 'relaxed-simd' (null: no SIMD kernels, e.g. on CPU)
      coldStartMs: Number(coldStartMs.toFixed(1)),
      coldStartNote:
        'bench process: engine module loaded → model data verified → weights → backend init → first logits',
      results,
    })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`node bench failed: ${(error as Error).stack}\n`);
  process.exit(1);
});

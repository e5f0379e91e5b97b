/**
 * Methods benchmark (bundled and run by bench/run.ts, one process per backend): each saliency
 * method's time, time-to-fool with the CS231n method (median over the 12 test photos, seeded
 * random targets), class-visualization time per iteration, and issue 9's four timed methods
 * (bench/features.ts: style transfer, inversion, channel visualization, occlusion). JSON on stdout.
 *   node build/bench/methods-bench.cjs wasm|cpu [--features-only] [--feature-steps 0.25]
 * On CPU (~35× slower) only the fast methods, 3 photos and a few iterations are measured (and the
 * four "images from features" are skipped). `--features-only` measures only those four;
 * `--feature-steps s` runs s × their goal's steps and extrapolates (see bench/features.ts).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage } from '../src/engine/decode-node.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { loadEngineNode } from '../src/engine/node.js';
import { preprocess, preprocessWhole } from '../src/engine/preprocess.js';
import { cs231nAttack } from '../src/methods/attack/cs231n.js';
import { randomClass } from '../src/methods/attack/targets.js';
import { type PixelImage, pixelImage } from '../src/methods/common.js';
import { explain, type SaliencyMethodName } from '../src/methods/explain/index.js';
import { visualizeClass } from '../src/methods/visualize/class-visualization.js';
import { SYNTHESIS_SIZES } from '../src/shared/catalog.js';
import { benchFeatures } from './features.js';
import { stats } from './stats.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'features-only': { type: 'boolean', default: false },
      'feature-steps': { type: 'string', default: '1' },
      only: { type: 'string' },
    },
  });
  const backend = (positionals[0] ?? 'wasm') as 'wasm' | 'cpu';
  const cpu = backend === 'cpu';
  const root = projectRoot();
  setWasmPaths(`${join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')}/`);
  const engine = await loadEngineNode({ backend });
  const baselineTensors = tf.memory().numTensors; // the model's weights
  const dir = join(root, '..', 'shared', 'testdata', 'photos');
  const files = readdirSync(dir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  const images = files.map((f) => ({ file: f, ...preprocess(decodeImage(readFileSync(join(dir, f)), f)) }));
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const image = (name: string) => pixelImage(images.find((i) => i.file.includes(name))!.pixels);
  // The synthesis methods' view: the whole picture, smallest side 192 (catalog SYNTHESIS_SIZES).
  const whole = (name: string): PixelImage => {
    const f = files.find((file) => file.includes(name))!;
    const p = preprocessWhole(decodeImage(readFileSync(join(dir, f)), f), SYNTHESIS_SIZES.stylize.default);
    return { width: p.width, height: p.height, data: Float32Array.from(p.pixels) };
  };
  const features = async () =>
    benchFeatures(
      engine.model,
      {
        content: image('monarch'),
        style: image('church'),
        synthesis: { content: whole('monarch'), style: whole('church') },
      },
      {
        stepScale: Number(values['feature-steps']),
        only: values.only?.split(','),
        log: (m) => process.stderr.write(`bench[methods]: ${m}\n`),
      },
    );
  if (values['features-only']) {
    const imagesFromFeatures = await features();
    const leakedTensors = tf.memory().numTensors - baselineTensors;
    process.stdout.write(`${JSON.stringify({ backend: engine.backend, imagesFromFeatures, leakedTensors })}\n`);
    return;
  }

  const saliency: Record<string, unknown> = {};
  const methods: SaliencyMethodName[] = cpu
    ? ['vanilla', 'gradxinput', 'gradcam']
    : ['vanilla', 'gradxinput', 'gradcam', 'smoothgrad', 'ig'];
  for (const method of methods) {
    const slow = method === 'smoothgrad' || method === 'ig';
    const sample = images.slice(0, cpu ? 2 : slow ? 3 : 12);
    await explain(engine.model, pixelImage(sample[0].pixels), method); // warm-up
    const ms: number[] = [];
    for (const img of sample) ms.push(await time(() => explain(engine.model, pixelImage(img.pixels), method)));
    saliency[method] = {
      ...stats(ms),
      photos: sample.length,
      settings: slow ? 'defaults (50 samples / 50 steps, batch 8)' : 'defaults',
    };
  }

  // Time to fool: CS231n method, seeded random target per photo (seed = photo index).
  const foolPhotos = cpu ? images.slice(0, 3) : images;
  const foolMs: number[] = [];
  const iterations: number[] = [];
  let successes = 0;
  for (const [i, img] of foolPhotos.entries()) {
    const probs = await engine.classifier.probabilities(img.input);
    const target = randomClass(probs, i);
    const result = await cs231nAttack(engine.model, pixelImage(img.pixels), target, { backend });
    foolMs.push(result.metrics.ms);
    iterations.push(result.metrics.iterations);
    if (result.success) successes++;
  }

  const vizIterations = cpu ? 5 : 30;
  const viz = await visualizeClass(engine.model, 366, { iterations: vizIterations, seed: 0 });
  const imagesFromFeatures = cpu ? { skipped: 'CPU backend (~35× slower)' } : await features();

  process.stdout.write(
    `${JSON.stringify({
      backend: engine.backend,
      saliencyMs: saliency,
      timeToFool: {
        method: 'cs231n',
        photos: foolPhotos.length,
        successes,
        ms: stats(foolMs),
        iterations: stats(iterations),
      },
      classVisualization: {
        class: 'gorilla (366)',
        iterations: vizIterations,
        msPerIteration: Number(viz.msPerIteration.toFixed(2)),
      },
      imagesFromFeatures,
      leakedTensors: tf.memory().numTensors - baselineTensors,
    })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`methods bench failed: ${(error as Error).stack}\n`);
  process.exit(1);
});

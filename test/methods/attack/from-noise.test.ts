/**
 * Fooling images from noise: the saved PNG, decoded by the Node decoder and classified like any
 * image file, is the target at ≥ 99 % (gorilla; king penguin, where rounding undid the first
 * success and the loop went on from the rounded image); it is still mostly the starting noise;
 * cancel and tensor hygiene.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/engine/decode-node.js';
import { preprocess } from '../../../src/engine/preprocess.js';
import { foolFromNoise, noiseBytes } from '../../../src/methods/attack/from-noise.js';
import { CancelledError } from '../../../src/methods/common.js';
import { encodePng } from '../../../src/render/png.js';
import { argmax } from '../../../src/shared/numeric.js';
import { engineFor } from '../../helpers/engine.js';

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [sa, sb] = [0, 0];
  for (let i = 0; i < n; i++) [sa, sb] = [sa + a[i], sb + b[i]];
  const [ma, mb] = [sa / n, sb / n];
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('fooling images from noise', () => {
  for (const target of [366, 145]) {
    it(`class ${target}: the decoded PNG is the target at ≥ 99 %, and it still looks like the noise`, async () => {
      const engine = await engineFor('wasm');
      const before = tf.memory().numTensors;
      const r = await foolFromNoise(engine.model, target, { seed: 0, backend: 'wasm' });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.success).toBe(true);
      const png = await encodePng({ width: 224, height: 224, data: r.pixels });
      const decoded = preprocess(decodeImage(png, 'noise.png'));
      expect(decoded.pixels).toEqual(r.pixels); // 224×224 goes in as is: the same bytes
      const probs = await engine.classifier.probabilities(decoded.input);
      const similarity = correlation(r.pixels, noiseBytes(0));
      console.log(
        `${engine.labels[target]}: p ${r.targetProbStart.toExponential(2)} → ${probs[target].toFixed(4)} after ` +
          `${r.iterations} steps (${r.roundingRetries} rounding retries), ${r.ms.toFixed(0)} ms; ` +
          `correlation with the start noise ${similarity.toFixed(3)}`,
      );
      expect(argmax(probs)).toBe(target);
      expect(probs[target]).toBeGreaterThanOrEqual(0.99);
      expect(r.targetProbStart).toBeLessThan(0.01);
      expect(similarity).toBeGreaterThan(0.99); // measured 0.999 for both
    });
  }

  it('cancels at once and leaves no tensors; refuses a bad target', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let steps = 0;
    const run = foolFromNoise(engine.model, 1, {
      signal: controller.signal,
      onProgress: () => {
        steps++;
        controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(steps).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    await expect(foolFromNoise(engine.model, 1000)).rejects.toThrow(/target must be a class index/);
  });
});

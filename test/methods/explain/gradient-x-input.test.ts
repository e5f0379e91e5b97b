/**
 * Gradient × input: equals the normalized input times the engine's gradient w.r.t. the
 * normalized input (the usual tensor-level definition, computed here straight from the engine),
 * the black reference differs by the mean colour times the gradient, and maps are sane.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { IMAGENET_MEAN } from '../../../src/engine/preprocess.js';
import { classScore } from '../../../src/engine/scores.js';
import { type PixelImage, pixelImage, pixelsToInput } from '../../../src/methods/common.js';
import { gradTimesInput } from '../../../src/methods/explain/gradient-x-input.js';
import { vanilla } from '../../../src/methods/explain/vanilla.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const imageOf = (path: string): PixelImage => pixelImage(photoInput(path).pixels);

describe('gradient × input', () => {
  it('(mean reference) equals normalized input ⊙ ∂score/∂(normalized input), summed over channels', async () => {
    const engine = await engineFor('wasm');
    for (const p of [photos()[2], photos()[11]]) {
      const pre = photoInput(p.path);
      const map = await gradTimesInput(engine.model, pixelImage(pre.pixels));
      const expected = tf.tidy(() => {
        // the same float32 input the method feeds the engine: preprocess's normalization rounds
        // differently in the last bit, which flips max-pool ties and moves single gradients
        const x = pixelsToInput(tf.tensor4d(Float32Array.from(pre.pixels), [1, 224, 224, 3]));
        const g = engine.model.run(x, { score: classScore([p.label]) }).gradients.input!;
        return tf.sum(tf.mul(x, g), 3).dataSync() as Float32Array;
      });
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < expected.length; i++) {
        worst = Math.max(worst, Math.abs(map.data[i] - expected[i]));
        scale = Math.max(scale, Math.abs(expected[i]));
      }
      console.log(
        `${p.file}: max |map − x̂·∂s/∂x̂| / max = ${(worst / scale).toExponential(2)}; ` +
          `map sum ${map.stats.sum.toFixed(3)} vs score ${map.scoreValue.toFixed(3)}`,
      );
      expect(worst / scale).toBeLessThan(1e-4);
      expect(map.reduction).toBe('sum');
      expect(map.data.every(Number.isFinite)).toBe(true);
      expect(map.stats.max).toBeGreaterThan(0);
      expect(map.stats.min).toBeLessThan(0); // signed: evidence for and against
    }
  });

  it('black reference = pixel ⊙ gradient: differs from the mean reference by 255·mean ⊙ gradient', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[6].path);
    const grad = (await vanilla(engine.model, image)).attribution!;
    const mean = (await gradTimesInput(engine.model, image, { reduction: 'sum' })).attribution!;
    const black = (await gradTimesInput(engine.model, image, { reference: 'black' })).attribution!;
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < grad.length; i++) {
      worst = Math.max(
        worst,
        Math.abs(black[i] - image.data[i] * grad[i]),
        Math.abs(black[i] - mean[i] - 255 * IMAGENET_MEAN[i % 3] * grad[i]),
      );
      scale = Math.max(scale, Math.abs(black[i]));
    }
    expect(worst / scale).toBeLessThan(1e-5);
    await expect(gradTimesInput(engine.model, image, { reference: 'grey' as never })).rejects.toThrow(
      /unknown reference/,
    );
    const abs = await gradTimesInput(engine.model, image, { reduction: 'sumAbs' });
    expect(abs.stats.min).toBeGreaterThanOrEqual(0);
  });
});

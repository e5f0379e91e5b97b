/**
 * Vanilla gradient saliency: the per-channel pixel gradient against central finite differences of
 * the independent float64 forward (at sampled pixels, through the pixel → input scaling), the
 * map as max over channels of |gradient|, the score variants, class handling, and every photo.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadWeightsNode } from '../../../src/engine/node-weights.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../../src/engine/preprocess.js';
import { CancelledError, type PixelImage, pixelImage } from '../../../src/methods/common.js';
import { SCORE_DESCRIPTIONS } from '../../../src/methods/explain/saliency.js';
import { vanilla } from '../../../src/methods/explain/vanilla.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';
import { referenceForward } from '../../helpers/reference-forward.js';

const imageOf = (path: string): PixelImage => pixelImage(photoInput(path).pixels);

/** The network input of a pixel image, in float64, as the oracle takes it. */
function normalized64(pixels: Float32Array): Float64Array {
  return Float64Array.from(pixels, (p, i) => (p / 255 - IMAGENET_MEAN[i % 3]) / IMAGENET_STD[i % 3]);
}

describe('vanilla gradient', () => {
  const matchesFiniteDifferences =
    'equals central finite differences of the float64 forward at sampled pixels (per channel and the channel max)';
  it(matchesFiniteDifferences, async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    const p = photos()[3];
    const image = imageOf(p.path);
    const map = await vanilla(engine.model, image, { classIndex: p.label });
    expect(map.head).toBe('logits');
    const x = normalized64(image.data);
    // The strongest pixel, and two seeded pixels among the top 5 % (pixels with a near-zero
    // gradient would only test rounding).
    const order = Array.from(map.data.keys()).sort((a, b) => map.data[b] - map.data[a]);
    const random = rng(5);
    const sampled = [order[0], order[1 + Math.floor(random() * 2500)], order[1 + Math.floor(random() * 2500)]];
    const h = 1e-7; // in normalized-input units; float64 forward (see gradients.test.ts)
    for (const pixel of sampled) {
      const numeric: number[] = [];
      for (let c = 0; c < 3; c++) {
        const i = pixel * 3 + c;
        const f = (sign: number) => {
          const xs = Float64Array.from(x);
          xs[i] += sign * h;
          return referenceForward(weights, xs).logits[p.label];
        };
        // ∂f/∂pixel = ∂f/∂input · ∂input/∂pixel = ∂f/∂input / (255 · std_c)
        numeric.push((f(1) - f(-1)) / (2 * h) / (255 * IMAGENET_STD[c]));
      }
      const analytic = [0, 1, 2].map((c) => map.attribution![pixel * 3 + c]);
      const numericMax = Math.max(...numeric.map(Math.abs));
      const scale = Math.max(...analytic.map(Math.abs));
      const channelError = Math.max(...numeric.map((n, c) => Math.abs(n - analytic[c]))) / scale;
      const mapError = Math.abs(numericMax - map.data[pixel]) / numericMax;
      console.log(
        `pixel (${Math.floor(pixel / 224)}, ${pixel % 224}): map ${map.data[pixel].toExponential(4)} ` +
          `finite-difference max ${numericMax.toExponential(4)}; ` +
          `per-channel error/max ${channelError.toExponential(2)}, map error ${mapError.toExponential(2)}`,
      );
      expect(channelError).toBeLessThan(1e-3);
      expect(mapError).toBeLessThan(1e-3);
    }
  });

  const crossEntropyAndL2 =
    'cross-entropy map matches finite differences at the strongest pixel; the L2 map is |2(1 − s)| × the raw one';
  it(crossEntropyAndL2, async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    const p = photos()[8];
    const image = imageOf(p.path);
    const raw = await vanilla(engine.model, image, { classIndex: p.label });
    const l2 = await vanilla(engine.model, image, { classIndex: p.label, score: 'l2' });
    const factor = Math.abs(2 * (1 - raw.scoreValue));
    expect(l2.scoreValue).toBeCloseTo((1 - raw.scoreValue) ** 2, 2);
    let worst = 0;
    for (let i = 0; i < raw.data.length; i++) worst = Math.max(worst, Math.abs(l2.data[i] - factor * raw.data[i]));
    expect(worst / l2.stats.max).toBeLessThan(1e-5);

    const ce = await vanilla(engine.model, image, { classIndex: p.label, score: 'crossEntropy' });
    const pixel = Array.from(ce.data.keys()).reduce((a, b) => (ce.data[b] > ce.data[a] ? b : a));
    const x = normalized64(image.data);
    const ce64 = (z: Float64Array) => {
      const m = Math.max(...z);
      return Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) + m - z[p.label];
    };
    const numeric = [0, 1, 2].map((c) => {
      const i = pixel * 3 + c;
      const f = (sign: number) => {
        const xs = Float64Array.from(x);
        xs[i] += sign * 1e-7;
        return ce64(referenceForward(weights, xs).logits);
      };
      return (f(1) - f(-1)) / 2e-7 / (255 * IMAGENET_STD[c]);
    });
    const numericMax = Math.max(...numeric.map(Math.abs));
    console.log(
      `cross-entropy at its strongest pixel: map ${ce.data[pixel].toExponential(4)}, ` +
        `finite differences ${numericMax.toExponential(4)}; p = ${ce.probability.toFixed(3)}`,
    );
    expect(Math.abs(numericMax - ce.data[pixel]) / numericMax).toBeLessThan(1e-3);
    expect(Math.exp(-ce.scoreValue)).toBeCloseTo(ce.probability, 4);
    expect(Object.keys(SCORE_DESCRIPTIONS).sort()).toEqual(['crossEntropy', 'l2', 'raw']);
  });

  it('is finite, not constant, and explains the predicted class on all 12 photos', async () => {
    const engine = await engineFor('wasm');
    for (const p of photos()) {
      const map = await vanilla(engine.model, imageOf(p.path));
      expect(map.data.length).toBe(224 * 224);
      expect(map.data.every(Number.isFinite)).toBe(true);
      expect(map.stats.min).toBeGreaterThanOrEqual(0);
      expect(map.stats.max).toBeGreaterThan(map.stats.min);
      expect(map.stats.std).toBeGreaterThan(0.1 * map.stats.mean);
      // the map is max over channels of |attribution|
      for (let q = 0; q < 224 * 224; q += 997) {
        const a = map.attribution!;
        expect(map.data[q]).toBe(Math.max(Math.abs(a[3 * q]), Math.abs(a[3 * q + 1]), Math.abs(a[3 * q + 2])));
      }
      expect(map.classIndex).toBe(p.top1); // the reference network's answer on all 12 photos
    }
  });

  it('explains any class: head auto falls back to the pre-ReLU logit when the logit is clamped at 0', async () => {
    const engine = await engineFor('wasm');
    // On the 12 photos every class has some positive class-map cell; on a flat grey image (zero
    // network input) 23 classes have their whole class map negative, hence logit 0.
    const grey = pixelImage(Float32Array.from({ length: 224 * 224 * 3 }, (_, i) => 255 * IMAGENET_MEAN[i % 3]));
    const logits = tf.tidy(() => engine.model.run(tf.zeros([1, 224, 224, 3]) as tf.Tensor4D).logits.dataSync());
    const dead = logits.indexOf(0);
    expect(dead).toBeGreaterThanOrEqual(0);
    const blank = await vanilla(engine.model, grey, { classIndex: dead, head: 'logits' });
    expect(blank.stats.max).toBe(0); // why 'auto' exists
    const auto = await vanilla(engine.model, grey, { classIndex: dead });
    expect(auto.head).toBe('preReluLogits');
    expect(auto.stats.max).toBeGreaterThan(auto.stats.min);
    expect(auto.classIndex).toBe(dead);
    const image = imageOf(photos()[0].path);
    const other = await vanilla(engine.model, image, { classIndex: 999 });
    expect([other.classIndex, other.head]).toEqual([999, 'logits']);
    expect(other.stats.max).toBeGreaterThan(0);
    for (const bad of [-1, 1000, 2.5, NaN])
      await expect(vanilla(engine.model, image, { classIndex: bad })).rejects.toThrow(RangeError);
    await expect(vanilla(engine.model, image, { score: 'hinge' as never })).rejects.toThrow(/unknown score/);
    await expect(vanilla(engine.model, { width: 224, height: 224, data: new Float32Array(10) })).rejects.toThrow(
      RangeError,
    );
  });

  it('leaks no tensors and honours a cancelled signal', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[1].path);
    await vanilla(engine.model, image);
    const before = tf.memory().numTensors;
    await vanilla(engine.model, image, { score: 'crossEntropy' });
    await vanilla(engine.model, image, { classIndex: 3 });
    expect(tf.memory().numTensors).toBe(before);
    const abort = new AbortController();
    abort.abort();
    await expect(vanilla(engine.model, image, {}, { signal: abort.signal })).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * SmoothGrad as a wrapper: zero noise gives back the wrapped method, the noise has the documented
 * σ = level × (max − min) (measured through a probe method that returns its input), seeding and
 * batching, progress and cancellation, and real maps that are smoother than vanilla's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CancelledError, type Model, type PixelImage, type Progress, pixelImage } from '../../../src/methods/common.js';
import { gradientTimesInput } from '../../../src/methods/explain/gradient-x-input.js';
import { type AttributionMethod, explainWith } from '../../../src/methods/explain/saliency.js';
import { smoothGrad, smoothGradMap } from '../../../src/methods/explain/smoothgrad.js';
import { vanilla, vanillaGradient } from '../../../src/methods/explain/vanilla.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const imageOf = (path: string): PixelImage => pixelImage(photoInput(path).pixels);

/** "Attribution" = the (noisy) image itself: exposes exactly what SmoothGrad feeds the method. */
const probe: AttributionMethod = {
  name: 'probe',
  reduction: 'sum',
  units: 'pixels',
  attribute: async (_m, pixels) => tf.clone(pixels),
};

function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}

/** Correlation of horizontally adjacent pixels: 1 for smooth maps, 0 for pixel noise. */
function neighbourCorrelation(map: Float32Array): number {
  let mean = 0;
  for (const v of map) mean += v;
  mean /= map.length;
  let num = 0;
  let den = 0;
  for (let y = 0; y < 224; y++)
    for (let x = 0; x < 224; x++) {
      const d = map[y * 224 + x] - mean;
      den += d * d;
      if (x < 223) num += d * (map[y * 224 + x + 1] - mean);
    }
  return ((num / den) * 224) / 223;
}

describe('SmoothGrad', () => {
  it('with zero noise equals the wrapped method (vanilla and gradient × input)', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[4].path);
    for (const method of [vanillaGradient, gradientTimesInput]) {
      const plain = await explainWith(method, engine.model, image);
      const smooth = await smoothGradMap(engine.model, image, method, { noiseLevel: 0, samples: 10 });
      const attrDiff = relMaxDiff(smooth.attribution!, plain.attribution!);
      console.log(`${method.name}: zero-noise SmoothGrad vs the method, max |Δ| / max = ${attrDiff.toExponential(2)}`);
      expect(attrDiff).toBeLessThan(1e-5);
      expect(relMaxDiff(smooth.data, plain.data)).toBeLessThan(1e-5);
      expect(smooth.method).toBe(`smoothgrad(${method.name})`);
      expect(smooth.reduction).toBe(plain.reduction);
    }
  });

  it('adds Gaussian noise of σ = level × (max − min) of the image, seeded', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[6].path);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of image.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const level = 0.2;
    const sigma = level * (hi - lo);
    const px = tf.tensor4d(image.data, [1, 224, 224, 3]);
    const target = { classIndex: 1, score: 'raw' as const, head: 'logits' as const };
    const run = async (options: Parameters<typeof smoothGrad>[1]) => {
      const t = await smoothGrad(probe, options).attribute(engine.model as Model, px, target);
      const v = (await t.data()) as Float32Array;
      t.dispose();
      return v;
    };
    // E[(x + ε)²] = x² + σ²: the squared mean over 150,528 values × 40 samples estimates σ² to ~0.1 %
    const squared = await run({ noiseLevel: level, samples: 40, magnitude: true, seed: 3 });
    let excess = 0;
    for (let i = 0; i < squared.length; i++) excess += squared[i] - image.data[i] ** 2;
    const measured = Math.sqrt(excess / squared.length);
    console.log(`noise σ: expected ${sigma.toFixed(3)} (range ${lo}…${hi}), measured ${measured.toFixed(3)}`);
    expect(Math.abs(measured - sigma) / sigma).toBeLessThan(0.01);
    // the mean of the noisy copies is the image, within a few σ/√n
    const mean = await run({ noiseLevel: level, samples: 40, seed: 3 });
    let worst = 0;
    for (let i = 0; i < mean.length; i++) worst = Math.max(worst, Math.abs(mean[i] - image.data[i]));
    expect(worst).toBeLessThan((6 * sigma) / Math.sqrt(40));
    // seeded: same seed same noise, other seed other noise; batching does not change the noise
    const again = await run({ noiseLevel: level, samples: 40, seed: 3, batchSize: 7 });
    expect(relMaxDiff(again, mean)).toBeLessThan(1e-6);
    const other = await run({ noiseLevel: level, samples: 40, seed: 4 });
    expect(relMaxDiff(other, mean)).toBeGreaterThan(1e-3);
    px.dispose();
    expect(() => smoothGrad(probe, { samples: 0 })).toThrow(RangeError);
    expect(() => smoothGrad(probe, { noiseLevel: -0.1 })).toThrow(RangeError);
  });

  const smootherOnPhotos =
    'gives finite, non-constant maps smoother than the vanilla map (neighbour correlation) ' +
    'on photos; reports progress; leaks nothing';
  it(smootherOnPhotos, async () => {
    const engine = await engineFor('wasm');
    for (const p of [photos()[1], photos()[7]]) {
      const image = imageOf(p.path);
      // The labelled class (the golden retriever's top-1 is "muzzle" by 0.3 %: explain the dog).
      const plain = await vanilla(engine.model, image, { classIndex: p.label });
      const events: Progress[] = [];
      const before = tf.memory().numTensors;
      const t0 = performance.now();
      const smooth = await smoothGradMap(
        engine.model,
        image,
        vanillaGradient,
        { samples: 16, seed: 1, classIndex: p.label },
        { onProgress: (e) => events.push(e) },
      );
      const ms = performance.now() - t0;
      expect(tf.memory().numTensors).toBe(before);
      expect(events.map((e) => e.step)).toEqual([8, 16]);
      expect(events.every((e) => e.total === 16)).toBe(true);
      expect(smooth.data.every(Number.isFinite)).toBe(true);
      expect(smooth.stats.max).toBeGreaterThan(smooth.stats.min);
      const [r0, r1] = [neighbourCorrelation(plain.data), neighbourCorrelation(smooth.data)];
      console.log(
        `${p.file}: neighbour correlation vanilla ${r0.toFixed(3)} → SmoothGrad(16) ${r1.toFixed(3)}; ` +
          `${ms.toFixed(0)} ms for 16 samples`,
      );
      expect(r1).toBeGreaterThan(r0 + 0.04);
    }
  });

  it('cancels between batches', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[0].path);
    await vanilla(engine.model, image);
    const before = tf.memory().numTensors;
    const abort = new AbortController();
    const steps: number[] = [];
    const run = smoothGradMap(
      engine.model,
      image,
      vanillaGradient,
      { samples: 48 },
      {
        signal: abort.signal,
        onProgress: (e) => {
          steps.push(e.step);
          abort.abort();
        },
      },
    );
    await expect(run).rejects.toThrow(CancelledError);
    expect(steps).toEqual([8]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

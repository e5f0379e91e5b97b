/** Post-processing of maps, by hand-computed examples. */
import { describe, expect, it } from 'vitest';
import {
  minMaxNormalize,
  percentileClip,
  positivePart,
  rankNormalize,
  ranks,
} from '../../../src/methods/explain/postprocess.js';
import { reduceChannels } from '../../../src/methods/explain/saliency.js';
import { gaussianBlur } from '../../../src/shared/blur.js';
import { quantile } from '../../../src/shared/numeric.js';
import { rng } from '../../helpers/data.js';

describe('map post-processing', () => {
  it('ranks ties at their average rank and rank-normalizes to [0, 1]', () => {
    expect(Array.from(ranks([10, 30, 20, 30]))).toEqual([0, 2.5, 1, 2.5]);
    expect(Array.from(rankNormalize([5, -1, 3]))).toEqual([1, 0, 0.5]);
    expect(Array.from(rankNormalize([2, 2, 2]))).toEqual([0.5, 0.5, 0.5]);
    // invariant under any increasing transform: maps in different units become comparable
    const random = rng(1);
    const m = Float32Array.from({ length: 1000 }, () => random());
    const a = rankNormalize(m);
    const b = rankNormalize(Float32Array.from(m, (v) => Math.exp(20 * v) - 7));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.min(...a)).toBe(0);
    expect(Math.max(...a)).toBe(1);
  });

  it('quantiles interpolate like numpy; percentile clipping scales to [0, 1]', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0.25)).toBe(1.75);
    const values = Array.from({ length: 101 }, (_, i) => i);
    values[100] = 1e6; // one outlier
    const clipped = percentileClip(values, 0, 99);
    expect(clipped[50]).toBeCloseTo(50 / 99, 6);
    expect(clipped[100]).toBe(1);
    expect(minMaxNormalize(values)[50]).toBeLessThan(1e-4); // what clipping avoids
    expect(Array.from(percentileClip([3, 3, 3]))).toEqual([0, 0, 0]);
    expect(() => percentileClip(values, 50, 10)).toThrow(RangeError);
  });

  // The top-k % mask is render/overlay.ts keepMask, tested in test/render/overlay.test.ts.
  it('keeps the positive part of a signed map', () => {
    expect(Array.from(positivePart([-1, 2]))).toEqual([0, 2]);
  });

  it('reduces channels as documented', () => {
    const a = [1, -3, 2, 0, 0, -4];
    expect(Array.from(reduceChannels(a, 3, 'maxAbs'))).toEqual([3, 4]);
    expect(Array.from(reduceChannels(a, 3, 'sumAbs'))).toEqual([6, 4]);
    expect(Array.from(reduceChannels(a, 3, 'sum'))).toEqual([0, -4]);
    expect(reduceChannels(a, 3, 'l2')[0]).toBeCloseTo(Math.sqrt(14), 6);
    expect(() => reduceChannels(a, 4, 'sum')).toThrow(RangeError);
  });

  it('blurs with a normalized Gaussian: constants stay, an impulse spreads with variance σ²', () => {
    expect(gaussianBlur(new Float32Array(64 * 64).fill(7), 64, 64, 1, 3).every((v) => Math.abs(v - 7) < 1e-5)).toBe(
      true,
    );
    const impulse = new Float32Array(64 * 64);
    impulse[32 * 64 + 32] = 1;
    const b = gaussianBlur(impulse, 64, 64, 1, 2.5);
    let mass = 0;
    let varX = 0;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        mass += b[y * 64 + x];
        varX += b[y * 64 + x] * (x - 32) ** 2;
      }
    expect(mass).toBeCloseTo(1, 5);
    expect(varX / mass).toBeCloseTo(2.5 ** 2, 1); // truncated at 3σ: within 0.1
    expect(b[32 * 64 + 33]).toBeCloseTo(b[33 * 64 + 32], 7);
    expect(Array.from(gaussianBlur([1, 2, 3], 3, 1, 1, 0))).toEqual([1, 2, 3]);
  });
});

describe('gaussianBlur, one channel', () => {
  it('is bit-identical to the general path (the same map as channel 0 of a 2-channel image)', () => {
    const random = (() => {
      let s = 12345;
      return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) ** 3;
    })();
    for (const [w, h, sigma] of [
      [224, 224, 1.5],
      [17, 5, 2.5],
      [3, 40, 0.4],
    ] as const) {
      const one = Float32Array.from({ length: w * h }, random);
      const two = new Float32Array(w * h * 2);
      for (let i = 0; i < w * h; i++) two[2 * i] = one[i];
      const fast = gaussianBlur(one, w, h, 1, sigma);
      const general = gaussianBlur(two, w, h, 2, sigma);
      for (let i = 0; i < w * h; i++) expect(fast[i]).toBe(general[2 * i]);
      // a plain array takes the same path
      expect(Array.from(gaussianBlur(Array.from(one), w, h, 1, sigma))).toEqual(Array.from(fast));
    }
  });
});

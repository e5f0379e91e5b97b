/**
 * gaussianNoise (SmoothGrad's bulk noise, a ziggurat): standard normal to within sampling error
 * in moments, tails and bins; seeded; the stream does not depend on how it is split into calls.
 */
import { describe, expect, it } from 'vitest';
import { gaussianNoise } from '../../src/methods/common.js';

const normalCdf = (x: number): number => {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2);
  return 0.5 * (1 + (x >= 0 ? erf : -erf));
};

describe('gaussianNoise', () => {
  it('is N(0, 1): mean, variance, kurtosis, tails and 16 bins within 4 standard errors (4 M draws)', () => {
    const n = 4_000_000;
    const z = new Float32Array(n);
    gaussianNoise(5)(z, new Float32Array(n), 1);
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    const bins = new Float64Array(16); // [-4, 4) in steps of 0.5
    let tail = 0; // |z| > 3
    for (const v of z) {
      s1 += v;
      s2 += v * v;
      s4 += v ** 4;
      if (Math.abs(v) > 3) tail++;
      const b = Math.floor((v + 4) * 2);
      if (b >= 0 && b < 16) bins[b]++;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(4 * Math.sqrt(1 / n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(4 * Math.sqrt(96 / n));
    const pTail = 2 * normalCdf(-3);
    expect(Math.abs(tail / n - pTail)).toBeLessThan(4 * Math.sqrt((pTail * (1 - pTail)) / n));
    for (let b = 0; b < 16; b++) {
      const p = normalCdf(-4 + (b + 1) / 2) - normalCdf(-4 + b / 2);
      expect(Math.abs(bins[b] / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 2e-7);
    }
  });

  it('adds σ·z to the base, seeded, the same stream however the calls split it', () => {
    const base = Float32Array.from({ length: 1001 }, (_, i) => i);
    const whole = new Float32Array(1001);
    gaussianNoise(9)(whole, base, 0.5);
    const split = new Float32Array(1001);
    const noise = gaussianNoise(9);
    noise(split.subarray(0, 333), base.subarray(0, 333), 0.5);
    noise(split.subarray(333), base.subarray(333), 0.5);
    expect(split).toEqual(whole);
    const other = new Float32Array(1001);
    gaussianNoise(10)(other, base, 0.5);
    expect(other).not.toEqual(whole);
    const unit = new Float32Array(1001);
    gaussianNoise(9)(unit, new Float32Array(1001), 1);
    for (let i = 0; i < 1001; i++) expect(whole[i]).toBeCloseTo(base[i] + 0.5 * unit[i], 3);
  });
});

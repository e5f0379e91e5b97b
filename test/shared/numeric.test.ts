/**
 * The quantile by selection (src/shared/numeric.ts) gives exactly what the sorted copy gives
 * (numpy's linear definition), on maps with many ties, negative values, NaN and single values.
 */
import { describe, expect, it } from 'vitest';
import { nthSmallest, quantile } from '../../src/shared/numeric.js';

/** The definition: sort, then interpolate between the two order statistics around q·(n − 1). */
function sortedQuantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** A seeded generator (mulberry32), so a failure names its case. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('quantile by selection', () => {
  const cases: [string, (r: () => number, n: number) => number][] = [
    ['uniform', (r) => r()],
    ['8-bit ties', (r) => Math.floor(r() * 256) / 255],
    ['mostly zero', (r) => (r() < 0.9 ? 0 : r())],
    ['signed', (r) => (r() - 0.5) * 1e-3],
    ['ascending', (_, i) => i],
    ['descending', (_, i) => -i],
  ];
  for (const [name, make] of cases) {
    it(`equals the sorted definition: ${name}`, () => {
      const r = random(name.length * 7919);
      for (const n of [1, 2, 3, 10, 601, 602, 5000, 224 * 224]) {
        const values = Float32Array.from({ length: n }, (_, i) => make(r, i));
        for (const q of [0, 0.01, 0.2, 0.5, 0.8, 0.99, 0.995, 1]) {
          expect(quantile(values, q), `n ${n}, q ${q}`).toBe(sortedQuantile(values, q));
        }
      }
    });
  }

  it('NaN sorts last, as in the sorted copy', () => {
    const values = [3, Number.NaN, 1, 2];
    for (const q of [0, 0.5, 0.6, 1]) expect(quantile(values, q)).toBe(sortedQuantile(values, q));
  });

  it('nthSmallest leaves the k-th value in place with smaller ones left and larger right', () => {
    const r = random(1);
    const a = Float64Array.from({ length: 3000 }, () => Math.floor(r() * 50));
    const sorted = Float64Array.from(a).sort();
    for (const k of [0, 1, 1499, 2999]) {
      const copy = Float64Array.from(a);
      expect(nthSmallest(copy, k)).toBe(sorted[k]);
      for (let i = 0; i < k; i++) expect(copy[i]).toBeLessThanOrEqual(copy[k]);
      for (let i = k + 1; i < copy.length; i++) expect(copy[i]).toBeGreaterThanOrEqual(copy[k]);
    }
    expect(() => nthSmallest(new Float64Array(2), 2)).toThrow(RangeError);
  });
});

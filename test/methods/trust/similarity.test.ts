/** Map similarity measures on hand-checkable cases. */
import { describe, expect, it } from 'vitest';
import { compareMaps, pearson, spearman, ssim } from '../../../src/methods/trust/similarity.js';
import { rng } from '../../helpers/data.js';

describe('map similarity', () => {
  it('Spearman: 1 for any increasing transform, −1 reversed, the textbook value with ties', () => {
    const random = rng(4);
    const a = Float32Array.from({ length: 500 }, () => random());
    expect(
      spearman(
        a,
        Float32Array.from(a, (v) => Math.exp(9 * v)),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        a,
        Float32Array.from(a, (v) => -v),
      ),
    ).toBeCloseTo(-1, 12);
    // ranks x: 1,2,3,4,5; y = [2,1,4,3,5] → 1 − 6·Σd²/(n(n²−1)) = 1 − 6·4/120 = 0.8
    expect(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 12);
    // with ties: Pearson on average ranks, x ranks [1, 2.5, 2.5, 4], y = identity ranks
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(pearson([1, 2.5, 2.5, 4], [1, 2, 3, 4]), 12);
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(0.9933992677987828, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBe(0);
    expect(pearson([1, 1, 1], [5, 5, 5])).toBe(1);
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(RangeError);
  });

  it('SSIM: 1 for the same map up to scale, low for unrelated noise, in between for a noisy copy', () => {
    const random = rng(5);
    const smooth = Float32Array.from(
      { length: 224 * 224 },
      (_, i) => Math.sin((i % 224) / 20) + Math.cos(Math.floor(i / 224) / 30),
    );
    expect(
      ssim(
        smooth,
        Float32Array.from(smooth, (v) => 3 * v + 1),
      ),
    ).toBeCloseTo(1, 6);
    const noise = Float32Array.from({ length: 224 * 224 }, () => random());
    const unrelated = ssim(smooth, noise);
    const noisy = ssim(
      smooth,
      Float32Array.from(smooth, (v, i) => v + 0.5 * noise[i]),
    );
    expect(unrelated).toBeLessThan(0.1);
    expect(noisy).toBeGreaterThan(unrelated + 0.2);
    expect(noisy).toBeLessThan(0.95);
    const signedFlip = compareMaps(
      Float32Array.from(smooth, (v) => v - 0.5),
      Float32Array.from(smooth, (v) => 0.5 - v),
    );
    expect(signedFlip.spearman).toBeCloseTo(-1, 9);
    expect(signedFlip.spearmanAbs).toBeCloseTo(1, 9); // |map| ignores the sign
  });
});

/**
 * How alike two saliency maps are: Spearman rank correlation (on the maps and on their absolute
 * values), Pearson correlation, and SSIM of the maps scaled to [0, 1] — the measures Adebayo et
 * al. ("Sanity Checks for Saliency Maps", 2018) report.
 */
import { gaussianBlur } from '../../shared/blur.js';
import { absoluteMap, minMaxNormalize, ranks } from '../explain/postprocess.js';

/**
 * Pearson correlation. Undefined when a map is constant: then 1 if both are constant (nothing
 * changed), else 0 (one carries structure, the other none).
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maps differ in size: ${a.length} vs ${b.length}`);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return saa === sbb ? 1 : 0;
  return sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation (Pearson on ranks, ties at their average rank). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * Mean SSIM (Wang et al. 2004: Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03) of two H×W maps,
 * each min–max scaled to [0, 1] first (data range 1).
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, width = 224, height = 224): number {
  if (a.length !== width * height || b.length !== width * height)
    throw new RangeError(`maps must be ${width}×${height}`);
  const x = minMaxNormalize(a);
  const y = minMaxNormalize(b);
  const blur = (v: ArrayLike<number>) => gaussianBlur(v, width, height, 1, 1.5);
  const mx = blur(x);
  const my = blur(y);
  const xx = blur(Float32Array.from(x, (v) => v * v));
  const yy = blur(Float32Array.from(y, (v) => v * v));
  const xy = blur(Float32Array.from(x, (v, i) => v * y[i]));
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const vx = xx[i] - mx[i] * mx[i];
    const vy = yy[i] - my[i] * my[i];
    const cxy = xy[i] - mx[i] * my[i];
    total += ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / ((mx[i] ** 2 + my[i] ** 2 + c1) * (vx + vy + c2));
  }
  return total / x.length;
}

export interface MapSimilarity {
  spearman: number;
  /** Spearman of |maps| (signed maps can flip sign without changing what they highlight) */
  spearmanAbs: number;
  pearson: number;
  ssim: number;
}

export function compareMaps(a: ArrayLike<number>, b: ArrayLike<number>): MapSimilarity {
  return {
    spearman: spearman(a, b),
    spearmanAbs: spearman(absoluteMap(a), absoluteMap(b)),
    pearson: pearson(a, b),
    ssim: ssim(a, b),
  };
}

/**
 * Post-processing of saliency maps (any H×W array): make different methods comparable and clip
 * outliers for display. Pure functions, no tensors. The mask of the most salient pixels (saliency
 * as segmentation) has one rule for the CLI and the popup: render/overlay.ts `keepMask`.
 */
import { quantile } from '../../shared/numeric.js';

/**
 * Ranks 0…n−1 (ties get their average rank), ascending: the smallest value gets rank 0.
 * Returned as float64 so average ranks of ties stay exact.
 */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2;
    for (let k = i; k <= j; k++) out[order[k]] = r;
    i = j + 1;
  }
  return out;
}

/**
 * Rank normalization to [0, 1]: each value becomes its rank / (n − 1), so the maps of any two
 * methods (whatever their units and scale) have the same value distribution and can be compared
 * or averaged. Ties share their average rank; a constant map becomes all 0.5.
 */
export function rankNormalize(map: ArrayLike<number>): Float32Array {
  const n = map.length;
  if (n < 2) return new Float32Array(n).fill(0.5);
  const r = ranks(map);
  return Float32Array.from(r, (v) => v / (n - 1));
}

/**
 * Clip to the [lower, upper] percentiles (default 1 and 99.5) and scale to [0, 1] for display: a
 * few extreme gradient pixels otherwise make the rest of the map black. A map that is constant
 * after clipping becomes all 0.
 */
export function percentileClip(map: ArrayLike<number>, lowerPercent = 1, upperPercent = 99.5): Float32Array {
  if (!(lowerPercent >= 0 && upperPercent <= 100 && lowerPercent < upperPercent)) {
    throw new RangeError(`percentiles must satisfy 0 ≤ lower < upper ≤ 100, got ${lowerPercent}, ${upperPercent}`);
  }
  const lo = quantile(map, lowerPercent / 100);
  const hi = quantile(map, upperPercent / 100);
  const range = hi - lo;
  return Float32Array.from(map, (v) => (range > 0 ? Math.min(Math.max((v - lo) / range, 0), 1) : 0));
}

/** Min–max scaling to [0, 1] (a constant map becomes all 0). */
export function minMaxNormalize(map: ArrayLike<number>): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    lo = Math.min(lo, map[i]);
    hi = Math.max(hi, map[i]);
  }
  const range = hi - lo;
  return Float32Array.from(map, (v) => (range > 0 ? (v - lo) / range : 0));
}

export function absoluteMap(map: ArrayLike<number>): Float32Array {
  return Float32Array.from(map, Math.abs);
}

/** max(map, 0): the evidence for the class in a signed attribution map. */
export function positivePart(map: ArrayLike<number>): Float32Array {
  return Float32Array.from(map, (v) => Math.max(v, 0));
}

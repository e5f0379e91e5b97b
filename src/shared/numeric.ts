/** Small numeric helpers shared by the engine's users, the methods, rendering and the benchmarks. */

/** Index of the largest value (the first, on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Index of the smallest value (the first, on ties). */
export function argmin(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[best]) best = i;
  return best;
}

/** Median (mean of the middle two for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics (numpy's default).
 * The two order statistics are found by selection, not by sorting: the same value as
 * `sorted[lo] + (sorted[hi] − sorted[lo])·frac` of the sorted copy, in O(n) (a 224×224 map: ~1 ms
 * instead of the 7–17 ms of a sort, which the popup paid on every map it drew).
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  if (values.length === 0) throw new RangeError('quantile of an empty array');
  const a = Float64Array.from(values);
  const pos = q * (a.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, a.length - 1);
  if (a.some(Number.isNaN)) {
    // NaN sorts last in a typed array; selection's comparisons cannot place it: sort as before.
    a.sort();
    return a[lo] + (a[hi] - a[lo]) * (pos - lo);
  }
  const low = nthSmallest(a, lo);
  let high = low;
  if (hi > lo) {
    // After the selection, everything right of `lo` is ≥ a[lo]: the next order statistic is their minimum.
    high = a[hi];
    for (let i = hi + 1; i < a.length; i++) if (a[i] < high) high = a[i];
  }
  return low + (high - low) * (pos - lo);
}

/**
 * The k-th smallest value (0-based) of `a`, which is reordered so that a[k] holds it, everything
 * left of k is ≤ it and everything right of k is ≥ it (Floyd–Rivest selection; NaN-free input).
 */
export function nthSmallest(a: Float64Array | Float32Array, k: number, left = 0, right = a.length - 1): number {
  if (!(k >= 0 && k < a.length)) throw new RangeError(`selection index ${k} out of [0, ${a.length})`);
  while (right > left) {
    if (right - left > 600) {
      // Narrow the range around k from a sample first (the expected comparisons fall to ~n + k).
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      nthSmallest(
        a,
        k,
        Math.max(left, Math.floor(k - (m * s) / n + sd)),
        Math.min(right, Math.floor(k + ((n - m) * s) / n + sd)),
      );
    }
    const t = a[k];
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right] > t) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i] < t) i++;
      while (a[j] > t) j--;
    }
    if (a[left] === t) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
  return a[k];
}

function swap(a: Float64Array | Float32Array, i: number, j: number): void {
  const v = a[i];
  a[i] = a[j];
  a[j] = v;
}

/**
 * Gaussian mixture colour models for GrabCut (Rother, Kolmogorov & Blake 2004): K full-covariance
 * Gaussians over RGB (0–255 units), fitted by hard assignment — each pixel belongs to one
 * component, as GrabCut's iterations assign them — not by EM. TF-free, typed arrays.
 *
 * The first assignment splits the pixels as Orchard & Bouman (1991), which Rother et al. use:
 * start with one cluster, then repeatedly split the cluster with the largest colour variance
 * (largest covariance eigenvalue) through its mean, across its principal axis. Deterministic, no
 * random seed.
 */

/** Added to each covariance's diagonal (level²): a component of one flat colour (synthetic
 * images, clipped highlights) would otherwise have a singular covariance. 1 level² is below the
 * noise of 8-bit JPEG photos, so it changes their models by a hair. */
const COVARIANCE_FLOOR = 1;
const LOG_2PI_3 = 3 * Math.log(2 * Math.PI);

export interface Gmm {
  /** number of components (some may be empty: weight 0) */
  k: number;
  weights: Float64Array;
  /** k × 3 */
  means: Float64Array;
  /** k × 9, row-major */
  covariances: Float64Array;
  /** k × 9: inverse covariances */
  inverses: Float64Array;
  /** k: log(weight) − ½·log((2π)³·det Σ), the constant part of each component's log density */
  logConstants: Float64Array;
}

/** Interleaved RGB colours (3 per pixel, 0–255) and which pixels to use. */
export interface ColourSet {
  colours: ArrayLike<number>;
  /** pixel indices (into colours / 3) */
  pixels: Int32Array;
}

/**
 * Fits one Gaussian per component to the pixels assigned to it (`assignment[j]` for
 * `set.pixels[j]`); weights are the shares of pixels. An empty component gets weight 0.
 */
export function fitGmm(set: ColourSet, assignment: ArrayLike<number>, k: number): Gmm {
  const { colours, pixels } = set;
  if (pixels.length === 0) throw new RangeError('cannot fit a colour model to no pixels');
  const counts = new Float64Array(k);
  const sums = new Float64Array(k * 3);
  const products = new Float64Array(k * 9);
  for (let j = 0; j < pixels.length; j++) {
    const c = assignment[j];
    const p = pixels[j] * 3;
    const r = colours[p];
    const g = colours[p + 1];
    const b = colours[p + 2];
    counts[c]++;
    sums[c * 3] += r;
    sums[c * 3 + 1] += g;
    sums[c * 3 + 2] += b;
    const o = c * 9;
    products[o] += r * r;
    products[o + 1] += r * g;
    products[o + 2] += r * b;
    products[o + 4] += g * g;
    products[o + 5] += g * b;
    products[o + 8] += b * b;
  }
  const gmm: Gmm = {
    k,
    weights: new Float64Array(k),
    means: new Float64Array(k * 3),
    covariances: new Float64Array(k * 9),
    inverses: new Float64Array(k * 9),
    logConstants: new Float64Array(k).fill(-Infinity),
  };
  for (let c = 0; c < k; c++) {
    const n = counts[c];
    if (n === 0) continue;
    gmm.weights[c] = n / pixels.length;
    const m = [sums[c * 3] / n, sums[c * 3 + 1] / n, sums[c * 3 + 2] / n];
    gmm.means.set(m, c * 3);
    const o = c * 9;
    for (let i = 0; i < 3; i++)
      for (let j = i; j < 3; j++) {
        const v = products[o + i * 3 + j] / n - m[i] * m[j] + (i === j ? COVARIANCE_FLOOR : 0);
        gmm.covariances[o + i * 3 + j] = v;
        gmm.covariances[o + j * 3 + i] = v;
      }
    const det = invert3(gmm.covariances, o, gmm.inverses, o);
    gmm.logConstants[c] = Math.log(gmm.weights[c]) - 0.5 * (LOG_2PI_3 + Math.log(det));
  }
  return gmm;
}

/** Log density of component c at a colour (including its weight). */
function componentLog(gmm: Gmm, c: number, r: number, g: number, b: number): number {
  const m = c * 3;
  const dr = r - gmm.means[m];
  const dg = g - gmm.means[m + 1];
  const db = b - gmm.means[m + 2];
  const s = gmm.inverses;
  const o = c * 9;
  const q =
    dr * (s[o] * dr + s[o + 1] * dg + s[o + 2] * db) +
    dg * (s[o + 3] * dr + s[o + 4] * dg + s[o + 5] * db) +
    db * (s[o + 6] * dr + s[o + 7] * dg + s[o + 8] * db);
  return gmm.logConstants[c] - 0.5 * q;
}

let scratch = new Float64Array(16);

/** log Σ_c w_c N(x | μ_c, Σ_c) at one colour (log-sum-exp, so far-off colours stay finite). */
export function logLikelihood(gmm: Gmm, r: number, g: number, b: number): number {
  if (scratch.length < gmm.k) scratch = new Float64Array(gmm.k);
  const terms = scratch;
  let best = -Infinity;
  for (let c = 0; c < gmm.k; c++) {
    terms[c] = gmm.weights[c] > 0 ? componentLog(gmm, c, r, g, b) : -Infinity;
    if (terms[c] > best) best = terms[c];
  }
  if (best === -Infinity) return -Infinity;
  let sum = 0;
  for (let c = 0; c < gmm.k; c++) if (terms[c] > -Infinity) sum += Math.exp(terms[c] - best);
  return best + Math.log(sum);
}

/** GrabCut's step 1: each pixel goes to its most likely component (weight included). */
export function assignComponents(gmm: Gmm, set: ColourSet, out = new Uint8Array(set.pixels.length)): Uint8Array {
  const { colours, pixels } = set;
  for (let j = 0; j < pixels.length; j++) {
    const p = pixels[j] * 3;
    let best = 0;
    let bestLog = -Infinity;
    for (let c = 0; c < gmm.k; c++) {
      if (gmm.weights[c] === 0) continue;
      const l = componentLog(gmm, c, colours[p], colours[p + 1], colours[p + 2]);
      if (l > bestLog) {
        bestLog = l;
        best = c;
      }
    }
    out[j] = best;
  }
  return out;
}

/**
 * Orchard–Bouman splitting into at most k clusters: component index per pixel of the set. Fewer
 * clusters when the colours run out of variance (a one-colour region stays one cluster).
 */
export function initialAssignment(set: ColourSet, k: number): Uint8Array {
  const { colours, pixels } = set;
  const out = new Uint8Array(pixels.length);
  for (let clusters = 1; clusters < k; clusters++) {
    // the cluster with the largest principal variance
    const stats = clusterStats(set, out, clusters);
    let worst = -1;
    let worstValue = 1e-9;
    for (let c = 0; c < clusters; c++) {
      if (stats.counts[c] < 2) continue;
      const { value } = principalAxis(stats.covariances, c * 9);
      if (value > worstValue) {
        worstValue = value;
        worst = c;
      }
    }
    if (worst === -1) break;
    const { vector } = principalAxis(stats.covariances, worst * 9);
    const m = worst * 3;
    const threshold = vector[0] * stats.means[m] + vector[1] * stats.means[m + 1] + vector[2] * stats.means[m + 2];
    for (let j = 0; j < pixels.length; j++) {
      if (out[j] !== worst) continue;
      const p = pixels[j] * 3;
      if (vector[0] * colours[p] + vector[1] * colours[p + 1] + vector[2] * colours[p + 2] > threshold)
        out[j] = clusters;
    }
  }
  return out;
}

function clusterStats(set: ColourSet, assignment: Uint8Array, k: number) {
  const counts = new Float64Array(k);
  const means = new Float64Array(k * 3);
  const covariances = new Float64Array(k * 9);
  const { colours, pixels } = set;
  for (let j = 0; j < pixels.length; j++) {
    const c = assignment[j];
    counts[c]++;
    for (let i = 0; i < 3; i++) means[c * 3 + i] += colours[pixels[j] * 3 + i];
  }
  for (let c = 0; c < k; c++) for (let i = 0; i < 3; i++) means[c * 3 + i] /= Math.max(1, counts[c]);
  for (let j = 0; j < pixels.length; j++) {
    const c = assignment[j];
    const p = pixels[j] * 3;
    for (let i = 0; i < 3; i++)
      for (let l = 0; l < 3; l++)
        covariances[c * 9 + i * 3 + l] += (colours[p + i] - means[c * 3 + i]) * (colours[p + l] - means[c * 3 + l]);
  }
  for (let c = 0; c < k; c++) for (let i = 0; i < 9; i++) covariances[c * 9 + i] /= Math.max(1, counts[c]);
  return { counts, means, covariances };
}

/**
 * Largest eigenvalue and its unit eigenvector of a symmetric positive semi-definite 3×3 matrix,
 * by power iteration from its largest column (not orthogonal to the principal axis unless the
 * matrix is degenerate, when any axis will do).
 */
export function principalAxis(m: ArrayLike<number>, offset = 0): { value: number; vector: [number, number, number] } {
  let best = 0;
  let bestNorm = -1;
  for (let j = 0; j < 3; j++) {
    const n = m[offset + j] ** 2 + m[offset + 3 + j] ** 2 + m[offset + 6 + j] ** 2;
    if (n > bestNorm) {
      bestNorm = n;
      best = j;
    }
  }
  if (bestNorm <= 0) return { value: 0, vector: [1, 0, 0] };
  let v: [number, number, number] = [m[offset + best], m[offset + 3 + best], m[offset + 6 + best]];
  let value = 0;
  for (let it = 0; it < 100; it++) {
    const w: [number, number, number] = [0, 0, 0];
    for (let i = 0; i < 3; i++)
      w[i] = m[offset + i * 3] * v[0] + m[offset + i * 3 + 1] * v[1] + m[offset + i * 3 + 2] * v[2];
    const norm = Math.hypot(w[0], w[1], w[2]);
    if (norm === 0) break;
    const next: [number, number, number] = [w[0] / norm, w[1] / norm, w[2] / norm];
    const change = Math.abs(next[0] - v[0]) + Math.abs(next[1] - v[1]) + Math.abs(next[2] - v[2]);
    v = next;
    value = norm;
    if (change < 1e-12) break;
  }
  const len = Math.hypot(v[0], v[1], v[2]);
  return { value, vector: [v[0] / len, v[1] / len, v[2] / len] };
}

/** Inverts the 3×3 matrix at a[ao] into out[oo]; returns its determinant (must be > 0). */
function invert3(a: Float64Array, ao: number, out: Float64Array, oo: number): number {
  const [a00, a01, a02, a10, a11, a12, a20, a21, a22] = a.subarray(ao, ao + 9);
  const c00 = a11 * a22 - a12 * a21;
  const c01 = a12 * a20 - a10 * a22;
  const c02 = a10 * a21 - a11 * a20;
  const det = a00 * c00 + a01 * c01 + a02 * c02;
  if (!(det > 0)) throw new RangeError(`colour covariance is not positive definite (det ${det})`);
  out[oo] = c00 / det;
  out[oo + 1] = (a02 * a21 - a01 * a22) / det;
  out[oo + 2] = (a01 * a12 - a02 * a11) / det;
  out[oo + 3] = c01 / det;
  out[oo + 4] = (a00 * a22 - a02 * a20) / det;
  out[oo + 5] = (a02 * a10 - a00 * a12) / det;
  out[oo + 6] = c02 / det;
  out[oo + 7] = (a01 * a20 - a00 * a21) / det;
  out[oo + 8] = (a00 * a11 - a01 * a10) / det;
  return det;
}

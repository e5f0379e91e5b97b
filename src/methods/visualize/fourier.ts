/**
 * The image parameterization of feature visualization (Olah, Mordvintsev & Schubert, "Feature
 * Visualization", Distill 2017; Lucid's `param.image(fft=True, decorrelate=True)`): the optimizer
 * moves Fourier coefficients, not pixels, and each coefficient is scaled by 1/frequency, so a step
 * of the same size changes low frequencies as much as high ones — gradient ascent on pixels
 * otherwise fills the image with high-frequency patterns the network happens to like. The colour
 * channels are parameterized in a decorrelated basis (the square root of ImageNet's colour
 * covariance), and a sigmoid maps the result into [0, 1].
 *
 *   spectrum p (real part A, imaginary part B, per colour)  ──×scale──▶  2-D inverse real DFT
 *   ──▶ img (H×W×3, decorrelated colours) ──·Cᵀ──▶ z ──sigmoid──▶ rgb ∈ (0,1)  (pixels = 255·rgb)
 *
 * scale(f) = 1 / max(f, 1/size)^decay · √(H·W) / 4 with f = √(fx² + fy²) in cycles per pixel, as
 * Lucid: √(H·W) against the inverse DFT's 1/(H·W) makes the map unitary up to the 1/f weights, and
 * the 1/4 keeps sigmoid inputs small at the start. Lucid's values: initial sd 0.01, decay 1, the
 * colour matrix below (its `color_correlation_svd_sqrt`, columns normalized to a largest norm of 1).
 *
 * The inverse DFT is real matrix products (TF.js has no FFT kernel on WASM; at 224×224 they cost
 * ~100 M multiply-adds, a third of one forward pass), the colour step and sigmoid run in JS on the
 * downloaded planes (the warp needs them there anyway). The engine's hand-written backward pass
 * ends at the pixels, so the way back to the coefficients is written out too (`renderAdjoint`: the
 * transposed maps, tested against the forward ones by ⟨Rp, g⟩ = ⟨p, Rᵀg⟩).
 *
 * Layout: the coefficients are one [2·H, 3·K] tensor, K = W/2 + 1 frequencies along x: rows 0…H−1
 * are the real parts A[ky, c·K + kx], rows H…2H−1 the imaginary parts B. numpy's irfft2 semantics:
 * img[y,x] = 1/(HW) Σ_ky Σ_kx c_kx · Re(X[ky,kx] e^{2πi(ky·y/H + kx·x/W)}), c = 1 for kx = 0 and
 * W/2, else 2 (the imaginary parts at kx = 0 and W/2 have no effect, as in numpy).
 */
import * as tf from '@tensorflow/tfjs-core';
import { INPUT } from '../../engine/preprocess.js';
import { gaussian, seededRandom } from '../common.js';

/** frequencies along x (rfft) of a size-wide image: 0 … size/2 */
export const freqsX = (size: number): number => Math.floor(size / 2) + 1;
/** … of the 224×224 image */
export const FREQS_X = freqsX(INPUT);

/** Lucid's √ of ImageNet's colour correlation (its SVD square root), rows = R, G, B. */
const COLOR_CORRELATION_SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
] as const;

/** The same with its columns scaled so the largest column norm is 1 (Lucid's normalization). */
export const COLOR_MATRIX: readonly (readonly number[])[] = (() => {
  const norms = [0, 1, 2].map((j) => Math.hypot(...COLOR_CORRELATION_SVD_SQRT.map((row) => row[j])));
  const max = Math.max(...norms);
  return COLOR_CORRELATION_SVD_SQRT.map((row) => row.map((v) => v / max));
})();

/** numpy.fft.fftfreq(n)[k]: cycles per sample. */
function fftFreq(k: number, n: number): number {
  return (k < Math.ceil(n / 2) ? k : k - n) / n;
}

/** The per-coefficient scale (see the file comment), [H, K]. */
export function spectrumScale(decay = 1, size = INPUT): Float32Array {
  const [H, W, FREQS_X] = [size, size, freqsX(size)];
  const out = new Float32Array(H * FREQS_X);
  for (let ky = 0; ky < H; ky++)
    for (let kx = 0; kx < FREQS_X; kx++) {
      const f = Math.hypot(fftFreq(ky, H), kx / W);
      out[ky * FREQS_X + kx] = Math.sqrt(H * W) / (4 * Math.max(f, 1 / Math.max(H, W)) ** decay);
    }
  return out;
}

/** The constant tensors of one parameterization; `dispose` when done. */
export interface FourierBasis {
  /** the image's side (square) */
  size: number;
  /** the inverse DFT along y on [A; B]: P = [Cy, −Sy]·[A; B] and Q = [Sy, Cy]·[A; B], each [H, 2H] */
  yReal: tf.Tensor2D;
  yImag: tf.Tensor2D;
  /** the inverse real DFT along x with the rfft weights c_kx and 1/(HW): img = P·Cx + Q·(−Sx), [K, W] each */
  xCos: tf.Tensor2D;
  xSin: tf.Tensor2D;
  /**
   * The transposes, for the adjoint: stored, because a transposed operand makes TF.js's WASM matMul
   * ~15× slower (346 vs 22 ms for a 448×448 by 448×339 product, measured).
   */
  yRealT: tf.Tensor2D;
  yImagT: tf.Tensor2D;
  xCosT: tf.Tensor2D;
  xSinT: tf.Tensor2D;
  /** spectrumScale for [A; B] in the layout above, [2H, 3K] */
  scale: tf.Tensor2D;
  dispose(): void;
}

export function fourierBasis(decay = 1, size = INPUT): FourierBasis {
  const [H, W, FREQS_X] = [size, size, freqsX(size)];
  const yReal = new Float32Array(H * 2 * H);
  const yImag = new Float32Array(H * 2 * H);
  for (let y = 0; y < H; y++)
    for (let k = 0; k < H; k++) {
      const a = (2 * Math.PI * ((y * k) % H)) / H;
      const [c, s] = [Math.cos(a), Math.sin(a)];
      yReal[y * 2 * H + k] = c; // P = Cy·A − Sy·B
      yReal[y * 2 * H + H + k] = -s;
      yImag[y * 2 * H + k] = s; //  Q = Sy·A + Cy·B
      yImag[y * 2 * H + H + k] = c;
    }
  const xCos = new Float32Array(FREQS_X * W);
  const xSin = new Float32Array(FREQS_X * W);
  for (let k = 0; k < FREQS_X; k++) {
    const weight = (k === 0 || 2 * k === W ? 1 : 2) / (H * W);
    for (let x = 0; x < W; x++) {
      const a = (2 * Math.PI * ((k * x) % W)) / W;
      xCos[k * W + x] = weight * Math.cos(a); // img = P·Cx − Q·Sx
      xSin[k * W + x] = -weight * Math.sin(a);
    }
  }
  const s = spectrumScale(decay, size);
  const scale = new Float32Array(2 * H * 3 * FREQS_X);
  for (let r = 0; r < 2 * H; r++)
    for (let c = 0; c < 3; c++)
      scale.set(s.subarray((r % H) * FREQS_X, (r % H) * FREQS_X + FREQS_X), (r * 3 + c) * FREQS_X);
  const matrices = {
    yReal: tf.tensor2d(yReal, [H, 2 * H]),
    yImag: tf.tensor2d(yImag, [H, 2 * H]),
    xCos: tf.tensor2d(xCos, [FREQS_X, W]),
    xSin: tf.tensor2d(xSin, [FREQS_X, W]),
  };
  const tensors = {
    ...matrices,
    yRealT: tf.tidy(() => tf.transpose(matrices.yReal)) as tf.Tensor2D,
    yImagT: tf.tidy(() => tf.transpose(matrices.yImag)) as tf.Tensor2D,
    xCosT: tf.tidy(() => tf.transpose(matrices.xCos)) as tf.Tensor2D,
    xSinT: tf.tidy(() => tf.transpose(matrices.xSin)) as tf.Tensor2D,
    scale: tf.tensor2d(scale, [2 * H, 3 * FREQS_X]),
  };
  return { ...tensors, size, dispose: () => tf.dispose(Object.values(tensors)) };
}

/** Seeded N(0, sd²) coefficients (Lucid: sd 0.01), [2H, 3K]. */
export function randomSpectrum(seed: number, sd = 0.01, size = INPUT): tf.Tensor2D {
  const [H, FREQS_X] = [size, freqsX(size)];
  const normal = gaussian(seededRandom(seed));
  return tf.tensor2d(
    Float32Array.from({ length: 2 * H * 3 * FREQS_X }, () => sd * normal()),
    [2 * H, 3 * FREQS_X],
  );
}

/**
 * Coefficients → the image in decorrelated colours, as colour planes per row: [3H, W], row y·3 + c
 * (the layout the products leave it in; no transpose on the way: the colour step is done in JS).
 */
export function fourierPlanes(basis: FourierBasis, spectrum: tf.Tensor2D): tf.Tensor2D {
  const [H, FREQS_X] = [basis.size, freqsX(basis.size)];
  return tf.tidy(() => {
    const scaled = tf.mul(spectrum, basis.scale);
    const rows = (t: tf.Tensor) => tf.reshape(t, [H * 3, FREQS_X]); // [H, 3K] → row y·3 + c
    const p = rows(tf.matMul(basis.yReal, scaled));
    const q = rows(tf.matMul(basis.yImag, scaled));
    return tf.add(tf.matMul(p, basis.xCos), tf.matMul(q, basis.xSin)) as tf.Tensor2D;
  });
}

/** Adjoint of `fourierPlanes`: a gradient on the planes [3H, W] → on the coefficients [2H, 3K]. */
export function fourierPlanesAdjoint(basis: FourierBasis, gPlanes: tf.Tensor2D): tf.Tensor2D {
  const [H, FREQS_X] = [basis.size, freqsX(basis.size)];
  return tf.tidy(() => {
    const back = (t: tf.Tensor) => tf.reshape(t, [H, 3 * FREQS_X]);
    const gp = back(tf.matMul(gPlanes, basis.xCosT));
    const gq = back(tf.matMul(gPlanes, basis.xSinT));
    const gScaled = tf.add(tf.matMul(basis.yRealT, gp), tf.matMul(basis.yImagT, gq));
    return tf.mul(gScaled, basis.scale) as tf.Tensor2D;
  });
}

/** Planes [3H, W] (decorrelated) → RGB in (0, 1), interleaved [H, W, 3]: sigmoid(colour · planes). */
export function planesToRgb(planes: Float32Array, size = INPUT): Float32Array {
  const [H, W] = [size, size];
  const rgb = new Float32Array(H * W * 3);
  const [[m00, m01, m02], [m10, m11, m12], [m20, m21, m22]] = COLOR_MATRIX;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const o = y * 3 * W + x;
      const [a, b, c] = [planes[o], planes[o + W], planes[o + 2 * W]];
      const i = (y * W + x) * 3;
      rgb[i] = 1 / (1 + Math.exp(-(m00 * a + m01 * b + m02 * c)));
      rgb[i + 1] = 1 / (1 + Math.exp(-(m10 * a + m11 * b + m12 * c)));
      rgb[i + 2] = 1 / (1 + Math.exp(-(m20 * a + m21 * b + m22 * c)));
    }
  return rgb;
}

/** Adjoint of `planesToRgb` at `rgb` (its output): a gradient on RGB → on the planes. */
export function planesToRgbAdjoint(rgb: Float32Array, gRgb: Float32Array, size = INPUT): Float32Array {
  const [H, W] = [size, size];
  const g = new Float32Array(H * W * 3);
  // Scalars, not a small array per pixel: 8.2 → ~1 ms of CPU a step (measured under load 8).
  const [[m00, m01, m02], [m10, m11, m12], [m20, m21, m22]] = COLOR_MATRIX;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const z0 = gRgb[i] * rgb[i] * (1 - rgb[i]);
      const z1 = gRgb[i + 1] * rgb[i + 1] * (1 - rgb[i + 1]);
      const z2 = gRgb[i + 2] * rgb[i + 2] * (1 - rgb[i + 2]);
      const o = y * 3 * W + x;
      g[o] = m00 * z0 + m10 * z1 + m20 * z2;
      g[o + W] = m01 * z0 + m11 * z1 + m21 * z2;
      g[o + 2 * W] = m02 * z0 + m12 * z1 + m22 * z2;
    }
  return g;
}

/** Coefficients → RGB in (0, 1), interleaved [H, W, 3] (downloads the planes). */
export async function renderSpectrum(basis: FourierBasis, spectrum: tf.Tensor2D): Promise<Float32Array> {
  const planes = fourierPlanes(basis, spectrum);
  try {
    return planesToRgb((await planes.data()) as Float32Array, basis.size);
  } finally {
    planes.dispose();
  }
}

/**
 * The gradient of a function of the RGB image (values in (0,1)) taken back to the coefficients:
 * through the sigmoid (rgb·(1 − rgb), from the rendered `rgb`), the colour matrix and the DFT.
 */
export function renderAdjoint(basis: FourierBasis, rgb: Float32Array, gRgb: Float32Array): tf.Tensor2D {
  const n = basis.size;
  return tf.tidy(() => fourierPlanesAdjoint(basis, tf.tensor2d(planesToRgbAdjoint(rgb, gRgb, n), [3 * n, n])));
}

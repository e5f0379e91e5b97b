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
 * scale(f) = 1 / max(f, 1/224)^decay · √(H·W) / 4 with f = √(fx² + fy²) in cycles per pixel, as
 * Lucid: √(H·W) against the inverse DFT's 1/(H·W) makes the map unitary up to the 1/f weights, and
 * the 1/4 keeps sigmoid inputs small at the start. Lucid's values: initial sd 0.01, decay 1, the
 * colour matrix below (its `color_correlation_svd_sqrt`, columns normalized to a largest norm of 1).
 *
 * The inverse DFT is two real matrix products (TF.js has no FFT kernel on WASM; at 224×224 the
 * products cost ~100 M multiply-adds, a third of one forward pass), and the engine's hand-written
 * backward pass ends at the pixels, so the way back to the coefficients is written out too
 * (`renderAdjoint`: the transposed products, tested against the forward map by ⟨Rp, g⟩ = ⟨p, Rᵀg⟩).
 *
 * Layout: the coefficients are one [2·H, 3·K] tensor, K = W/2 + 1 frequencies along x: rows 0…H−1
 * are the real parts A[ky, c·K + kx], rows H…2H−1 the imaginary parts B. numpy's irfft2 semantics:
 * img[y,x] = 1/(HW) Σ_ky Σ_kx c_kx · Re(X[ky,kx] e^{2πi(ky·y/H + kx·x/W)}), c = 1 for kx = 0 and
 * W/2, else 2 (the imaginary parts at kx = 0 and W/2 have no effect, as in numpy).
 */
import * as tf from '@tensorflow/tfjs-core';
import { INPUT } from '../../engine/preprocess.js';
import { gaussian, seededRandom } from '../common.js';

const H = INPUT;
const W = INPUT;
/** frequencies along x (rfft): 0 … W/2 */
export const FREQS_X = W / 2 + 1;

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
export function spectrumScale(decay = 1): Float32Array {
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
  /** [[Cy, −Sy], [Sy, Cy]]: the inverse DFT along y on [A; B], [2H, 2H] */
  my: tf.Tensor2D;
  /** [Cx; −Sx] with the rfft weights c_kx and 1/(HW): the inverse real DFT along x, [2K, W] */
  mx: tf.Tensor2D;
  /**
   * Their transposes, for the adjoint: stored, because a transposed operand makes TF.js's WASM
   * matMul ~15× slower (346 vs 22 ms for the 448×448 by 448×339 product, measured).
   */
  myT: tf.Tensor2D;
  mxT: tf.Tensor2D;
  /** spectrumScale for [A; B] in the layout above, [2H, 3K] */
  scale: tf.Tensor2D;
  /** the colour matrix, [3, 3], and its transpose (z = img · colorᵀ) */
  color: tf.Tensor2D;
  colorT: tf.Tensor2D;
  dispose(): void;
}

export function fourierBasis(decay = 1): FourierBasis {
  const my = new Float32Array(2 * H * 2 * H);
  for (let y = 0; y < H; y++)
    for (let k = 0; k < H; k++) {
      const a = (2 * Math.PI * ((y * k) % H)) / H;
      const [c, s] = [Math.cos(a), Math.sin(a)];
      my[y * 2 * H + k] = c; //        P = Cy·A − Sy·B
      my[y * 2 * H + H + k] = -s;
      my[(H + y) * 2 * H + k] = s; //  Q = Sy·A + Cy·B
      my[(H + y) * 2 * H + H + k] = c;
    }
  const mx = new Float32Array(2 * FREQS_X * W);
  for (let k = 0; k < FREQS_X; k++) {
    const weight = (k === 0 || 2 * k === W ? 1 : 2) / (H * W);
    for (let x = 0; x < W; x++) {
      const a = (2 * Math.PI * ((k * x) % W)) / W;
      mx[k * W + x] = weight * Math.cos(a); //               img = P·Cx − Q·Sx
      mx[(FREQS_X + k) * W + x] = -weight * Math.sin(a);
    }
  }
  const s = spectrumScale(decay);
  const scale = new Float32Array(2 * H * 3 * FREQS_X);
  for (let r = 0; r < 2 * H; r++)
    for (let c = 0; c < 3; c++)
      scale.set(s.subarray((r % H) * FREQS_X, (r % H) * FREQS_X + FREQS_X), (r * 3 + c) * FREQS_X);
  const yStep = tf.tensor2d(my, [2 * H, 2 * H]);
  const xStep = tf.tensor2d(mx, [2 * FREQS_X, W]);
  const color = tf.tensor2d(COLOR_MATRIX.flat(), [3, 3]);
  const tensors = {
    my: yStep,
    mx: xStep,
    myT: tf.tidy(() => tf.transpose(yStep)) as tf.Tensor2D,
    mxT: tf.tidy(() => tf.transpose(xStep)) as tf.Tensor2D,
    scale: tf.tensor2d(scale, [2 * H, 3 * FREQS_X]),
    color,
    colorT: tf.tidy(() => tf.transpose(color)) as tf.Tensor2D,
  };
  return { ...tensors, dispose: () => tf.dispose(Object.values(tensors)) };
}

/** Seeded N(0, sd²) coefficients (Lucid: sd 0.01), [2H, 3K]. */
export function randomSpectrum(seed: number, sd = 0.01): tf.Tensor2D {
  const normal = gaussian(seededRandom(seed));
  return tf.tensor2d(
    Float32Array.from({ length: 2 * H * 3 * FREQS_X }, () => sd * normal()),
    [2 * H, 3 * FREQS_X],
  );
}

/** Coefficients → the image in decorrelated colour space, [H, W, 3] (linear). */
export function fourierImage(basis: FourierBasis, spectrum: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const pq = tf.matMul(basis.my, tf.mul(spectrum, basis.scale)); // [2H, 3K]: P over Q
    const [p, q] = tf.split(pq, 2, 0);
    const rows = (t: tf.Tensor) => tf.reshape(t, [H * 3, FREQS_X]); // row = y·3 + c
    const img = tf.matMul(tf.concat([rows(p), rows(q)], 1), basis.mx); // [3H, W]
    return tf.transpose(tf.reshape(img, [H, 3, W]), [0, 2, 1]) as tf.Tensor3D;
  });
}

/** Adjoint of `fourierImage`: gradient w.r.t. the image [H, W, 3] → w.r.t. the coefficients. */
export function fourierImageAdjoint(basis: FourierBasis, gImage: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const g = tf.reshape(tf.transpose(gImage, [0, 2, 1]), [H * 3, W]);
    const gpq = tf.matMul(g, basis.mxT); // [3H, 2K]
    const [gp, gq] = tf.split(gpq, 2, 1);
    const back = (t: tf.Tensor) => tf.reshape(t, [H, 3 * FREQS_X]);
    const gScaled = tf.matMul(basis.myT, tf.concat([back(gp), back(gq)], 0));
    return tf.mul(gScaled, basis.scale) as tf.Tensor2D;
  });
}

/** Decorrelated image → RGB in (0, 1): sigmoid(img · colorᵀ), [H, W, 3]. */
export function toRgb(basis: FourierBasis, img: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() =>
    tf.sigmoid(tf.reshape(tf.matMul(tf.reshape(img, [H * W, 3]), basis.colorT), [H, W, 3])),
  ) as tf.Tensor3D;
}

/** Coefficients → RGB in (0, 1), [H, W, 3]. */
export function renderSpectrum(basis: FourierBasis, spectrum: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => toRgb(basis, fourierImage(basis, spectrum)));
}

/**
 * The gradient of a function of the RGB image (values in (0,1)) taken back to the coefficients:
 * through the sigmoid (rgb·(1 − rgb), from the rendered `rgb`), the colour matrix and the DFT.
 */
export function renderAdjoint(basis: FourierBasis, rgb: tf.Tensor3D, gRgb: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const gz = tf.mul(gRgb, tf.mul(rgb, tf.sub(1, rgb)));
    const gImg = tf.reshape(tf.matMul(tf.reshape(gz, [H * W, 3]), basis.color), [H, W, 3]) as tf.Tensor3D;
    return fourierImageAdjoint(basis, gImg);
  });
}

/**
 * Tensor helpers shared by the visualizations: roll (jitter), Gaussian blur, clipping to the valid
 * pixel range in normalized units, and conversions between normalized tensors and PixelImages.
 * All plain TF.js ops: they run on whatever backend holds the model (WASM, WebGPU, CPU).
 */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD, INPUT } from '../../engine/preprocess.js';
import type { PixelImage } from '../common.js';

/**
 * Circular shift of [N,H,W,C] by dx columns right and dy rows down (negative: left/up); what
 * CS231n's `jitter` does with torch.cat. roll(roll(x, dx, dy), −dx, −dy) is x exactly.
 */
export function roll(x: tf.Tensor4D, dx: number, dy: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const sx = ((dx % w) + w) % w;
    const sy = ((dy % h) + h) % h;
    let y = x;
    if (sy)
      y = tf.concat(
        [tf.slice(y, [0, h - sy, 0, 0], [-1, sy, -1, -1]), tf.slice(y, [0, 0, 0, 0], [-1, h - sy, -1, -1])],
        1,
      );
    if (sx)
      y = tf.concat(
        [tf.slice(y, [0, 0, w - sx, 0], [-1, -1, sx, -1]), tf.slice(y, [0, 0, 0, 0], [-1, -1, w - sx, -1])],
        2,
      );
    return sx || sy ? y : tf.clone(y);
  });
}

/** 1-D Gaussian taps as scipy.ndimage.gaussian_filter1d builds them (truncate 4: radius ⌊4σ + ½⌋). */
export function gaussianTaps(sigma: number): Float32Array {
  const radius = Math.floor(4 * sigma + 0.5);
  const taps = Float32Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  const sum = taps.reduce((s, v) => s + v, 0);
  return taps.map((v) => v / sum);
}

/**
 * Separable Gaussian blur of [N,H,W,3] along H and W, edges mirrored as scipy's default 'reflect'
 * mode (…c b a | a b c…, TF.js 'symmetric'). CS231n blurs every 10 steps with σ = 0.5. Not the
 * same filter as shared/blur.ts `gaussianBlur` (plain arrays, radius 3σ, renormalized borders).
 */
export function gaussianBlurTensor(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (!(sigma > 0)) return tf.clone(x);
  const taps = gaussianTaps(sigma);
  const r = (taps.length - 1) / 2;
  const c = x.shape[3];
  return tf.tidy(() => {
    const kv = tf.tensor4d(
      Float32Array.from({ length: taps.length * c }, (_, i) => taps[Math.floor(i / c)]),
      [taps.length, 1, c, 1],
    );
    const kh = tf.reshape(kv, [1, taps.length, c, 1]) as tf.Tensor4D;
    const padV = tf.mirrorPad(
      x,
      [
        [0, 0],
        [r, r],
        [0, 0],
        [0, 0],
      ],
      'symmetric',
    );
    const v = tf.depthwiseConv2d(padV, kv, 1, 'valid');
    const padH = tf.mirrorPad(
      v,
      [
        [0, 0],
        [0, 0],
        [r, r],
        [0, 0],
      ],
      'symmetric',
    );
    return tf.depthwiseConv2d(padH, kh, 1, 'valid');
  });
}

/** Per-channel bounds of pixels 0 and 255 in normalized units: (0 − mean)/std, (1 − mean)/std. */
export const NORMALIZED_MIN = IMAGENET_MEAN.map((m, c) => -m / IMAGENET_STD[c]);
export const NORMALIZED_MAX = IMAGENET_MEAN.map((m, c) => (1 - m) / IMAGENET_STD[c]);

/** Clip a normalized image to the valid pixel range [0,255] (per channel). */
export function clipNormalized(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(
    () => tf.minimum(tf.maximum(x, tf.tensor1d(NORMALIZED_MIN)), tf.tensor1d(NORMALIZED_MAX)) as tf.Tensor4D,
  );
}

/** Normalized [1,224,224,3] → PixelImage (floats in [0,255], clipped). */
export async function normalizedToPixels(x: tf.Tensor4D): Promise<PixelImage> {
  const t = tf.tidy(() => {
    const std = tf.tensor1d(IMAGENET_STD.map((s) => s * 255));
    const mean = tf.tensor1d(IMAGENET_MEAN.map((m) => m * 255));
    return tf.clipByValue(tf.add(tf.mul(x, std), mean), 0, 255);
  });
  try {
    const data = (await t.data()) as Float32Array;
    return { width: INPUT, height: INPUT, data: Float32Array.from(data) };
  } finally {
    t.dispose();
  }
}

/** PixelImage (any float values) → its 8-bit version, as a PNG of it would store it. */
export function quantizePixels(image: PixelImage): PixelImage {
  return {
    width: image.width,
    height: image.height,
    data: Float32Array.from(image.data, (v) => Math.min(255, Math.max(0, Math.round(v)))),
  };
}

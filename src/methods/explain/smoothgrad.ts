/**
 * SmoothGrad (Smilkov et al. 2017) as a higher-order method: it wraps ANY per-channel
 * attribution method and averages that method's attribution over noisy copies of the image,
 *   SG(x) = 1/n Σ_k A(x + ε_k),  ε_k ~ N(0, σ²),  σ = noiseLevel · (max(x) − min(x)),
 * with the image's own value range, as in the paper and PAIR's saliency library (noise level
 * 10–20 % works best there; default 15 %). The noise is not clipped to [0, 255] (the paper
 * doesn't either). `magnitude: true` averages A² instead (SmoothGrad-Squared, Hooker et al.).
 *
 * Noise is seeded; samples go through the engine in batches (default 8) with progress reports
 * and cancellation between batches. Averages are accumulated in float64, so with zero noise the
 * result is the wrapped method's attribution itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  gaussianNoise,
  type Model,
  type PixelImage,
  type RunControl,
  throwIfCancelled,
  yieldToEventLoop,
} from '../common.js';
import {
  type AttributionMethod,
  type ExplainOptions,
  explainWith,
  positiveInteger,
  type SaliencyMap,
} from './saliency.js';

export interface SmoothGradOptions {
  /** number of noisy samples (default 50) */
  samples?: number;
  /** σ as a fraction of the image's value range (default 0.15) */
  noiseLevel?: number;
  /** seed of the noise (default 0) */
  seed?: number;
  /** noisy images per engine call (default 8) */
  batchSize?: number;
  /** average the squared attribution (SmoothGrad²) */
  magnitude?: boolean;
}

export const SMOOTHGRAD_DEFAULTS = { samples: 50, noiseLevel: 0.15, seed: 0, batchSize: 8, magnitude: false } as const;

/** Wrap an attribution method: the result is an attribution method too (it can be wrapped again). */
export function smoothGrad(method: AttributionMethod, options: SmoothGradOptions = {}): AttributionMethod {
  const samples = positiveInteger(options.samples ?? SMOOTHGRAD_DEFAULTS.samples, 'samples');
  const batchSize = positiveInteger(options.batchSize ?? SMOOTHGRAD_DEFAULTS.batchSize, 'batchSize');
  const noiseLevel = options.noiseLevel ?? SMOOTHGRAD_DEFAULTS.noiseLevel;
  if (!Number.isFinite(noiseLevel) || noiseLevel < 0) {
    throw new RangeError(`noiseLevel must be ≥ 0, got ${noiseLevel}`);
  }
  const seed = options.seed ?? SMOOTHGRAD_DEFAULTS.seed;
  const magnitude = options.magnitude ?? SMOOTHGRAD_DEFAULTS.magnitude;
  return {
    name: `smoothgrad${magnitude ? '²' : ''}(${method.name})`,
    reduction: method.reduction,
    units:
      `mean over ${samples} noisy copies (σ = ${noiseLevel} × range) of ` +
      `${magnitude ? 'the squared ' : ''}${method.units}`,
    async attribute(model: Model, pixels: tf.Tensor4D, target, control: RunControl = {}) {
      const [n, h, w, c] = pixels.shape;
      const size = h * w * c;
      const all = (await pixels.data()) as Float32Array;
      const noise = gaussianNoise(seed);
      const batches = Math.ceil(samples / batchSize);
      const results: Float32Array[] = [];
      let channels = 0;
      for (let e = 0; e < n; e++) {
        const image = all.subarray(e * size, (e + 1) * size);
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of image) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        const sigma = noiseLevel * (hi - lo);
        let sum: Float64Array | null = null;
        for (let b = 0; b < batches; b++) {
          throwIfCancelled(control.signal, 'SmoothGrad');
          const count = Math.min(batchSize, samples - b * batchSize);
          const noisy = new Float32Array(count * size);
          for (let k = 0; k < count; k++) {
            const copy = noisy.subarray(k * size, (k + 1) * size);
            if (sigma === 0) copy.set(image);
            else noise(copy, image, sigma);
          }
          const batch = tf.tensor4d(noisy, [count, h, w, c]);
          let attribution: tf.Tensor4D;
          try {
            // the inner method gets the signal but not the progress callback: progress is ours
            attribution = await method.attribute(model, batch, target, { signal: control.signal });
          } finally {
            batch.dispose();
          }
          const a = (await attribution.data()) as Float32Array;
          channels = attribution.shape[3];
          attribution.dispose();
          const per = a.length / count;
          sum ??= new Float64Array(per);
          for (let k = 0; k < count; k++) {
            const o = k * per;
            if (magnitude)
              for (let i = 0; i < per; i++) {
                const v = a[o + i];
                sum[i] += v * v;
              }
            else for (let i = 0; i < per; i++) sum[i] += a[o + i];
          }
          const done = b * batchSize + count;
          control.onProgress?.({
            step: e * samples + done,
            total: n * samples,
            message: `SmoothGrad: ${done}/${samples} noisy samples`,
          });
          await yieldToEventLoop();
        }
        results.push(Float32Array.from(sum!, (v) => v / samples));
      }
      const out = new Float32Array(results.reduce((s, r) => s + r.length, 0));
      for (const [e, r] of results.entries()) out.set(r, e * r.length);
      return tf.tensor4d(out, [n, h, w, channels]);
    },
  };
}

export interface SmoothGradMapOptions extends ExplainOptions, SmoothGradOptions {}

/** SmoothGrad of `method` on one image, reduced like the wrapped method (or `options.reduction`). */
export async function smoothGradMap(
  model: Model,
  image: PixelImage,
  method: AttributionMethod,
  options: SmoothGradMapOptions = {},
  control: RunControl = {},
): Promise<SaliencyMap> {
  return explainWith(smoothGrad(method, options), model, image, options, control);
}

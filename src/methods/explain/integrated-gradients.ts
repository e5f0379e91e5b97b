/**
 * Integrated Gradients (Sundararajan, Taly & Yan 2017):
 *   IG_i(x) = (x_i − x'_i) · ∫₀¹ ∂f/∂x_i (x' + α (x − x')) dα,
 * in pixel space, the integral by a Riemann sum: 'midpoint' (α_k = (k + ½)/m, k < m; default) or
 * 'trapezoid' (α_k = k/m, k ≤ m, half weight at both ends). Interpolated images go through the
 * engine in batches (default 8), with progress and cancellation between batches.
 *
 * Baselines: 'black' (all pixels 0), 'blur' (the image under a Gaussian blur of σ pixels, default
 * 16: object detail gone, colours kept — Sturmfels et al., "Visualizing the Impact of Feature
 * Attribution Baselines", Distill 2020), or any pixel image.
 *
 * Completeness: Σ_i IG_i = f(x) − f(x') exactly for the integral; the Riemann sum's error is
 * reported (absolute and relative to |f(x) − f(x')|). It holds for the function whose gradient is
 * integrated: f is the target's score; with the raw score that is the class logit (the 'logits'
 * head, mean of the ReLU'd class map) or the pre-ReLU logit. Both are continuous and piecewise
 * smooth (ReLUs, max-pools), so the sum converges as steps grow; the kinks are what make few
 * steps inaccurate. The map is the signed channel sum, so its sum is the total attribution.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gaussianBlur } from '../../shared/blur.js';
import {
  type Model,
  type PixelImage,
  pixelImage,
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
  SIZE,
  scoreValues,
  type Target,
} from './saliency.js';
import { pixelGradient } from './vanilla.js';

export type BaselineKind = 'black' | 'blur';
export type RiemannRule = 'midpoint' | 'trapezoid';

export const BASELINE_DESCRIPTIONS: Record<BaselineKind, string> = {
  black: 'a black image (all pixels 0)',
  blur: 'the image under a Gaussian blur (σ = blurSigma pixels)',
};

export interface IntegratedGradientsOptions {
  /** Riemann steps (default 50) */
  steps?: number;
  /** default 'black' */
  baseline?: BaselineKind | PixelImage;
  /** σ of the blurred baseline, in pixels (default 16) */
  blurSigma?: number;
  /** default 'midpoint' */
  rule?: RiemannRule;
  /** interpolated images per engine call (default 8) */
  batchSize?: number;
}

export const IG_DEFAULTS = { steps: 50, baseline: 'black', blurSigma: 16, rule: 'midpoint', batchSize: 8 } as const;

export interface Completeness {
  /** Σ attributions */
  attributionSum: number;
  /** f(x) */
  scoreAtInput: number;
  /** f(baseline) */
  scoreAtBaseline: number;
  /** |Σ attributions − (f(x) − f(baseline))| */
  absoluteError: number;
  /** absoluteError / |f(x) − f(baseline)| (0 when both are 0, ∞ when only the difference is) */
  relativeError: number;
}

/** The baseline image for one image's pixels (H×W×3). */
export function baselineFor(
  pixels: Float32Array,
  baseline: BaselineKind | PixelImage = 'black',
  blurSigma: number = IG_DEFAULTS.blurSigma,
): Float32Array {
  if (typeof baseline === 'object') {
    if (baseline.data.length !== pixels.length)
      throw new RangeError(`baseline has ${baseline.data.length} values, the image ${pixels.length}`);
    return baseline.data;
  }
  if (baseline === 'black') return new Float32Array(pixels.length);
  if (baseline === 'blur') return gaussianBlur(pixels, SIZE, SIZE, 3, blurSigma);
  throw new RangeError(`unknown baseline ${String(baseline)} (use black, blur or an image)`);
}

/** Interpolation points and weights of the Riemann sum over [0, 1]. */
export function riemann(steps: number, rule: RiemannRule): { alphas: number[]; weights: number[] } {
  positiveInteger(steps, 'steps');
  if (rule === 'midpoint')
    return {
      alphas: Array.from({ length: steps }, (_, k) => (k + 0.5) / steps),
      weights: new Array(steps).fill(1 / steps),
    };
  if (rule === 'trapezoid') {
    const alphas = Array.from({ length: steps + 1 }, (_, k) => k / steps);
    return { alphas, weights: alphas.map((_, k) => (k === 0 || k === steps ? 0.5 : 1) / steps) };
  }
  throw new RangeError(`unknown rule ${String(rule)} (use midpoint or trapezoid)`);
}

interface IgOne {
  attribution: Float32Array;
  completeness: Completeness;
}

async function integrateOne(
  model: Model,
  x: Float32Array,
  target: Target,
  options: IntegratedGradientsOptions,
  control: RunControl,
  report: (done: number, total: number) => void,
): Promise<IgOne> {
  const steps = options.steps ?? IG_DEFAULTS.steps;
  const rule = options.rule ?? IG_DEFAULTS.rule;
  const batchSize = positiveInteger(options.batchSize ?? IG_DEFAULTS.batchSize, 'batchSize');
  const { alphas, weights } = riemann(steps, rule);
  const base = baselineFor(x, options.baseline ?? IG_DEFAULTS.baseline, options.blurSigma ?? IG_DEFAULTS.blurSigma);
  const size = x.length;
  const delta = Float32Array.from(x, (v, i) => v - base[i]);
  const avgGrad = new Float64Array(size);
  for (let start = 0; start < alphas.length; start += batchSize) {
    throwIfCancelled(control.signal, 'Integrated Gradients');
    const count = Math.min(batchSize, alphas.length - start);
    const points = new Float32Array(count * size);
    for (let k = 0; k < count; k++) {
      const a = alphas[start + k];
      for (let i = 0; i < size; i++) points[k * size + i] = base[i] + a * delta[i];
    }
    const batch = tf.tensor4d(points, [count, SIZE, SIZE, 3]);
    let grad: tf.Tensor4D;
    try {
      grad = await pixelGradient(model, batch, target, control);
    } finally {
      batch.dispose();
    }
    const g = (await grad.data()) as Float32Array;
    grad.dispose();
    for (let k = 0; k < count; k++) {
      const wgt = weights[start + k];
      for (let i = 0; i < size; i++) avgGrad[i] += wgt * g[k * size + i];
    }
    report(start + count, alphas.length);
    await yieldToEventLoop();
  }
  const attribution = new Float32Array(size);
  let attributionSum = 0;
  for (let i = 0; i < size; i++) {
    const a = delta[i] * avgGrad[i];
    attribution[i] = a;
    attributionSum += a;
  }
  const ends = new Float32Array(2 * size);
  ends.set(x);
  ends.set(base, size);
  const endsT = tf.tensor4d(ends, [2, SIZE, SIZE, 3]);
  const [scoreAtInput, scoreAtBaseline] = await scoreValues(model, endsT, target).finally(() => endsT.dispose());
  const difference = scoreAtInput - scoreAtBaseline;
  const absoluteError = Math.abs(attributionSum - difference);
  return {
    attribution,
    completeness: {
      attributionSum,
      scoreAtInput,
      scoreAtBaseline,
      absoluteError,
      relativeError: difference === 0 ? (absoluteError === 0 ? 0 : Infinity) : absoluteError / Math.abs(difference),
    },
  };
}

/** IG as a per-channel attribution method (e.g. for SmoothGrad); completeness is not reported here. */
export function integratedGradientsMethod(options: IntegratedGradientsOptions = {}): AttributionMethod {
  const baseline = options.baseline ?? IG_DEFAULTS.baseline;
  const baselineName =
    typeof baseline === 'object'
      ? 'a given image'
      : baseline === 'blur'
        ? `blur σ=${options.blurSigma ?? IG_DEFAULTS.blurSigma}`
        : baseline;
  return {
    name: 'ig',
    reduction: 'sum',
    units:
      `integrated gradients (baseline: ${baselineName}, ${options.steps ?? IG_DEFAULTS.steps} steps): ` +
      '(pixel − baseline) · mean ∂score/∂pixel on the path',
    async attribute(model, pixels, target, control = {}) {
      const [n] = pixels.shape;
      const all = (await pixels.data()) as Float32Array;
      const size = all.length / n;
      const out = new Float32Array(all.length);
      for (let e = 0; e < n; e++) {
        const one = await integrateOne(
          model,
          all.slice(e * size, (e + 1) * size),
          target,
          options,
          control,
          (done, total) =>
            control.onProgress?.({
              step: e * total + done,
              total: n * total,
              message: `Integrated Gradients: ${done}/${total} steps`,
            }),
        );
        out.set(one.attribution, e * size);
      }
      return tf.tensor4d(out, pixels.shape);
    },
  };
}

export interface IntegratedGradientsResult extends SaliencyMap {
  completeness: Completeness;
  baseline: PixelImage;
  steps: number;
  rule: RiemannRule;
}

export interface IntegratedGradientsMapOptions extends ExplainOptions, IntegratedGradientsOptions {}

/** Integrated Gradients of one image, with the baseline used and the completeness check. */
export async function integratedGradients(
  model: Model,
  image: PixelImage,
  options: IntegratedGradientsMapOptions = {},
  control: RunControl = {},
): Promise<IntegratedGradientsResult> {
  let completeness: Completeness | undefined;
  const method: AttributionMethod = {
    ...integratedGradientsMethod(options),
    async attribute(m, pixels, target, ctl = {}) {
      const one = await integrateOne(m, (await pixels.data()) as Float32Array, target, options, ctl, (done, total) =>
        ctl.onProgress?.({ step: done, total, message: `Integrated Gradients: ${done}/${total} steps` }),
      );
      completeness = one.completeness;
      return tf.tensor4d(one.attribution, [1, SIZE, SIZE, 3]);
    },
  };
  const map = await explainWith(method, model, image, options, control);
  return {
    ...map,
    completeness: completeness!,
    baseline: pixelImage(
      baselineFor(image.data, options.baseline ?? IG_DEFAULTS.baseline, options.blurSigma ?? IG_DEFAULTS.blurSigma),
    ),
    steps: options.steps ?? IG_DEFAULTS.steps,
    rule: options.rule ?? IG_DEFAULTS.rule,
  };
}

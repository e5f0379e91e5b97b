/**
 * Occlusion sensitivity (Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks",
 * ECCV 2014): slide a square patch over the 224×224 input, replace what it covers by a baseline,
 * and record how much the class's probability drops, p(image) − p(occluded). Each pixel gets the
 * mean drop of the patches covering it. No gradients: forward passes only, in batches (one
 * model.run per batch) with progress and cancellation between batches.
 *
 * Positions run from 0 in steps of `stride`; when (224 − patch) is not a multiple of the stride a
 * last position flush with the far edge is added, so every pixel is covered by at least one patch
 * (otherwise the right/bottom strip would have no value).
 *
 * Baselines: 'grey' (the ImageNet mean colour: exactly 0 after normalization, the network's own
 * "nothing"), 'black' (all 0), 'blur' (the image under a Gaussian blur of σ pixels, default 16, as
 * IG's blurred baseline: detail gone, colours kept). The drop is signed: a negative value means
 * hiding that region made the class MORE likely.
 */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN } from '../../engine/preprocess.js';
import { disposeResult } from '../../engine/squeezenet.js';
import { gaussianBlur } from '../../shared/blur.js';
import { OCCLUSION_DEFAULTS, type OcclusionBaseline } from '../../shared/catalog.js';
import {
  type Model,
  type PixelImage,
  pixelsToInput,
  type RunControl,
  throwIfCancelled,
  yieldToEventLoop,
} from '../common.js';
import {
  mapStats,
  PIXELS,
  positiveInteger,
  resolveTarget,
  type SaliencyMap,
  SIZE,
  type TargetOptions,
  validateImage,
} from './saliency.js';

export type { OcclusionBaseline };

export const OCCLUSION_BASELINE_DESCRIPTIONS: Record<OcclusionBaseline, string> = {
  grey: 'the ImageNet mean colour (0 after normalization)',
  black: 'black (all pixels 0)',
  blur: 'the image under a Gaussian blur (σ = blurSigma pixels)',
};

export interface OcclusionOptions extends TargetOptions {
  /** side of the square patch in pixels, 1…224 (default 16) */
  patch?: number;
  /** step between patch positions in pixels (default 8) */
  stride?: number;
  /** what replaces the occluded square (default 'grey') */
  baseline?: OcclusionBaseline;
  /** σ of the 'blur' baseline in pixels (default 16) */
  blurSigma?: number;
  /** occluded copies per model.run (default 8: 729 copies in 8.3–8.8 s against 8.9–11.0 at 32, Node, interleaved) */
  occlusionBatch?: number;
}

export interface OcclusionResult extends SaliencyMap {
  patch: number;
  stride: number;
  baseline: OcclusionBaseline;
  /** number of occluded copies classified */
  patches: number;
}

/** Top-left corners along one axis: 0, stride, …, plus one flush with the edge if needed. */
export function patchPositions(patch: number, stride: number, size: number = SIZE): number[] {
  positiveInteger(patch, 'patch');
  positiveInteger(stride, 'stride');
  if (patch > size) throw new RangeError(`patch must be at most ${size}, got ${patch}`);
  const out: number[] = [];
  for (let p = 0; p + patch <= size; p += stride) out.push(p);
  if (out[out.length - 1] !== size - patch) out.push(size - patch);
  return out;
}

/** The fill image (H×W×3 pixels) the patches copy from. */
export function occlusionFill(
  pixels: Float32Array,
  baseline: OcclusionBaseline,
  blurSigma: number = OCCLUSION_DEFAULTS.blurSigma,
): Float32Array {
  if (baseline === 'black') return new Float32Array(pixels.length);
  if (baseline === 'grey') {
    // Float32 of m·255, as pixelsToInput's mean tensor holds it, so (fill − mean) is exactly 0.
    const fill = new Float32Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) fill[i] = IMAGENET_MEAN[i % 3] * 255;
    return fill;
  }
  if (baseline === 'blur') return gaussianBlur(pixels, SIZE, SIZE, 3, blurSigma);
  throw new RangeError(`unknown baseline ${String(baseline)} (use grey, black or blur)`);
}

/** The class's probability for each of a batch of pixel images (one forward pass). */
async function probabilities(model: Model, pixels: tf.Tensor4D, classIndex: number): Promise<Float32Array> {
  const input = pixelsToInput(pixels);
  const r = model.run(input);
  try {
    const column = tf.tidy(() => tf.reshape(tf.slice(r.probs, [0, classIndex], [-1, 1]), [-1]));
    try {
      return (await column.data()) as Float32Array;
    } finally {
      column.dispose();
    }
  } finally {
    disposeResult(r);
    input.dispose();
  }
}

/** Occlusion sensitivity map of one image for its predicted class (or `classIndex`). */
export async function occlusion(
  model: Model,
  image: PixelImage,
  options: OcclusionOptions = {},
  control: RunControl = {},
): Promise<OcclusionResult> {
  validateImage(image);
  const patch = options.patch ?? OCCLUSION_DEFAULTS.patch;
  const stride = options.stride ?? OCCLUSION_DEFAULTS.stride;
  const baseline = options.baseline ?? OCCLUSION_DEFAULTS.baseline;
  const batchSize = positiveInteger(options.occlusionBatch ?? OCCLUSION_DEFAULTS.batchSize, 'occlusionBatch');
  const positions = patchPositions(patch, stride);
  const fill = occlusionFill(image.data, baseline, options.blurSigma ?? OCCLUSION_DEFAULTS.blurSigma);
  throwIfCancelled(control.signal, 'occlusion');
  const target = await resolveTarget(model, image, options);
  const corners: [number, number][] = [];
  for (const y of positions) for (const x of positions) corners.push([y, x]);
  const total = corners.length;
  const sum = new Float64Array(PIXELS);
  const count = new Uint32Array(PIXELS);
  const size = PIXELS * 3;
  const row = patch * 3;
  for (let start = 0; start < total; start += batchSize) {
    throwIfCancelled(control.signal, 'occlusion');
    const n = Math.min(batchSize, total - start);
    const copies = new Float32Array(n * size);
    for (let k = 0; k < n; k++) {
      const [y0, x0] = corners[start + k];
      const base = k * size;
      copies.set(image.data, base);
      for (let y = y0; y < y0 + patch; y++) {
        const at = (y * SIZE + x0) * 3;
        copies.set(fill.subarray(at, at + row), base + at);
      }
    }
    const batch = tf.tensor4d(copies, [n, SIZE, SIZE, 3]);
    const p = await probabilities(model, batch, target.classIndex).finally(() => batch.dispose());
    for (let k = 0; k < n; k++) {
      const [y0, x0] = corners[start + k];
      const drop = target.probability - p[k];
      for (let y = y0; y < y0 + patch; y++) {
        for (let x = x0, i = y * SIZE + x0; x < x0 + patch; x++, i++) {
          sum[i] += drop;
          count[i]++;
        }
      }
    }
    const done = start + n;
    control.onProgress?.({ step: done, total, message: `occlusion: ${done}/${total} patches` });
    await yieldToEventLoop();
  }
  const data = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) data[i] = sum[i] / count[i];
  return {
    width: SIZE,
    height: SIZE,
    data,
    method: 'occlusion',
    classIndex: target.classIndex,
    score: target.score,
    head: target.head,
    scoreValue: target.scoreValue,
    probability: target.probability,
    reduction: 'none',
    units:
      `drop in the class probability when a ${patch}×${patch} patch (stride ${stride}, ${baseline}) hides ` +
      'the pixel: p(image) − p(occluded), mean over the patches covering it',
    stats: mapStats(data),
    patch,
    stride,
    baseline,
    patches: total,
  };
}

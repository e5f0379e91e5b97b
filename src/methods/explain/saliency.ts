/**
 * What the saliency methods share: the map type, the target (class, score, head), per-channel
 * attribution methods as values (so SmoothGrad can wrap any of them), and the reduction from a
 * per-channel attribution to one value per pixel.
 *
 * Conventions (every method):
 *  - Attributions live in PIXEL space: the image is 224×224×3 in [0, 255] and gradients are
 *    ∂score/∂pixel (per unit of 0–255), i.e. the engine's gradient w.r.t. the normalized input
 *    divided by 255·std per channel (`inputGradToPixelGrad`). Maps of different methods are in
 *    different units; use `rankNormalize` (postprocess.ts) to compare them.
 *  - The class defaults to the predicted one (argmax of the logits users see); any of the 1000
 *    classes can be given.
 *  - The head (see ../../engine/scores.ts) defaults to 'auto': the reference logit (class map →
 *    ReLU → mean) when it is positive; otherwise the pre-ReLU logit. A logit clamped at 0 (the
 *    whole 13×13 class map is negative) has an identically zero gradient, so every gradient map
 *    of it would be blank; its pre-ReLU logit still says which pixels would raise the class. On
 *    photos this is rare (no class of the 12 test photos has it); on flat or synthetic images
 *    and randomized models it happens (23 classes of a flat grey image). The head actually used
 *    is reported.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { NUM_CLASSES } from '../../engine/architecture.js';
import { classScore, SCORE_DESCRIPTIONS, type ScoreFn, type ScoreHead, type ScoreKind } from '../../engine/scores.js';
import { disposeResult } from '../../engine/squeezenet.js';
import { argmax } from '../../shared/numeric.js';
import {
  type Model,
  type PixelImage,
  pixelsToInput,
  pixelTensor,
  type RunControl,
  throwIfCancelled,
} from '../common.js';

export const SIZE = 224;
export const PIXELS = SIZE * SIZE;

export type { ScoreHead, ScoreKind };
export { SCORE_DESCRIPTIONS };

export const HEAD_DESCRIPTIONS: Record<ScoreHead | 'auto', string> = {
  logits: 'class logit as the network outputs it (class map → ReLU → mean)',
  preReluLogits: 'pre-ReLU class logit (class map → mean); never has a blank gradient',
  auto: 'the class logit when it is positive, else the pre-ReLU logit (a logit clamped at 0 has zero gradient)',
};

/** How a per-channel attribution (H×W×C) becomes one value per pixel. */
export type ChannelReduction = 'maxAbs' | 'sumAbs' | 'sum' | 'l2';

/** Which score of which class a method explains. */
export interface TargetOptions {
  /** ImageNet class index 0…999; default: the predicted class */
  classIndex?: number;
  /** default 'raw' (see SCORE_DESCRIPTIONS) */
  score?: ScoreKind;
  /** default 'auto' (see HEAD_DESCRIPTIONS) */
  head?: ScoreHead | 'auto';
  /**
   * The forward pass's outputs at this very image, when the caller already has them (a saliency
   * job's classification, on the same input): the target is resolved from them instead of
   * another forward pass. They must be the model's own outputs for the image (not checked).
   */
  heads?: ForwardHeads;
}

/** One image's forward outputs, as `classify` reads them. */
export interface ForwardHeads {
  logits: ArrayLike<number>;
  probs: ArrayLike<number>;
  preReluLogits: ArrayLike<number>;
}

export interface Target {
  classIndex: number;
  score: ScoreKind;
  head: ScoreHead;
}

export interface MapStats {
  min: number;
  max: number;
  mean: number;
  /** sum over all pixels (for signed attribution maps: the total attribution) */
  sum: number;
  std: number;
}

export interface SaliencyMap {
  width: typeof SIZE;
  height: typeof SIZE;
  /** one value per pixel, row-major H×W */
  data: Float32Array;
  /** e.g. 'vanilla', 'gradxinput', 'smoothgrad(vanilla)', 'ig', 'gradcam' */
  method: string;
  classIndex: number;
  score: ScoreKind;
  head: ScoreHead;
  /** the score's value at the image */
  scoreValue: number;
  /** the class's probability at the image (softmax of the logits) */
  probability: number;
  /** how `attribution` became `data` ('none' when the method makes a map directly) */
  reduction: ChannelReduction | 'none';
  /** per-channel attribution, H×W×C row-major, pixel space; absent when the method has none */
  attribution?: Float32Array;
  channels?: number;
  /** what the attribution's values mean (before `reduction`), for legends and help */
  units: string;
  stats: MapStats;
}

/**
 * A per-channel attribution method, as a value: SmoothGrad (and anything else higher-order)
 * wraps these. `attribute` gets a batch of pixel images [N,224,224,3] and returns an
 * attribution [N,224,224,C] (C = 3, or 1 for maps without colour channels), owned by the
 * caller; it must not dispose `pixels`.
 */
export interface AttributionMethod {
  name: string;
  /** default reduction to one value per pixel */
  reduction: ChannelReduction;
  units: string;
  attribute(model: Model, pixels: tf.Tensor4D, target: Target, control?: RunControl): Promise<tf.Tensor4D>;
}

export function validateClass(classIndex: number): void {
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= NUM_CLASSES) {
    throw new RangeError(`class index must be an integer in [0, ${NUM_CLASSES - 1}], got ${classIndex}`);
  }
}

export function validateImage(image: PixelImage): void {
  if (!image || !(image.data instanceof Float32Array) || image.data.length !== PIXELS * 3) {
    throw new RangeError(`expected a ${SIZE}×${SIZE}×3 pixel image (Float32Array of ${PIXELS * 3})`);
  }
  for (let i = 0; i < image.data.length; i++) {
    if (!Number.isFinite(image.data[i])) throw new RangeError(`image value ${i} is not finite`);
  }
}

export function validateScore(score: ScoreKind, head: ScoreHead | 'auto'): void {
  if (!(score in SCORE_DESCRIPTIONS))
    throw new RangeError(`unknown score ${String(score)} (use ${Object.keys(SCORE_DESCRIPTIONS).join(', ')})`);
  if (!(head in HEAD_DESCRIPTIONS))
    throw new RangeError(`unknown head ${String(head)} (use ${Object.keys(HEAD_DESCRIPTIONS).join(', ')})`);
}

export function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Forward pass of one image: logits and probabilities. */
export async function classify(
  model: Model,
  pixels: tf.Tensor4D,
): Promise<{ logits: Float32Array; probs: Float32Array; preReluLogits: Float32Array }> {
  const input = pixelsToInput(pixels);
  const r = model.run(input);
  try {
    return {
      logits: (await r.logits.data()) as Float32Array,
      probs: (await r.probs.data()) as Float32Array,
      preReluLogits: (await r.preReluLogits.data()) as Float32Array,
    };
  } finally {
    disposeResult(r);
    input.dispose();
  }
}

/**
 * Class, score and head for one image (the image's own prediction when no class is given), from
 * a forward pass, or from `options.heads` when given.
 */
export async function resolveTarget(
  model: Model,
  image: PixelImage,
  options: TargetOptions = {},
): Promise<Target & { logit: number; probability: number; scoreValue: number }> {
  const score = options.score ?? 'raw';
  const head = options.head ?? 'auto';
  validateScore(score, head);
  if (options.classIndex !== undefined) validateClass(options.classIndex);
  let heads = options.heads;
  if (!heads) {
    const px = pixelTensor(image);
    heads = await classify(model, px).finally(() => px.dispose());
  }
  const classIndex = options.classIndex ?? argmax(heads.logits);
  const resolvedHead: ScoreHead = head === 'auto' ? (heads.logits[classIndex] > 0 ? 'logits' : 'preReluLogits') : head;
  return {
    classIndex,
    score,
    head: resolvedHead,
    logit: heads.logits[classIndex],
    probability: heads.probs[classIndex],
    scoreValue: scoreFromHead(resolvedHead === 'logits' ? heads.logits : heads.preReluLogits, classIndex, score),
  };
}

/** The score's value from one example's head values (as classScore defines it), in float64. */
export function scoreFromHead(z: ArrayLike<number>, classIndex: number, kind: ScoreKind): number {
  const s = z[classIndex];
  if (kind === 'raw') return s;
  if (kind === 'l2') return (1 - s) ** 2;
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) m = Math.max(m, z[i]);
  let e = 0;
  for (let i = 0; i < z.length; i++) e += Math.exp(z[i] - m);
  return Math.log(e) + m - s;
}

/** The score function of a target for a batch of n copies. */
export function scoreFor(target: Target, n: number) {
  return classScore(new Array(n).fill(target.classIndex), target.score, target.head);
}

/**
 * Run options for a caller that reads only the score and its gradients, not the logits: a class
 * score (raw or L2) runs the classifier for its class alone (1.1 ms of a 224 pass: the engine's
 * heads: 'score'); cross-entropy needs all 1000.
 */
export function scoreOnly(target: Target, n: number): { score: ScoreFn; heads: true | 'score' } {
  const score = scoreFor(target, n);
  return { score, heads: score.support ? 'score' : true };
}

/** The score's value at each of a batch of pixel images (forward only). */
export async function scoreValues(model: Model, pixels: tf.Tensor4D, target: Target): Promise<Float64Array> {
  const input = pixelsToInput(pixels);
  const r = model.run(input, { ...scoreOnly(target, pixels.shape[0]), gradients: [] });
  try {
    return Float64Array.from((await r.score!.data()) as Float32Array);
  } finally {
    disposeResult(r);
    input.dispose();
  }
}

/** Reduce an H×W×C attribution to H×W. */
export function reduceChannels(
  attribution: ArrayLike<number>,
  channels: number,
  reduction: ChannelReduction,
): Float32Array {
  const n = attribution.length / channels;
  if (!Number.isInteger(n))
    throw new RangeError(`attribution length ${attribution.length} is not a multiple of ${channels} channels`);
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let acc = 0;
    for (let c = 0; c < channels; c++) {
      const v = attribution[p * channels + c];
      if (reduction === 'maxAbs') acc = Math.max(acc, Math.abs(v));
      else if (reduction === 'sumAbs') acc += Math.abs(v);
      else if (reduction === 'sum') acc += v;
      else if (reduction === 'l2') acc += v * v;
      else throw new RangeError(`unknown reduction ${String(reduction)}`);
    }
    out[p] = reduction === 'l2' ? Math.sqrt(acc) : acc;
  }
  return out;
}

export function mapStats(data: ArrayLike<number>): MapStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
  }
  const mean = sum / data.length;
  return { min, max, mean, sum, std: Math.sqrt(Math.max(0, sq / data.length - mean * mean)) };
}

export interface ExplainOptions extends TargetOptions {
  /** override the method's default channel reduction */
  reduction?: ChannelReduction;
}

/** Run a per-channel attribution method on one image and reduce it to a saliency map. */
export async function explainWith(
  method: AttributionMethod,
  model: Model,
  image: PixelImage,
  options: ExplainOptions = {},
  control: RunControl = {},
): Promise<SaliencyMap> {
  validateImage(image);
  throwIfCancelled(control.signal, method.name);
  const target = await resolveTarget(model, image, options);
  const px = pixelTensor(image);
  let attributionTensor: tf.Tensor4D;
  try {
    attributionTensor = await method.attribute(model, px, target, control);
  } finally {
    px.dispose();
  }
  const channels = attributionTensor.shape[3];
  const attribution = (await attributionTensor.data()) as Float32Array;
  attributionTensor.dispose();
  const reduction = options.reduction ?? method.reduction;
  const data = reduceChannels(attribution, channels, reduction);
  return {
    width: SIZE,
    height: SIZE,
    data,
    method: method.name,
    classIndex: target.classIndex,
    score: target.score,
    head: target.head,
    scoreValue: target.scoreValue,
    probability: target.probability,
    reduction,
    attribution,
    channels,
    units: method.units,
    stats: mapStats(data),
  };
}

/**
 * Fooling images from noise (Nguyen, Yosinski & Clune, "Deep Neural Networks are Easily Fooled",
 * CVPR 2015, the gradient-ascent variant of their §3): start from seeded uniform noise and climb the
 * target's log-probability with no natural-image prior at all, until SqueezeNet calls the 8-bit
 * image the target with ≥ 99 %. The result still looks like noise to a person — the point of
 * showing it beside the class visualization, which adds jitter, blur and L2 decay to look like
 * something.
 *
 * Everything but the start and the score is the fooling images' loop (uint8.ts): the L2-normalized
 * step of the CS231n attack (lr 50 px), and the 8-bit guarantee — success is judged on the rounded
 * bytes, re-classified as a decoded PNG is; if rounding drops the target below the goal, the ascent
 * goes on from the rounded image.
 *
 * Score: log p(target) = l_t − logsumexp(l) on the reference logits, whose gradient is
 * onehot − softmax. Where the target's logit is exactly 0 (its whole 13×13 class map negative, so
 * the ReLU kills the onehot part: 2–4 of the 1000 classes on N(0,1) noise, visualize/
 * class-visualization.ts) the onehot part goes to the pre-ReLU logit instead, which always has a
 * gradient, chosen per step inside the graph as class visualization's 'auto' head does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NUM_CLASSES } from '../../engine/architecture.js';
import { INPUT } from '../../engine/preprocess.js';
import type { ScoreFn } from '../../engine/scores.js';
import { FOOL_MARGIN, FROM_NOISE_DEFAULTS } from '../../shared/catalog.js';
import { argmax } from '../../shared/numeric.js';
import { type Model, type PixelImage, seededRandom } from '../common.js';
import { l2Step } from './cs231n.js';
import { VALUES } from './metrics.js';
import { type AttackControl, attackLoop, checkClass, checkMinProb, classifyUint8, uint8Bounds } from './uint8.js';

export interface FromNoiseOptions extends AttackControl {
  /** L2 length of each step in pixels (default 50, the CS231n attack's) */
  lr?: number;
  /** at most this many steps (default 300) */
  maxIterations?: number;
  /** seed of the starting noise (default 0) */
  seed?: number;
}

export interface FromNoiseResult {
  target: number;
  /** the 8-bit image below is the target with p ≥ minProb (and the margin) */
  success: boolean;
  /** the returned 8-bit image, 224×224×3 RGB row-major: what users download */
  pixels: Uint8ClampedArray;
  image: PixelImage;
  /** softmax of the returned bytes */
  probs: Float32Array;
  targetProb: number;
  predicted: number;
  /** the starting noise and what the network made of it */
  noise: Uint8ClampedArray;
  targetProbStart: number;
  predictedStart: number;
  iterations: number;
  roundingRetries: number;
  ms: number;
  seed: number;
  backend: string | null;
}

/** Seeded uniform noise, every value 0…255. */
export function noiseBytes(seed: number): Uint8ClampedArray {
  const random = seededRandom(seed);
  return Uint8ClampedArray.from({ length: VALUES }, () => Math.floor(random() * 256));
}

/** log p(target) on the reference logits, its onehot part on the pre-ReLU logit where the logit is 0. */
export function logProbScore(target: number): ScoreFn {
  return (heads) => {
    const hot = tf.cast(tf.oneHot(tf.tensor1d([target], 'int32'), NUM_CLASSES), 'float32') as tf.Tensor2D;
    const logp = tf.logSoftmax(heads.logits);
    const alive = tf.cast(tf.greater(tf.sum(tf.mul(heads.logits, hot), 1, true), 0), 'float32');
    return {
      value: tf.sum(tf.mul(logp, hot), 1) as tf.Tensor1D,
      dLogits: tf.sub(tf.mul(hot, alive), tf.exp(logp)) as tf.Tensor2D,
      dPreReluLogits: tf.mul(hot, tf.sub(1, alive)) as tf.Tensor2D,
    };
  };
}

export async function foolFromNoise(
  model: Model,
  target: number,
  options: FromNoiseOptions = {},
): Promise<FromNoiseResult> {
  const t0 = performance.now();
  checkClass(target, 'target');
  const minProb = options.minProb ?? FROM_NOISE_DEFAULTS.minProb;
  checkMinProb(minProb);
  const lr = options.lr ?? FROM_NOISE_DEFAULTS.lr;
  const maxIterations = options.maxIterations ?? FROM_NOISE_DEFAULTS.maxIterations;
  if (!(lr > 0)) throw new RangeError(`lr must be > 0, got ${lr}`);
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0))
    throw new RangeError(`maxIterations must be an integer ≥ 0, got ${maxIterations}`);
  const seed = options.seed ?? 0;
  const noise = noiseBytes(seed);
  const start = await classifyUint8(model, noise);
  const outcome = await attackLoop({
    what: 'fooling image from noise',
    model,
    original: noise,
    bounds: uint8Bounds(noise),
    goal: { targeted: true, cls: target, margin: options.margin ?? FOOL_MARGIN, minProb },
    score: logProbScore(target),
    ascend: true,
    maxIterations,
    step: l2Step(lr),
    control: options,
  });
  const probs = outcome.final.probs;
  return {
    target,
    success: outcome.success,
    pixels: outcome.pixels,
    image: { width: INPUT, height: INPUT, data: Float32Array.from(outcome.pixels) },
    probs,
    targetProb: probs[target],
    predicted: argmax(probs),
    noise,
    targetProbStart: start.probs[target],
    predictedStart: argmax(start.probs),
    iterations: outcome.iterations,
    roundingRetries: outcome.roundingRetries,
    ms: performance.now() - t0,
    seed,
    backend: options.backend ?? null,
  };
}

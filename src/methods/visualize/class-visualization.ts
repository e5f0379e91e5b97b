/**
 * Class visualization (Simonyan et al. 2014; Yosinski et al. 2015), as in the CS231n assignment
 * (NetworkVisualization, SqueezeNet 1.1): starting from seeded random noise, gradient ascent on
 * one class score with L2 regularization, random jitter and periodic blurring, so the network
 * paints what it takes that class to look like.
 *
 * Per iteration t (CS231n's loop, in its units):
 *   1. jitter: roll the image by (ox, oy), each uniform in 0…maxJitter (16) px;
 *   2. step:   I ← I + lr · ∇_I [ s_c(I) − λ‖I‖² ]  =  I + lr · (∇s_c − 2λI);
 *   3. roll back by (−ox, −oy);
 *   4. clip every value to the valid pixel range [0,255];
 *   5. if t % blurEvery == 0: Gaussian blur σ = 0.5 (scipy's filter: 5 taps, mirrored edges).
 *
 * One change to CS231n's loop: over the last 30 % of the iterations the learning rate falls
 * linearly toward 0 (`decayFraction`; 0 restores the constant rate). With the constant rate the
 * ascent oscillates (the class probability of successive iterates swings 1.0 → 0.2 → 1.0) and the
 * last iterate is a lottery: 80 iterations, seeds 0–2, 8-bit result — bald eagle 0.97 / 0.90 /
 * 0.000, king penguin 1.00 / 0.58 / 0.96, sports car 0.63 / 0.47 / 0.78; with the decay 1.00 ×6
 * and sports car 0.91 / 0.97 / 1.00, and 24 of 24 runs (12 classes × 2 seeds) at p > 0.999.
 * `keepBest` (return the best checkpoint instead of the last) helps less and is off by default.
 *
 * Units. CS231n optimizes the *normalized* image I = (pixel/255 − mean)/std, starts from
 * I ~ N(0,1), and its lr = 25 and λ = 1e-3 are meant for that space; so does this code (the engine
 * differentiates with respect to exactly that normalized input). Its learning rate multiplies the
 * raw gradient — the assignment's reference solutions step `img += lr · img.grad`; only the fooling
 * image normalizes its step by ‖g‖₂ — so `lr` here is a raw-gradient rate too. λ‖I‖² is in
 * normalized units: at λ = 1e-3 the decay term shrinks I by 2·lr·λ = 5 % per step toward the
 * ImageNet mean colour (I = 0), which keeps the image from saturating everywhere.
 *
 * Which score. SqueezeNet's reference logits pass a ReLU before the average pool, so a class
 * whose 13×13 map is entirely negative has logit 0 and no gradient; the pre-ReLU score (the map's
 * average before that ReLU, `preReluLogits`) always has one, and is the default here. Measured:
 * that dead-gradient case is rarer than feared — on N(0,1) noise only 2–4 of the 1000 class maps
 * are all negative, none on the test photos, 23 on the ImageNet-mean image and 35 on uniform
 * grey — and with the learning-rate decay both heads reach p > 0.99 on bald eagle, king penguin,
 * goldfish (seeds 0, 1, 80 iterations); sports car: pre-ReLU 0.991 / 0.996, ReLU'd 0.905 / 0.971.
 * Option 'auto' ascends the class's reference (ReLU'd) logit where it is positive and its
 * pre-ReLU logit where that is 0, chosen per step inside the graph; 'logits' the reference logit
 * only (stuck at 0 on a dead map, tested). Probabilities reported are always the network's softmax
 * over its reference logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NUM_CLASSES } from '../../engine/architecture.js';
import { INPUT } from '../../engine/preprocess.js';
import { classScore, type ScoreFn, type ScoreHead } from '../../engine/scores.js';
import { disposeResult } from '../../engine/squeezenet.js';
import { VISUALIZE_ITERATIONS } from '../../shared/catalog.js';
import {
  gaussian,
  type Model,
  type PixelImage,
  pixelsToInput,
  pixelTensor,
  type RunControl,
  seededRandom,
  throwIfCancelled,
  yieldToEventLoop,
} from '../common.js';
import { clipNormalized, gaussianBlurTensor, normalizedToPixels, quantizePixels, roll } from './image-ops.js';

export interface ClassVisualizationOptions extends RunControl {
  /** gradient-ascent iterations (default 200; CS231n uses 100, 100–1000 are sensible) */
  iterations?: number;
  /** raw-gradient learning rate in normalized-image units (default 25, CS231n) */
  learningRate?: number;
  /** λ of the −λ‖I‖² regularizer, normalized units (default 1e-3, CS231n) */
  l2Reg?: number;
  /** blur every this many iterations (default 10; 0 = never) */
  blurEvery?: number;
  /** Gaussian σ of that blur in pixels (default 0.5) */
  blurSigma?: number;
  /** largest jitter in pixels, each axis (default 16; 0 = none) */
  maxJitter?: number;
  /** seed of the initial noise and of the jitter (default 0) */
  seed?: number;
  /** score head to ascend (default 'preReluLogits', see the module comment) */
  head?: ScoreHead | 'auto';
  /** start from this image instead of noise (e.g. a photo: "what would make this more X") */
  init?: PixelImage;
  /** report a preview image every this many iterations (default 25; 0 = never) */
  previewEvery?: number;
  /**
   * over this last fraction of the iterations the learning rate falls linearly toward 0
   * (default 0.3; 0 = constant, as CS231n)
   */
  decayFraction?: number;
  /**
   * Return the best image seen rather than the last: every `checkEvery` iterations (and after the
   * last) the un-jittered image is classified and the one with the highest class probability kept.
   */
  keepBest?: boolean;
  /** default 10 */
  checkEvery?: number;
}

export interface ClassVisualizationResult {
  classIndex: number;
  /** the generated image, float pixels in [0,255] */
  image: PixelImage;
  /** softmax probability of the class for the final image, as float pixels … */
  probability: number;
  /** … and as 8-bit pixels (what a PNG of it holds) */
  probability8bit: number;
  /** top-5 (index, prob) of the final 8-bit image */
  top5: { index: number; prob: number }[];
  /** the ascended score of the final image (for 'auto': the reference logit, or the pre-ReLU one if that is 0) */
  score: number;
  iterations: number;
  /** the iteration the returned image comes from (the last unless keepBest) */
  bestStep: number;
  /** every iteration's score and class probability (of the jittered image the step was taken on) */
  history: { step: number; score: number; probability: number }[];
  msPerIteration: number;
}

export async function visualizeClass(
  model: Model,
  classIndex: number,
  options: ClassVisualizationOptions = {},
): Promise<ClassVisualizationResult> {
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= NUM_CLASSES) {
    throw new RangeError(`class index must be an integer in [0, ${NUM_CLASSES - 1}], got ${classIndex}`);
  }
  const iterations = options.iterations ?? VISUALIZE_ITERATIONS.default;
  const lr = options.learningRate ?? 25;
  const l2 = options.l2Reg ?? 1e-3;
  const blurEvery = options.blurEvery ?? 10;
  const sigma = options.blurSigma ?? 0.5;
  const maxJitter = options.maxJitter ?? 16;
  const previewEvery = options.previewEvery ?? 25;
  const head = options.head ?? 'preReluLogits';
  if (!Number.isInteger(iterations) || iterations < 0)
    throw new RangeError(`iterations must be a non-negative integer, got ${iterations}`);
  if (!Number.isInteger(maxJitter) || maxJitter < 0 || maxJitter >= INPUT)
    throw new RangeError(`maxJitter must be an integer in [0, ${INPUT - 1}], got ${maxJitter}`);
  const { signal, onProgress } = options;
  const what = 'class visualization';
  throwIfCancelled(signal, what);

  const random = seededRandom(options.seed ?? 0);
  const randInt = (max: number) => Math.min(max, Math.floor(random() * (max + 1)));
  const score = head === 'auto' ? autoClassScore(classIndex) : classScore([classIndex], 'raw', head);

  let image: tf.Tensor4D;
  if (options.init) {
    image = tf.tidy(() => pixelsToInput(pixelTensor(options.init!)));
  } else {
    const normal = gaussian(random);
    const noise = Float32Array.from({ length: INPUT * INPUT * 3 }, normal);
    image = tf.tidy(() => clipNormalized(tf.tensor4d(noise, [1, INPUT, INPUT, 3])));
  }

  const decayFraction = options.decayFraction ?? 0.3;
  const checkEvery = options.checkEvery ?? 10;
  const rateAt = (t: number) =>
    decayFraction > 0 ? lr * Math.min(1, (iterations - t) / (decayFraction * iterations)) : lr;
  let best: { image: tf.Tensor4D; probability: number; step: number } | null = null;
  const history: ClassVisualizationResult['history'] = [];
  const started = performance.now();
  try {
    for (let t = 0; t < iterations; t++) {
      throwIfCancelled(signal, what);
      const ox = maxJitter ? randInt(maxJitter) : 0;
      const oy = maxJitter ? randInt(maxJitter) : 0;
      const current = image;
      const { next, stats } = tf.tidy(() => {
        const jittered = roll(current, ox, oy);
        const r = model.run(jittered, { score });
        const g = r.gradients.input!;
        // ascent on s_c − λ‖I‖²: its gradient is ∇s_c − 2λI
        const stepped = tf.add(jittered, tf.mul(tf.sub(g, tf.mul(jittered, 2 * l2)), rateAt(t))) as tf.Tensor4D;
        let x = clipNormalized(roll(stepped, -ox, -oy));
        if (blurEvery > 0 && t % blurEvery === 0) x = gaussianBlurTensor(x, sigma);
        const stats = tf.stack([tf.reshape(r.score!, []), tf.reshape(tf.slice(r.probs, [0, classIndex], [1, 1]), [])]);
        return { next: x, stats };
      });
      image = next;
      current.dispose();
      const [s, p] = (await stats.data()) as Float32Array;
      stats.dispose();
      history.push({ step: t + 1, score: s, probability: p });
      if (options.keepBest && ((t + 1) % checkEvery === 0 || t + 1 === iterations)) {
        const q = await classProbability(model, image, classIndex);
        if (!best || q > best.probability) {
          best?.image.dispose();
          best = { image: tf.clone(image), probability: q, step: t + 1 };
        }
      }
      if (onProgress) {
        const preview =
          previewEvery > 0 && ((t + 1) % previewEvery === 0 || t + 1 === iterations)
            ? await normalizedToPixels(image)
            : undefined;
        onProgress({
          step: t + 1,
          total: iterations,
          message: `class ${classIndex}: p = ${p.toFixed(3)}, score ${s.toFixed(2)}`,
          preview,
        });
      }
      await yieldToEventLoop();
    }
    const msPerIteration = iterations ? (performance.now() - started) / iterations : 0;
    const pixels = await normalizedToPixels(best ? best.image : image);
    const final = await evaluate(model, pixels, classIndex, head);
    const final8 = await evaluate(model, quantizePixels(pixels), classIndex, head);
    return {
      classIndex,
      image: pixels,
      probability: final.probs[classIndex],
      probability8bit: final8.probs[classIndex],
      top5: top(final8.probs, 5),
      score: final.score,
      iterations,
      bestStep: best?.step ?? iterations,
      history,
      msPerIteration,
    };
  } finally {
    image.dispose();
    best?.image.dispose();
  }
}

async function classProbability(model: Model, input: tf.Tensor4D, classIndex: number): Promise<number> {
  const r = model.run(input);
  try {
    return ((await r.probs.data()) as Float32Array)[classIndex];
  } finally {
    disposeResult(r);
  }
}

/** Forward pass on a pixel image: probabilities and the chosen head's class score. */
async function evaluate(
  model: Model,
  image: PixelImage,
  classIndex: number,
  head: ScoreHead | 'auto',
): Promise<{ probs: Float32Array; score: number }> {
  const x = tf.tidy(() => pixelsToInput(pixelTensor(image)));
  const r = model.run(x);
  try {
    const probs = Float32Array.from((await r.probs.data()) as Float32Array);
    const pre = (await r.preReluLogits.data()) as Float32Array;
    const post = (await r.logits.data()) as Float32Array;
    const score = head === 'logits' || (head === 'auto' && post[classIndex] > 0) ? post[classIndex] : pre[classIndex];
    return { probs, score };
  } finally {
    disposeResult(r);
    x.dispose();
  }
}

/**
 * 'auto': the class's reference logit (after the ReLU) where it is positive, else its pre-ReLU
 * logit, whose gradient never vanishes. Chosen per step inside the graph (no device sync).
 */
export function autoClassScore(classIndex: number): ScoreFn {
  return (heads) => {
    const hot = tf.cast(tf.oneHot(tf.tensor1d([classIndex], 'int32'), NUM_CLASSES), 'float32') as tf.Tensor2D;
    const post = tf.sum(tf.mul(heads.logits, hot), 1, true); // [N,1]
    const pre = tf.sum(tf.mul(heads.preReluLogits, hot), 1, true);
    const alive = tf.cast(tf.greater(post, 0), 'float32'); // [N,1]
    const value = tf.reshape(tf.add(tf.mul(alive, post), tf.mul(tf.sub(1, alive), pre)), [-1]) as tf.Tensor1D;
    return {
      value,
      dLogits: tf.mul(hot, alive) as tf.Tensor2D,
      dPreReluLogits: tf.mul(hot, tf.sub(1, alive)) as tf.Tensor2D,
      classes: [classIndex],
    };
  };
}

function top(probs: Float32Array, k: number): { index: number; prob: number }[] {
  return Array.from(probs, (prob, index) => ({ index, prob }))
    .sort((a, b) => b.prob - a.prob)
    .slice(0, k);
}

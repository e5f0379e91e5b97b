/**
 * The optimization loop every "image from features" method shares, as CS231n's StyleTransfer
 * notebook runs it (SqueezeNet 1.1, PyTorch):
 *
 *   for t in range(200):
 *       if t < 190: img.clamp_(-1.5, 1.5)          # normalized units
 *       loss = content + style + tv; loss.backward()
 *       if t == 180: optimizer = Adam([img], lr=0.1)  # a fresh Adam: its moments restart
 *       optimizer.step()                          # Adam(lr=3.0), β = (0.9, 0.999), ε = 1e-8
 *
 * The image being optimized is the network's normalized input, [1,H,W,3] at the size of `init`:
 * as CS231n, the whole picture at its aspect ratio with its smallest side at 192 by default
 * (engine/preprocess.ts preprocessWhole; the engine takes 64…512 a side). The result is the optimized image itself in 8 bits (clipped to [0,255] and rounded, no
 * min–max rescaling as CS231n's `deprocess` does for display), and its loss is measured again on
 * exactly those bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerName } from '../../engine/architecture.js';
import { INPUT } from '../../engine/preprocess.js';
import { SYNTHESIS_OPTIMIZER } from '../../shared/catalog.js';
import {
  type Model,
  type PixelImage,
  pixelsToInput,
  pixelTensor,
  type RunControl,
  seededRandom,
  throwIfCancelled,
  yieldToEventLoop,
} from '../common.js';
import { normalizedToPixels } from '../visualize/image-ops.js';
import { evaluateLoss, gramMatrix, type StyleTerm, type SynthesisLoss } from './losses.js';

export interface SynthesisOptions extends RunControl {
  /** Adam steps (default 200, CS231n) */
  iterations?: number;
  /** Adam learning rate in normalized-image units (default 3.0) */
  learningRate?: number;
  /** learning rate of the fresh Adam from `decayAt` on (default 0.1) */
  decayedLearningRate?: number;
  /** iteration where the learning rate drops (default 90 % of the iterations: 180 of 200) */
  decayAt?: number;
  /** clamp the normalized image to [−clamp, clamp] before each forward pass (default 1.5; 0 = never) … */
  clamp?: number;
  /** … except during the last this many iterations (default 5 %: 10 of 200, as CS231n's `t < 190`) */
  unclampedLast?: number;
  /** report a preview image every this many iterations (default 25; 0 = never) */
  previewEvery?: number;
}

/** The loss parts of one image (totals over the weighted terms). */
export interface LossPoint {
  /** the iteration whose starting image this is (iterations = the returned 8-bit image) */
  step: number;
  total: number;
  content: number;
  style: number;
  tv: number;
}

export interface SynthesisResult {
  /** the optimized image, 8-bit RGB, row-major, at the size of the initial image */
  image: { width: number; height: number; data: Uint8ClampedArray };
  /** the loss of the image each iteration started from (step 0: the initial image) */
  history: LossPoint[];
  /** the initial image's loss */
  lossStart: LossPoint;
  /** the loss of the returned 8-bit image */
  lossEnd: LossPoint;
  iterations: number;
  ms: number;
  msPerIteration: number;
}

/** Seeded uniform(0, 1) noise in normalized units, CS231n's `init_random`, height × width (default 224×224). */
export function noiseInit(seed: number, height: number = INPUT, width: number = INPUT): tf.Tensor4D {
  const random = seededRandom(seed);
  return tf.tensor4d(Float32Array.from({ length: height * width * 3 }, random), [1, height, width, 3]);
}

/** A picture as the network sees it: normalized [1,H,W,3] at its own size. */
export function imageInit(image: PixelImage): tf.Tensor4D {
  return tf.tidy(() => pixelsToInput(pixelTensor(image)));
}

/** One layer's activations of an image (the caller owns the tensor). */
export function targetActivation(model: Model, image: PixelImage, layer: LayerName): tf.Tensor4D {
  return tf.tidy(() => model.run(imageInit(image), { activations: [layer], heads: false }).activations[layer]!);
}

/** Target Gram matrices of an image at several layers, with their weights (the caller owns them). */
export function styleTerms(
  model: Model,
  image: PixelImage,
  layers: readonly LayerName[],
  weights: readonly number[],
): StyleTerm[] {
  if (layers.length !== weights.length)
    throw new RangeError(`${layers.length} style layers but ${weights.length} weights`);
  for (const w of weights) if (!Number.isFinite(w) || w < 0) throw new RangeError(`style weight ${w} is not ≥ 0`);
  const grams = tf.tidy(() => {
    const r = model.run(imageInit(image), { activations: layers, heads: false });
    return layers.map((l) => gramMatrix(r.activations[l]!));
  });
  return layers.map((layer, k) => ({ layer, gram: grams[k], weight: weights[k] }));
}

function positiveInteger(name: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
}

async function lossPoint(model: Model, x: tf.Tensor4D, loss: SynthesisLoss, step: number): Promise<LossPoint> {
  const parts = tf.tidy(() => {
    const e = evaluateLoss(model, x, loss);
    return tf.concat([e.total, e.content, e.style, e.tv]);
  });
  try {
    const [total, content, style, tv] = (await parts.data()) as Float32Array;
    return { step, total, content, style, tv };
  } finally {
    parts.dispose();
  }
}

/**
 * Minimize `loss` from `init` (normalized [1,H,W,3], owned by the caller) with CS231n's Adam
 * schedule. `what` names the method in progress messages and cancellation errors.
 */
export async function synthesize(
  model: Model,
  init: tf.Tensor4D,
  loss: SynthesisLoss,
  options: SynthesisOptions,
  what: string,
): Promise<SynthesisResult> {
  const iterations = options.iterations ?? SYNTHESIS_OPTIMIZER.iterations;
  const o = {
    ...SYNTHESIS_OPTIMIZER,
    iterations,
    decayAt: Math.round(SYNTHESIS_OPTIMIZER.decayFraction * iterations),
    unclampedLast: Math.round(SYNTHESIS_OPTIMIZER.unclampedFraction * iterations),
    previewEvery: 25,
    ...definedOnly(options),
  };
  positiveInteger('iterations', o.iterations);
  positiveInteger('decayAt', o.decayAt);
  positiveInteger('unclampedLast', o.unclampedLast);
  positiveInteger('previewEvery', o.previewEvery);
  for (const [name, v] of [
    ['learningRate', o.learningRate],
    ['decayedLearningRate', o.decayedLearningRate],
    ['clamp', o.clamp],
  ] as const)
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be ≥ 0, got ${v}`);
  const { signal, onProgress } = options;
  throwIfCancelled(signal, what);
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
  let x = tf.clone(init);
  let m = tf.zerosLike(x);
  let v = tf.zerosLike(x);
  let adamStep = 0;
  let lr = o.learningRate;
  const history: LossPoint[] = [];
  const started = performance.now();
  try {
    for (let t = 0; t < o.iterations; t++) {
      throwIfCancelled(signal, what);
      if (o.clamp > 0 && t < o.iterations - o.unclampedLast) x = replace(x, tf.clipByValue(x, -o.clamp, o.clamp));
      if (t === o.decayAt) {
        // CS231n builds a new Adam here: the moments and the bias correction restart.
        m = replace(m, tf.zerosLike(x));
        v = replace(v, tf.zerosLike(x));
        adamStep = 0;
        lr = o.decayedLearningRate;
      }
      adamStep++;
      const current = x;
      const [mPrev, vPrev] = [m, v];
      const step = tf.tidy(() => {
        const e = evaluateLoss(model, current, loss);
        const g = e.gradient;
        const m1 = tf.add(tf.mul(mPrev, beta1), tf.mul(g, 1 - beta1)) as tf.Tensor4D;
        const v1 = tf.add(tf.mul(vPrev, beta2), tf.mul(tf.square(g), 1 - beta2)) as tf.Tensor4D;
        const mHat = tf.div(m1, 1 - beta1 ** adamStep);
        const vHat = tf.div(v1, 1 - beta2 ** adamStep);
        const next = tf.sub(current, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr)) as tf.Tensor4D;
        return { next, m1, v1, parts: tf.concat([e.total, e.content, e.style, e.tv]) };
      });
      x = replace(current, step.next);
      m = replace(mPrev, step.m1);
      v = replace(vPrev, step.v1);
      const [total, content, style, tv] = (await step.parts.data()) as Float32Array;
      step.parts.dispose();
      history.push({ step: t, total, content, style, tv });
      if (onProgress) {
        const done = t + 1;
        const preview =
          o.previewEvery > 0 && (done % o.previewEvery === 0 || done === o.iterations)
            ? await normalizedToPixels(x)
            : undefined;
        onProgress({ step: done, total: o.iterations, message: `${what}: loss ${total.toPrecision(4)}`, preview });
      }
      await yieldToEventLoop();
    }
    const ms = performance.now() - started;
    const pixels = await normalizedToPixels(x);
    const data = Uint8ClampedArray.from(pixels.data); // rounds and clamps: the bytes a PNG holds
    const [, height, width] = x.shape;
    const final = tf.tidy(() => pixelsToInput(tf.tensor4d(Float32Array.from(data), [1, height, width, 3])));
    let lossEnd: LossPoint;
    let lossStart: LossPoint;
    try {
      lossEnd = await lossPoint(model, final, loss, o.iterations);
      lossStart = history[0] ?? lossEnd;
    } finally {
      final.dispose();
    }
    return {
      image: { width, height, data },
      history,
      lossStart,
      lossEnd,
      iterations: o.iterations,
      ms,
      msPerIteration: o.iterations ? ms / o.iterations : 0,
    };
  } finally {
    tf.dispose([x, m, v]);
  }
}

/** The options that were given (an explicit `undefined` keeps the default). */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Dispose `old` and return `next` (for loop-carried tensors). */
function replace<T extends tf.Tensor>(old: T, next: T): T {
  if (old !== next) old.dispose();
  return next;
}

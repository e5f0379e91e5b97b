/**
 * The 8-bit guarantee, shared by every attack: the image an attack returns is exactly the uint8
 * image users download, and `success` is about THAT image, classified the way a decoded 8-bit
 * image is classified (`normalize` of the bytes, the same path as `Classifier.probabilities`).
 *
 * An iterative attack optimizes a float image x (standard method, gradient at x). When x meets
 * the goal, x is rounded (and clipped to [0,255] ∩ the ε-ball) and the rounded image is
 * re-classified. If rounding undid the attack, the attack goes on from the rounded image, and from
 * then on every iteration is evaluated AT the rounded iterate (forward + gradient at round(x); the
 * float x keeps accumulating the steps, so sub-level steps still add up), until the rounded image
 * meets the goal or the iteration budget runs out. Phase two therefore needs no extra pass per
 * iteration, and its stopping check is on the very bytes that are returned.
 *
 * Rounding is Math.round then a clip to integer bounds [lo, hi] per value: [0,255], intersected for
 * budgeted attacks with [⌈o−ε⌉, ⌊o+ε⌋], so L∞ ≤ ε holds after rounding too (for a non-integer ε
 * the effective 8-bit budget is ⌊ε⌋). The original is taken as 8-bit (rounded once if it is not).
 */
import * as tf from '@tensorflow/tfjs-core';
import { INPUT, normalize } from '../../engine/preprocess.js';
import type { ScoreFn, ScoreHead } from '../../engine/scores.js';
import { disposeResult } from '../../engine/squeezenet.js';
import type { AttackMethod } from '../../shared/catalog.js';
import { argmax } from '../../shared/numeric.js';
import {
  inputGradToPixelGrad,
  type Model,
  type PixelImage,
  type Progress,
  pixelsToInput,
  throwIfCancelled,
  yieldToEventLoop,
} from '../common.js';
import { type AttackMetrics, distances, VALUES } from './metrics.js';

const SHAPE: [number, number, number, number] = [1, INPUT, INPUT, 3];

/** Progress of an attack: the common fields plus where the attack stands. */
export interface AttackProgress extends Progress {
  /** probability of the target (targeted) or of the source class (untargeted) at the evaluated image */
  prob: number;
  /** top-1 at the evaluated image */
  predicted: number;
  /** true once the attack evaluates the rounded iterate (rounding had undone a success) */
  uint8Phase: boolean;
}

/** Options every attack takes. */
export interface AttackControl {
  signal?: AbortSignal;
  /** called after every iteration (a function taking common.ts's `Progress` fits too) */
  onProgress?: (progress: AttackProgress) => void;
  /** attach the current 8-bit iterate as `preview` every this many iterations (0: never) */
  previewEvery?: number;
  /** echoed into the metrics: the Model interface does not know which backend runs it */
  backend?: string;
  /**
   * Required margin, in logit units (= log-probability ratio), of the target over every other
   * class (targeted), or of the best other class over the source class (untargeted). 0 (default):
   * a strict top-1 change, as in CS231n. A small margin (e.g. 0.05) keeps the result fooling on
   * other backends, whose logits differ by ~1e-4.
   */
  margin?: number;
  /**
   * Targeted attacks: the target's softmax probability must also reach this (0 ≤ p < 1; default 0:
   * top-1 is enough, as in CS231n). 0.5 or 0.9 make the model "confidently" wrong, for a larger change.
   */
  minProb?: number;
}

export interface AttackResult {
  method: AttackMethod;
  /** target class, or null for an untargeted attack */
  target: number | null;
  /** the class the attack moves away from: the original's top-1, or the given true class */
  source: number;
  success: boolean;
  /**
   * the returned 8-bit image, 224×224×3 RGB row-major: what users download (its difference
   * pictures: render/difference.ts, from the original's bytes and these)
   */
  pixels: Uint8ClampedArray;
  /** the same values as a PixelImage (to chain into other methods) */
  image: PixelImage;
  /** softmax probabilities of the returned image (1000) */
  probs: Float32Array;
  metrics: AttackMetrics;
}

export interface Goal {
  targeted: boolean;
  /** the target (targeted) or the source class (untargeted) */
  cls: number;
  margin: number;
  /** targeted: the least softmax probability of the target (0: none) */
  minProb?: number;
}

/** Does a logit vector meet the goal? */
export function meetsGoal(logits: ArrayLike<number>, goal: Goal): boolean {
  let best = -Infinity;
  for (let i = 0; i < logits.length; i++) if (i !== goal.cls && logits[i] > best) best = logits[i];
  if (!goal.targeted) return best > logits[goal.cls] + goal.margin;
  if (!(logits[goal.cls] > best + goal.margin)) return false;
  if (!goal.minProb) return true;
  // softmax(target) = 1 / Σ exp(l_i − l_target), stable since l_target is the largest
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - logits[goal.cls]);
  return 1 / sum >= goal.minProb;
}

/** Checks an attack's minProb option. */
export function checkMinProb(minProb: number | undefined): void {
  if (minProb !== undefined && !(minProb >= 0 && minProb < 1))
    throw new RangeError(`minProb must be in [0, 1), got ${minProb}`);
}

/** The original as 8-bit bytes (values are rounded and clipped once if they are not). */
export function originalBytes(image: PixelImage): Uint8ClampedArray {
  if (image.data.length !== VALUES)
    throw new RangeError(`expected a ${INPUT}×${INPUT}×3 image, got ${image.data.length} values`);
  return Uint8ClampedArray.from(image.data, Math.round);
}

export interface Uint8Bounds {
  lo: Uint8Array;
  hi: Uint8Array;
}

/** Integer bounds per value: [0,255], or [0,255] ∩ [⌈o−ε⌉, ⌊o+ε⌋] for a budget ε in pixel levels. */
export function uint8Bounds(original: Uint8ClampedArray, epsilon?: number): Uint8Bounds {
  const lo = new Uint8Array(VALUES);
  const hi = new Uint8Array(VALUES).fill(255);
  if (epsilon === undefined || !Number.isFinite(epsilon)) return { lo, hi };
  if (!(epsilon >= 0)) throw new RangeError(`epsilon must be ≥ 0, got ${epsilon}`);
  const e = Math.floor(epsilon + 1e-9);
  for (let i = 0; i < VALUES; i++) {
    lo[i] = Math.max(0, original[i] - e);
    hi[i] = Math.min(255, original[i] + e);
  }
  return { lo, hi };
}

/** Round to the nearest level and clip to the bounds: the 8-bit image of a float iterate. */
export function toUint8(x: ArrayLike<number>, bounds: Uint8Bounds): Uint8ClampedArray {
  const out = new Uint8ClampedArray(VALUES);
  const { lo, hi } = bounds;
  for (let i = 0; i < VALUES; i++) {
    const v = Math.round(x[i]);
    out[i] = v < lo[i] ? lo[i] : Math.min(v, hi[i]);
  }
  return out;
}

/** Network input of an 8-bit image, exactly as a decoded image is classified. */
export function uint8Input(pixels: Uint8ClampedArray): tf.Tensor4D {
  return tf.tensor4d(normalize(pixels), SHAPE);
}

export interface Classified {
  logits: Float32Array;
  probs: Float32Array;
}

/** Classify an 8-bit image (forward only). */
export async function classifyUint8(model: Model, pixels: Uint8ClampedArray): Promise<Classified> {
  const x = uint8Input(pixels);
  const r = model.run(x);
  x.dispose();
  try {
    return { logits: (await r.logits.data()) as Float32Array, probs: (await r.probs.data()) as Float32Array };
  } finally {
    disposeResult(r);
  }
}

/** What an iterative attack plugs into the loop. */
export interface LoopSpec {
  what: string;
  model: Model;
  original: Uint8ClampedArray;
  /** float start (default: the original) */
  start?: Float32Array;
  bounds: Uint8Bounds;
  goal: Goal;
  /** the score whose gradient the loop takes, and whether to ascend (true) or descend it */
  score: ScoreFn;
  ascend: boolean;
  maxIterations: number;
  /**
   * One update, inside a tidy: x, the pixel-space gradient of the objective to ASCEND (already
   * negated for descent), and the float bounds lo, hi as tensors. Return the new x, projected.
   */
  step: (x: tf.Tensor4D, g: tf.Tensor4D, lo: tf.Tensor4D, hi: tf.Tensor4D) => tf.Tensor4D;
  control: AttackControl;
}

export interface LoopOutcome {
  pixels: Uint8ClampedArray;
  final: Classified;
  success: boolean;
  iterations: number;
  roundingRetries: number;
}

/**
 * The iterative attack with the 8-bit guarantee (see the file comment). Iterations = gradient
 * steps applied; the loop stops when the returned bytes meet the goal or after maxIterations.
 */
export async function attackLoop(spec: LoopSpec): Promise<LoopOutcome> {
  const { model, goal, bounds, control } = spec;
  const { signal, onProgress } = control;
  const previewEvery = control.previewEvery ?? 0;
  if (spec.start && spec.start.length !== VALUES)
    throw new RangeError(`start image: expected ${VALUES} values, got ${spec.start.length}`);
  const lo = tf.tensor4d(Float32Array.from(bounds.lo), SHAPE);
  const hi = tf.tensor4d(Float32Array.from(bounds.hi), SHAPE);
  let x = tf.tensor4d(spec.start ?? Float32Array.from(spec.original), SHAPE);
  let uint8Phase = false;
  let roundingRetries = 0;
  let iterations = 0;
  try {
    for (;;) {
      throwIfCancelled(signal, spec.what);
      // Phase one evaluates the float iterate, phase two its 8-bit rounding.
      const bytes = uint8Phase ? toUint8((await x.data()) as Float32Array, bounds) : null;
      const input = bytes ? uint8Input(bytes) : pixelsToInput(x);
      const more = iterations < spec.maxIterations;
      const r = model.run(input, more ? { score: spec.score, gradients: ['input'] } : {});
      input.dispose();
      try {
        const logits = (await r.logits.data()) as Float32Array;
        const met = meetsGoal(logits, goal);
        if (bytes && (met || !more)) {
          return {
            pixels: bytes,
            final: { logits, probs: (await r.probs.data()) as Float32Array },
            success: met,
            iterations,
            roundingRetries,
          };
        }
        if (!bytes && (met || !more)) {
          const rounded = toUint8((await x.data()) as Float32Array, bounds);
          const check = await classifyUint8(model, rounded);
          const ok = meetsGoal(check.logits, goal);
          if (ok || !more) return { pixels: rounded, final: check, success: ok, iterations, roundingRetries };
          // Rounding undid it: go on from the rounded image, evaluating rounded iterates from now on.
          roundingRetries++;
          uint8Phase = true;
          x.dispose();
          x = tf.tensor4d(Float32Array.from(rounded), SHAPE);
          continue;
        }
        const next = tf.tidy(() => {
          const g = inputGradToPixelGrad(r.gradients.input!);
          return spec.step(x, spec.ascend ? g : tf.neg(g), lo, hi);
        });
        x.dispose();
        x = next;
        iterations++;
        if (onProgress) {
          const probs = (await r.probs.data()) as Float32Array;
          const progress: AttackProgress = {
            step: iterations,
            total: spec.maxIterations,
            prob: probs[goal.cls],
            predicted: argmax(probs),
            uint8Phase,
            message:
              `${spec.what}: step ${iterations}/${spec.maxIterations}, ` +
              `p(${goal.targeted ? 'target' : 'source'}) = ${probs[goal.cls].toFixed(4)}`,
          };
          if (previewEvery > 0 && iterations % previewEvery === 0) {
            progress.preview = {
              width: INPUT,
              height: INPUT,
              data: Float32Array.from(toUint8((await x.data()) as Float32Array, bounds)),
            };
          }
          onProgress(progress);
        }
      } finally {
        disposeResult(r);
      }
      await yieldToEventLoop();
    }
  } finally {
    tf.dispose([x, lo, hi]);
  }
}

/** Assemble the result an attack returns from the original, its classification and the outcome. */
export function finishResult(args: {
  method: AttackMethod;
  target: number | null;
  source: number;
  original: Uint8ClampedArray;
  before: Classified;
  outcome: LoopOutcome;
  t0: number;
  backend?: string;
}): AttackResult {
  const { original, before, outcome, target, source } = args;
  const after = outcome.final.probs;
  const predictedBefore = argmax(before.probs);
  const predictedAfter = argmax(after);
  const metrics: AttackMetrics = {
    success: outcome.success,
    iterations: outcome.iterations,
    roundingRetries: outcome.roundingRetries,
    ms: performance.now() - args.t0,
    predictedBefore,
    predictedProbBefore: before.probs[predictedBefore],
    predictedAfter,
    predictedProbAfter: after[predictedAfter],
    targetProbBefore: target === null ? null : before.probs[target],
    targetProbAfter: target === null ? null : after[target],
    sourceProbBefore: before.probs[source],
    sourceProbAfter: after[source],
    ...distances(original, outcome.pixels),
    backend: args.backend ?? null,
  };
  return {
    method: args.method,
    target,
    source,
    success: outcome.success,
    pixels: outcome.pixels,
    image: { width: INPUT, height: INPUT, data: Float32Array.from(outcome.pixels) },
    probs: after,
    metrics,
  };
}

/** Clip a float iterate to per-value bounds (the ε-ball ∩ [0,255], or just [0,255]). */
export function project(x: tf.Tensor, lo: tf.Tensor4D, hi: tf.Tensor4D): tf.Tensor4D {
  return tf.minimum(tf.maximum(x, lo), hi) as tf.Tensor4D;
}

export function checkClass(index: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= 1000)
    throw new RangeError(`${what} must be a class index in [0, 999], got ${index}`);
}

/** Options of the L∞ attacks (FGSM, PGD). */
export interface LinfAttackOptions extends AttackControl {
  /** L∞ budget in /255 units (pixel levels); default: shared/catalog.ts ATTACK_DEFAULTS (PGD 2, FGSM 8) */
  epsilon?: number;
  /** untargeted: the class to move away from (default: the original's top-1) */
  trueClass?: number;
  /** which head's softmax cross-entropy to differentiate (default 'logits') */
  head?: ScoreHead;
}

/**
 * The common start of an L∞ attack: check the budget and classes, classify the original's bytes,
 * and settle the class the loss is about (the target, or the source class when untargeted).
 */
export async function startLinfAttack(
  model: Model,
  image: PixelImage,
  target: number | null,
  options: LinfAttackOptions,
  defaultEpsilon: number,
) {
  const epsilon = options.epsilon ?? defaultEpsilon;
  if (!(epsilon >= 0 && epsilon <= 255))
    throw new RangeError(`epsilon must be in [0, 255] (/255 units), got ${epsilon}`);
  if (target !== null) checkClass(target, 'target');
  checkMinProb(options.minProb);
  if (options.trueClass !== undefined) checkClass(options.trueClass, 'trueClass');
  const original = originalBytes(image);
  const before = await classifyUint8(model, original);
  const source = options.trueClass ?? argmax(before.probs);
  return { epsilon, original, before, source, cls: target ?? source };
}

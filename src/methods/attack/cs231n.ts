/**
 * The CS231n "fooling image": targeted gradient ascent on the target's class score with the
 * L2-normalized step x ← clip(x + lr · g / ‖g‖₂, 0, 255), g the score's gradient in pixel units,
 * stopping as soon as the model predicts the target (on the returned 8-bit image: see uint8.ts),
 * at most `maxIterations` (100) steps. No perturbation budget: the image only stays in [0,255].
 *
 * HEAD DECISION: we ascend the PRE-ReLU score (the 13×13 class map averaged before the
 * classifier's final ReLU), `head: 'preReluLogits'`. Only the ascended score changes: success is
 * always judged on the model's real output (post-ReLU logits → softmax). Measured on WASM, lr 50:
 * - Photos, 48 seeded random targets (the 12 photos × randomClass seeds 2024, 1, 2, 3 + photo
 *   index): pre-ReLU 48/48, median 12 iterations (max 55), median L∞ 15/255, L2 362;
 *   post-ReLU 48/48, median 14 (max 67), L∞ 15.5, L2 366. On photos both work: no class is dead
 *   (on every photo all 1000 logits are > 0; even the least-likely class has 6–58 of 169 cells > 0).
 * - Photos, least-likely targets: pre-ReLU 12/12, median 17 iterations, L∞ 19.5; post-ReLU 12/12,
 *   median 21, L∞ 26.
 * - Flat images: 35 classes on mid-gray, 8 on black, 13 on white have their whole map ≤ 0, so
 *   logit exactly 0 and zero gradient through the ReLU: the post-ReLU ascent never moves (L∞ 0
 *   after 10 steps), the pre-ReLU ascent fools them in 7–29 iterations (tested on gray).
 * Never worse on photos, and it works where the post-ReLU score cannot start.
 *
 * STEP SIZE: lr is the L2 norm of each step in pixel units (over all 150,528 values); the default
 * 50 is about CS231n's lr = 1 in normalized units (one normalized unit ≈ 57 pixel levels). Same 48
 * targets: lr 20: 46/48 within 100 steps, median 26.5 iterations, L2 339; lr 50: 48/48, median 12
 * (max 55), L2 362, L∞ 15, ~0.9 s on WASM (~70 ms an iteration); lr 100: 48/48, median 7.5
 * (max 33), L2 419, L∞ 16.5. lr 50 halves lr 20's iterations for +7 % L2 and keeps a wide margin
 * under the 100-step budget.
 *
 * CONFIDENCE: `minProb` goes on until the target's probability reaches it. Same 12 photos, random
 * targets (seeds 2024 + index), margin 0.05: top-1 only: 12/12, median 13 steps, median L∞ 17,
 * target p 0.34–0.86; minProb 0.9: 12/12, median 15 steps (max 60), median L∞ 17, p ≥ 0.90.
 * Being confidently wrong costs about two steps, so the popup asks for 0.9.
 */
import * as tf from '@tensorflow/tfjs-core';
import { classScore, type ScoreHead } from '../../engine/scores.js';
import { ATTACK_DEFAULTS } from '../../shared/catalog.js';
import { argmax } from '../../shared/numeric.js';
import type { Model, PixelImage } from '../common.js';
import {
  type AttackControl,
  type AttackResult,
  attackLoop,
  checkClass,
  checkMinProb,
  classifyUint8,
  finishResult,
  type LoopSpec,
  originalBytes,
  project,
  uint8Bounds,
} from './uint8.js';

/** lr and the step budget come from the catalog (one set for the CLI and the popup); the head: above. */
export const CS231N_DEFAULTS = {
  lr: ATTACK_DEFAULTS.cs231n.lr,
  maxIterations: ATTACK_DEFAULTS.cs231n.maxIterations,
  head: 'preReluLogits' as ScoreHead,
};

export interface Cs231nOptions extends AttackControl {
  /** L2 norm of each step, pixel units (default 50) */
  lr?: number;
  /** at most this many gradient steps (default 100) */
  maxIterations?: number;
  /** which score to ascend (default 'preReluLogits'; see the head decision above) */
  head?: ScoreHead;
  /**
   * Float image to start the ascent from instead of the original (e.g. to go on from an earlier
   * float iterate); clipped to [0,255]. Distances are still measured from the original.
   */
  start?: PixelImage;
}

/**
 * The step x ← project(x + lr · g / ‖g‖₂): lr pixels of L2 length whatever the gradient's size (a
 * zero gradient, e.g. a dead post-ReLU score, gives a zero step), then back into the bounds.
 */
export function l2Step(lr: number): LoopSpec['step'] {
  return (x, g, lo, hi) => project(tf.add(x, tf.mul(g, tf.div(lr, tf.maximum(tf.norm(g), 1e-12)))), lo, hi);
}

export async function cs231nAttack(
  model: Model,
  image: PixelImage,
  target: number,
  options: Cs231nOptions = {},
): Promise<AttackResult> {
  const t0 = performance.now();
  checkClass(target, 'target');
  checkMinProb(options.minProb);
  const lr = options.lr ?? CS231N_DEFAULTS.lr;
  const maxIterations = options.maxIterations ?? CS231N_DEFAULTS.maxIterations;
  const head = options.head ?? CS231N_DEFAULTS.head;
  if (!(lr > 0)) throw new RangeError(`lr must be > 0, got ${lr}`);
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0))
    throw new RangeError(`maxIterations must be an integer ≥ 0, got ${maxIterations}`);
  const original = originalBytes(image);
  const before = await classifyUint8(model, original);
  const source = argmax(before.probs);
  const outcome = await attackLoop({
    what: 'CS231n fooling attack',
    model,
    original,
    start: options.start ? Float32Array.from(options.start.data, (v) => Math.min(255, Math.max(0, v))) : undefined,
    bounds: uint8Bounds(original),
    goal: { targeted: true, cls: target, margin: options.margin ?? 0, minProb: options.minProb },
    score: classScore([target], 'raw', head),
    ascend: true,
    maxIterations,
    step: l2Step(lr),
    control: options,
  });
  return finishResult({ method: 'cs231n', target, source, original, before, outcome, t0, backend: options.backend });
}

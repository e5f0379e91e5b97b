/**
 * FGSM (Goodfellow et al. 2015): one step of ε · sign(g) in pixel space, g the gradient of the
 * softmax cross-entropy. ε is in /255 units, i.e. pixel levels (8 → every value moves by at most
 * 8 levels). Untargeted: ascend −log p(source), the source being the original's top-1 (or the
 * given true class). Targeted: descend −log p(target).
 *
 * The cross-entropy is that of the model's own probabilities, softmax of the post-ReLU logits
 * (`head: 'logits'`, what users see). A target whose class map is wholly negative gets no gradient
 * through its own logit, but −log p(target) still pushes every other logit down (softmax − onehot),
 * which is what an L∞ step needs; see pgd.ts for the measured comparison with the pre-ReLU head.
 * The gradient is rescaled so that it cannot underflow, and its sign taken by comparison, since
 * TF.js's WASM tf.sign returns 0 below ~1.2e-7 (losses.ts).
 *
 * The step lands on integers when ε is an integer (the original is 8-bit), so rounding is the
 * identity; for a fractional ε the result is rounded and clipped to [⌈o−ε⌉, ⌊o+ε⌋] ∩ [0,255] and
 * re-classified (uint8.ts). FGSM takes one step by definition: if that 8-bit image does not meet
 * the goal, success is false (there is no budget to go on with).
 *
 * Measured on the 12 photos (WASM): untargeted ε 8: 11/12 flipped (~0.2 s each); ε 2: 9/12;
 * targeted ε 8 (random targets): 0/12 — one step rarely lands on a given class: use PGD.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ScoreHead } from '../../engine/scores.js';
import { ATTACK_DEFAULTS } from '../../shared/catalog.js';
import type { Model, PixelImage } from '../common.js';
import { crossEntropyDirection, exactSign } from './losses.js';
import {
  type AttackResult,
  attackLoop,
  finishResult,
  type LinfAttackOptions,
  project,
  startLinfAttack,
  uint8Bounds,
} from './uint8.js';

/** ε 8 is the catalog's (11/12 flipped untargeted, above). */
export const FGSM_DEFAULTS = {
  epsilon: ATTACK_DEFAULTS.fgsm.epsilon,
  head: 'logits' as ScoreHead,
};

export type FgsmOptions = LinfAttackOptions;

/** target: a class index (targeted) or null (untargeted). */
export async function fgsmAttack(
  model: Model,
  image: PixelImage,
  target: number | null,
  options: FgsmOptions = {},
): Promise<AttackResult> {
  const t0 = performance.now();
  const { epsilon, original, before, source, cls } = await startLinfAttack(
    model,
    image,
    target,
    options,
    FGSM_DEFAULTS.epsilon,
  );
  const outcome = await attackLoop({
    what: 'FGSM attack',
    model,
    original,
    bounds: uint8Bounds(original, epsilon),
    goal: { targeted: target !== null, cls, margin: options.margin ?? 0, minProb: options.minProb },
    score: crossEntropyDirection(cls, options.head ?? FGSM_DEFAULTS.head),
    ascend: target === null,
    maxIterations: 1,
    step: (x, g, lo, hi) => project(tf.add(x, tf.mul(exactSign(g), epsilon)), lo, hi),
    control: options,
  });
  return finishResult({ method: 'fgsm', target, source, original, before, outcome, t0, backend: options.backend });
}

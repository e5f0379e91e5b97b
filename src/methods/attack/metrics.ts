/**
 * What every attack reports. Its pictures (the difference, magnified 10×) are drawn from the
 * original and the returned bytes by render/difference.ts, the one implementation the CLI and the
 * popup share.
 *
 * Units, measured between the original and the returned 8-bit image (both 224×224×3):
 * - `linf`: max |Δ| over the 150,528 values, in pixel levels, i.e. in /255 units (8 means 8/255).
 * - `l2`: √Σ Δ² over the 150,528 values, in pixel units (divide by 255 for [0,1] images).
 * - `changedValues`: fraction of the 150,528 channel values that differ.
 * - `changedPixels`: fraction of the 50,176 pixels with at least one channel that differs.
 * Probabilities are the model's softmax of the (post-ReLU) logits, i.e. what users see.
 */
import { INPUT } from '../../engine/preprocess.js';

export const VALUES = INPUT * INPUT * 3;

export interface AttackMetrics {
  /** the returned uint8 image is classified as the target (targeted) / not as the source class (untargeted) */
  success: boolean;
  /** gradient steps applied to the image (0 if the original already satisfied the goal) */
  iterations: number;
  /** times the float iterate fooled the model but its uint8 rounding did not (the attack then went on) */
  roundingRetries: number;
  /** wall clock of the whole call (both classifications included), ms */
  ms: number;
  /** top-1 of the original image and its probability */
  predictedBefore: number;
  predictedProbBefore: number;
  /** top-1 of the returned image and its probability */
  predictedAfter: number;
  predictedProbAfter: number;
  /** probability of the target class before / after (null when untargeted) */
  targetProbBefore: number | null;
  targetProbAfter: number | null;
  /** probability of the source class (the original's top-1, or the given true class) before / after */
  sourceProbBefore: number;
  sourceProbAfter: number;
  linf: number;
  l2: number;
  changedValues: number;
  changedPixels: number;
  /** echoed from the options (the Model interface does not know its backend), null if not given */
  backend: string | null;
}

export interface Distances {
  linf: number;
  l2: number;
  changedValues: number;
  changedPixels: number;
}

export function distances(original: ArrayLike<number>, fooled: ArrayLike<number>): Distances {
  if (original.length !== VALUES || fooled.length !== VALUES) throw new RangeError(`expected ${VALUES} values`);
  let linf = 0;
  let sq = 0;
  let values = 0;
  let pixels = 0;
  for (let p = 0; p < VALUES; p += 3) {
    let any = false;
    for (let c = 0; c < 3; c++) {
      const d = fooled[p + c] - original[p + c];
      if (d !== 0) {
        values++;
        any = true;
        sq += d * d;
        const a = Math.abs(d);
        if (a > linf) linf = a;
      }
    }
    if (any) pixels++;
  }
  return { linf, l2: Math.sqrt(sq), changedValues: values / VALUES, changedPixels: pixels / (VALUES / 3) };
}

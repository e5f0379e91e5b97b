/**
 * The loss FGSM and PGD differentiate, and the sign they step on.
 *
 * The loss: softmax cross-entropy −log p_k of one class k (k the target, or the source class), with
 * a gradient that cannot vanish in float32. The textbook gradient w.r.t. the logits, p − e_k,
 * loses its own term once p_k rounds to 1, i.e. when k leads by more than ~16.6 logits (1 − p_k <
 * 6e-8: the seed then only pushes the other classes up, not k down), and is all zeros once the other
 * p_c underflow too (leads beyond ~100; SqueezeNet's logits reach a few hundred). The leads of the 12
 * test photos reach 14.0, where p_k − 1 already keeps only one or two significant digits. But
 * p − e_k = (1 − p_k)·(q − e_k), q the softmax over the OTHER classes (q_k = 0), which is well
 * scaled whatever p_k is. Sign methods (FGSM, PGD) do not see the positive
 * factor (1 − p_k), so stepping on the sign of this gradient IS FGSM/PGD on the cross-entropy.
 *
 * The sign: TF.js's WASM `Sign` kernel returns 0 for |x| below ~1.2e-7 (FLT_EPSILON; the CPU
 * backend does not). Input gradients of a confident photo are that small (max |g| 1.2e-8 on the
 * owl photo), so `tf.sign` zeroed FGSM's whole step on 3 of the 12 photos (L∞ 0, no flip) and
 * most of it on a 4th. `exactSign` compares with 0 instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NUM_CLASSES } from '../../engine/architecture.js';
import type { ScoreFn, ScoreHead } from '../../engine/scores.js';

/** −log p_k per example (value), with the rescaled, non-vanishing gradient (q − e_k) as seed. */
export function crossEntropyDirection(cls: number, head: ScoreHead = 'logits'): ScoreFn {
  return (heads) => {
    const z = heads[head];
    const n = z.shape[0];
    const hot = tf.tile(tf.cast(tf.oneHot(tf.tensor1d([cls], 'int32'), NUM_CLASSES), 'float32'), [n, 1]) as tf.Tensor2D;
    const value = tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), hot), 1)) as tf.Tensor1D;
    // softmax over the other classes: class k pushed to −1e9 (its exp is exactly 0)
    const q = tf.softmax(tf.sub(z, tf.mul(hot, 1e9))) as tf.Tensor2D;
    const d = tf.sub(q, hot) as tf.Tensor2D;
    return head === 'logits' ? { value, dLogits: d } : { value, dPreReluLogits: d };
  };
}

/** sign(x) ∈ {−1, 0, 1} by comparison, exact for every float on every backend (unlike tf.sign on WASM). */
export function exactSign(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32'));
}

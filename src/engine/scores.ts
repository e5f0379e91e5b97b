/**
 * Scores to differentiate, each with its closed-form gradient with respect to the network's two
 * heads. The engine's backward pass starts from these seeds, so no autodiff registry is needed.
 *
 * Heads: `logits` are the reference network's outputs (class map → ReLU → average) and are what
 * users see as class scores; `preReluLogits` average the class map before that ReLU. A class whose
 * whole map is negative has logit 0 and zero gradient through the ReLU, so ascent-style methods
 * (fooling, class visualization) ascend the pre-ReLU score; see README "Which score".
 */
import * as tf from '@tensorflow/tfjs-core';
import { NUM_CLASSES } from './architecture.js';
import type { ScoreHeads } from './squeezenet.js';

export interface ScoreValue {
  /** per-example score, [N] */
  value: tf.Tensor1D;
  dLogits?: tf.Tensor2D;
  dPreReluLogits?: tf.Tensor2D;
  /**
   * If the seeds are zero outside these class columns, say so: the backward pass then uses only
   * those columns of the classifier (for a one-class score, 1 of 1000).
   */
  classes?: readonly number[];
}

/**
 * `support`, when set, says before the forward pass that the score reads only these class columns
 * of the heads: a run with `heads: 'score'` then computes just those columns of the classifier
 * (squeezenet.ts) and hands the score heads that are zero elsewhere.
 */
export type ScoreFn = ((heads: ScoreHeads) => ScoreValue) & { readonly support?: readonly number[] };

export type ScoreHead = 'logits' | 'preReluLogits';

/** The score variants the CS231n write-ups compare. */
export type ScoreKind = 'raw' | 'l2' | 'crossEntropy';

export const SCORE_DESCRIPTIONS: Record<ScoreKind, string> = {
  raw: 'raw class score s_c (gradient ascends it)',
  l2: 'L2 loss (1 − s_c)² (gradient of the loss, descending it raises s_c)',
  crossEntropy: 'softmax cross-entropy −log p_c',
};

function checkClasses(classes: readonly number[]): void {
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= NUM_CLASSES)
      throw new RangeError(`class index must be an integer in [0, ${NUM_CLASSES - 1}], got ${c}`);
  }
}

function oneHot(classes: readonly number[]): tf.Tensor2D {
  checkClasses(classes);
  return tf.cast(tf.oneHot(tf.tensor1d(classes as number[], 'int32'), NUM_CLASSES), 'float32') as tf.Tensor2D;
}

/** Per example n, the score of class classes[n] on the chosen head (one class index per batch element). */
export function classScore(classes: readonly number[], kind: ScoreKind = 'raw', head: ScoreHead = 'logits'): ScoreFn {
  checkClasses(classes); // here, not only in oneHot: a 'score' run gathers these columns first
  // cross-entropy reads every logit (its softmax); the others only their classes' columns
  const support = kind === 'crossEntropy' ? undefined : [...new Set(classes)];
  const fn = (heads: ScoreHeads): ScoreValue => {
    const z = heads[head];
    const hot = oneHot(classes);
    const s = tf.sum(tf.mul(z, hot), 1) as tf.Tensor1D;
    let value: tf.Tensor1D;
    let d: tf.Tensor2D;
    if (kind === 'raw') {
      value = s;
      d = hot;
    } else if (kind === 'l2') {
      const r = tf.sub(1, s);
      value = tf.square(r) as tf.Tensor1D;
      d = tf.mul(hot, tf.reshape(tf.mul(-2, r), [-1, 1])) as tf.Tensor2D;
    } else {
      const logp = tf.logSoftmax(z) as tf.Tensor2D;
      value = tf.neg(tf.sum(tf.mul(logp, hot), 1)) as tf.Tensor1D;
      d = tf.sub(tf.exp(logp), hot) as tf.Tensor2D; // softmax − onehot
    }
    return head === 'logits' ? { value, dLogits: d, classes: support } : { value, dPreReluLogits: d, classes: support };
  };
  return Object.assign(fn, { support });
}

/** Any fixed linear combination of logits, w: [N,1000] (e.g. a random direction, for tests). */
export function linearScore(weights: tf.Tensor2D, head: ScoreHead = 'logits'): ScoreFn {
  return (heads) => {
    const value = tf.sum(tf.mul(heads[head], weights), 1) as tf.Tensor1D;
    return head === 'logits' ? { value, dLogits: weights } : { value, dPreReluLogits: weights };
  };
}

/**
 * "Stock TF.js" SqueezeNet for comparison in the benchmark: the obvious port with plain ops
 * (conv2d + add bias + relu, maxPool, concat) and the input gradient from `tf.grad`, which is what
 * a TF.js user would write. Same weights, same input; only the method differs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FIRES } from '../src/engine/architecture.js';
import type { ModelWeights } from '../src/engine/weights.js';

export class StockSqueezeNet {
  private readonly params: Record<string, { k: tf.Tensor4D; b: tf.Tensor1D }> = {};

  constructor(weights: ModelWeights) {
    for (const [name, w] of Object.entries(weights))
      this.params[name] = { k: tf.tensor4d(w.kernel, w.kernelShape), b: tf.tensor1d(w.bias) };
  }

  private conv(x: tf.Tensor4D, name: string, stride: number, pad: 'valid' | 'same', relu = true): tf.Tensor4D {
    const p = this.params[name];
    const y = tf.add(tf.conv2d(x, p.k, stride, pad), p.b) as tf.Tensor4D;
    return relu ? tf.relu(y) : y;
  }

  logits(x: tf.Tensor4D): tf.Tensor2D {
    let h = tf.maxPool(this.conv(x, 'conv0', 2, 'valid'), 3, 2, 'valid');
    for (const f of FIRES) {
      const s = this.conv(h, `conv${f.conv}`, 1, 'valid');
      h = tf.concat([this.conv(s, `conv${f.conv + 1}`, 1, 'valid'), this.conv(s, `conv${f.conv + 2}`, 1, 'same')], 3);
      if (f.poolAfter) h = tf.maxPool(h, 3, 2, 'valid');
    }
    return tf.mean(tf.relu(this.conv(h, 'conv25', 1, 'valid', false)), [1, 2]) as tf.Tensor2D;
  }

  /** d(sum over the batch of logit[classIndex]) / d(input), by tf.grad. */
  inputGradient(x: tf.Tensor4D, classIndex: number): tf.Tensor4D {
    return tf.grad((input: tf.Tensor) => tf.sum(tf.slice(this.logits(input as tf.Tensor4D), [0, classIndex], [-1, 1])))(
      x,
    ) as tf.Tensor4D;
  }

  dispose(): void {
    for (const p of Object.values(this.params)) tf.dispose([p.k, p.b]);
  }
}

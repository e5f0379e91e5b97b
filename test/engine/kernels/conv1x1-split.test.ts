/**
 * Our 1×1 kernel (conv1x1-split-wat.ts), plain and storing its output ReLU-masked and split, against
 * the stock ops it replaces, conv2d and reluMaskSplit(conv2d(x, w)), on pixel counts that do not
 * fill the kernel's 4-pixel steps and batches; and in the model against the stock path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Conv1x1, setConv1x1Kernels } from '../../../src/engine/kernels/conv1x1-split.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, inputGradientOf, photoInput } from '../../helpers/engine.js';

const random = rng(17);

describe("the backward pass's 1×1 convs (plain, and stored masked and split)", async () => {
  const engine = await engineFor('wasm');

  it('equals the stock conv2d + ReLU mask + split (odd pixel counts, batch 2)', () => {
    const before = tf.memory().numTensors;
    for (const [n, h, w, k, e] of [
      [1, 55, 55, 16, 64],
      [2, 3, 5, 8, 8],
      [1, 1, 1, 4, 16],
      [2, 13, 13, 64, 256],
    ]) {
      const values = Float32Array.from({ length: k * 2 * e }, () => random() - 0.5);
      const kernel = tf.tensor4d(values, [1, 1, k, 2 * e]);
      const op = new Conv1x1(kernel, values);
      expect(op.active()).toBe(true);
      const x = tf.tensor4d(
        Float32Array.from({ length: n * h * w * k }, () => random() * 2 - 1),
        [n, h, w, k],
      );
      const y = tf.tensor4d(
        Float32Array.from({ length: n * h * w * 2 * e }, () => Math.max(0, random() - 0.5)),
        [n, h, w, 2 * e],
      );
      const ours = tf.tidy(() => op.maskSplit(x, y).map((t) => t.dataSync() as Float32Array));
      const stock = tf.tidy(() => {
        const z = tf.mul(tf.conv2d(x, kernel, 1, 'valid'), tf.cast(tf.greater(y, 0), 'float32'));
        return (tf.split(z, 2, 3) as tf.Tensor4D[]).map((t) => t.dataSync() as Float32Array);
      });
      for (const half of [0, 1]) {
        let err = 0;
        let peak = 0;
        for (let i = 0; i < stock[half].length; i++) {
          err = Math.max(err, Math.abs(ours[half][i] - stock[half][i]));
          peak = Math.max(peak, Math.abs(stock[half][i]));
          if (stock[half][i] === 0) expect(ours[half][i]).toBe(0);
        }
        expect(err).toBeLessThanOrEqual(1e-6 * peak);
      }
      op.dispose();
      tf.dispose([kernel, x, y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('plain: equals the stock conv2d (odd pixel counts, batch 2, 8 and 24 outputs)', () => {
    const before = tf.memory().numTensors;
    for (const [n, h, w, k, m] of [
      [1, 55, 55, 64, 16],
      [2, 3, 5, 12, 8],
      [1, 1, 3, 4, 24],
      [2, 13, 13, 48, 256],
    ]) {
      const values = Float32Array.from({ length: k * m }, () => random() - 0.5);
      const kernel = tf.tensor4d(values, [1, 1, k, m]);
      const op = new Conv1x1(kernel, values);
      const x = tf.tensor4d(
        Float32Array.from({ length: n * h * w * k }, () => (random() < 0.3 ? 0 : random() * 2 - 1)),
        [n, h, w, k],
      );
      const ours = tf.tidy(() => op.conv(x).dataSync() as Float32Array);
      const stock = tf.tidy(() => tf.conv2d(x, kernel, 1, 'valid').dataSync() as Float32Array);
      let err = 0;
      let peak = 0;
      for (let i = 0; i < stock.length; i++) {
        err = Math.max(err, Math.abs(ours[i] - stock[i]));
        peak = Math.max(peak, Math.abs(stock[i]));
      }
      expect(ours.length).toBe(stock.length);
      expect(err).toBeLessThanOrEqual(1e-6 * peak);
      op.dispose();
      tf.dispose([kernel, x]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the model the same input gradient as the unfused path', () => {
    for (const p of [photos()[2], photos()[6]]) {
      const x = tf.tensor4d(photoInput(p.path).input, [1, 224, 224, 3]);
      const grad = () => inputGradientOf(engine, x, p.label);
      const fused = grad();
      setConv1x1Kernels(false);
      const unfused = grad();
      setConv1x1Kernels(true);
      let err = 0;
      let peak = 0;
      for (let i = 0; i < fused.length; i++) {
        err = Math.max(err, Math.abs(fused[i] - unfused[i]));
        peak = Math.max(peak, Math.abs(unfused[i]));
      }
      expect(err).toBeLessThanOrEqual(1e-5 * peak);
      x.dispose();
    }
  });
});

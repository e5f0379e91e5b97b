/**
 * The zero-skipping fire-module gradient (output gradient → squeeze gradient) against the stock-op
 * composition it replaces: ReLU mask, split, 1×1 conv + "same" 3×3 conv, squeeze ReLU mask. Odd
 * sizes, batch 2, sparse and dense gradients; and in the model against the dense path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  fireBackwardSparse,
  keptFraction,
  SPARSE_FIRE_MAX_KEPT,
  setSparseFireBackward,
} from '../../../src/engine/kernels/fire-backward.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, inputGradientOf, photoInput } from '../../helpers/engine.js';

const random = rng(11);

function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let peak = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    peak = Math.max(peak, Math.abs(b[i]));
  }
  return err / peak;
}

describe('sparse fire gradient', async () => {
  const engine = await engineFor('wasm');

  it('equals the stock composition (odd sizes, batch 2, 0–95 % zeros; whole or split); frees its scratch', () => {
    const before = tf.memory().numTensors;
    for (const { n, h, w, e, s, zeros } of [
      { n: 1, h: 13, w: 13, e: 256, s: 64, zeros: 0.9 },
      { n: 2, h: 7, w: 11, e: 8, s: 32, zeros: 0.5 },
      { n: 2, h: 16, w: 5, e: 48, s: 48, zeros: 0 },
      { n: 1, h: 1, w: 3, e: 4, s: 32, zeros: 0.95 },
    ]) {
      const values = (len: number, z: number) =>
        Float32Array.from({ length: len }, () => (random() < z ? 0 : random() * 2 - 1));
      const d = tf.tensor4d(values(n * h * w * 2 * e, zeros / 2), [n, h, w, 2 * e]);
      const y = tf.tidy(() => tf.relu(tf.tensor4d(values(n * h * w * 2 * e, zeros / 2), [n, h, w, 2 * e])));
      const sq = tf.tidy(() => tf.relu(tf.tensor4d(values(n * h * w * s, 0), [n, h, w, s])));
      const w1 = tf.tensor4d(values(e * s, 0), [1, 1, e, s]);
      const w3 = tf.tensor4d(values(9 * e * s, 0), [3, 3, e, s]);
      const ours = tf.tidy(
        () => fireBackwardSparse(d, y as tf.Tensor4D, sq as tf.Tensor4D, w1, w3).dataSync() as Float32Array,
      );
      const stock = tf.tidy(() => {
        const masked = tf.mul(d, tf.cast(tf.greater(y, 0), 'float32')) as tf.Tensor4D;
        const [d1, d3] = tf.split(masked, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
        const sum = tf.add(tf.conv2d(d1, w1, 1, 'valid'), tf.conv2d(d3, w3, 1, 'same'));
        return tf.mul(sum, tf.cast(tf.greater(sq, 0), 'float32')).dataSync() as Float32Array;
      });
      expect(ours.length).toBe(stock.length);
      expect(relErr(ours, stock)).toBeLessThan(1e-5);
      // the same from the halves already masked and split (as conv1x1-split.ts stores them)
      const fromSplit = tf.tidy(() => {
        const masked = tf.mul(d, tf.cast(tf.greater(y, 0), 'float32')) as tf.Tensor4D;
        const [d1, d3] = tf.split(masked, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
        expect(keptFraction([d1, d3], y)).toBeCloseTo(keptFraction(d, y), 10);
        return fireBackwardSparse([d1, d3], y as tf.Tensor4D, sq as tf.Tensor4D, w1, w3).dataSync() as Float32Array;
      });
      expect(fromSplit.every((v, i) => Object.is(v, ours[i]))).toBe(true);
      const kept = keptFraction(d, y);
      const expected = tf.tidy(
        () => tf.sum(tf.cast(tf.logicalAnd(tf.notEqual(d, 0), tf.greater(y, 0)), 'float32')).dataSync()[0] / d.size,
      );
      expect(kept).toBeCloseTo(expected, 10);
      tf.dispose([d, y, sq, w1, w3]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the model the same input gradient as the dense path, and is taken at fire9', () => {
    for (const p of [photos()[2], photos()[6]]) {
      const x = tf.tensor4d(photoInput(p.path).input, [1, 224, 224, 3]);
      const grad = () => inputGradientOf(engine, x, p.label);
      const sparse = grad();
      setSparseFireBackward(false);
      const dense = grad();
      setSparseFireBackward(true);
      const e = relErr(sparse, dense);
      console.log(`${p.file}: sparse vs dense fire gradients, max error / peak ${e.toExponential(2)}`);
      expect(e).toBeLessThan(1e-4);
      // not bitwise equal: the sparse kernel ran (its sums go in another order)
      expect(e).toBeGreaterThan(0);
      x.dispose();
    }
    expect(SPARSE_FIRE_MAX_KEPT).toBeGreaterThan(0);
  });
});

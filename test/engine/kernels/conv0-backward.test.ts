/**
 * conv0's zero-skipping input-gradient kernel against TF.js's own conv2d input gradient
 * (tf.conv2dTranspose, stride 2, valid) on sparse random gradients, batch 2, and in the model
 * against the stock phase-conv path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  Conv0Backward,
  setPooledConv0Backward,
  setSparseConv0Backward,
} from '../../../src/engine/kernels/conv0-backward.js';
import { maxPoolBackward } from '../../../src/engine/kernels/ops.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, inputGradientOf, photoInput } from '../../helpers/engine.js';

const random = rng(5);

function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let peak = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    peak = Math.max(peak, Math.abs(b[i]));
  }
  return err / peak;
}

describe('conv0 input gradient (sparse scatter)', async () => {
  const engine = await engineFor('wasm');

  it('equals tf.conv2dTranspose on gradients with 0, 67 and 100 % zeros, batch 2; frees its scratch', () => {
    const k0 = Float32Array.from({ length: 27 * 64 }, () => random() - 0.5);
    const op = new Conv0Backward(k0, 64);
    const filter = tf.tensor4d(k0, [3, 3, 3, 64]);
    const before = tf.memory().numTensors;
    for (const zeros of [0, 0.67, 1]) {
      const d = tf.tensor4d(
        Float32Array.from({ length: 2 * 111 * 111 * 64 }, () => (random() < zeros ? 0 : random() * 2 - 1)),
        [2, 111, 111, 64],
      );
      const ours = tf.tidy(() => op.apply(d).dataSync() as Float32Array);
      const stock = tf.tidy(
        () => tf.conv2dTranspose(d, filter, [2, 224, 224, 3], 2, 'valid').dataSync() as Float32Array,
      );
      expect(ours.length).toBe(stock.length);
      if (zeros === 1) expect(ours.every((v) => v === 0)).toBe(true);
      else expect(relErr(ours, stock)).toBeLessThan(1e-5);
      d.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    op.dispose();
    filter.dispose();
  });

  it('with a ReLU mask equals tf.conv2dTranspose of the masked gradient (odd sizes, batch 2)', () => {
    const k0 = Float32Array.from({ length: 27 * 64 }, () => random() - 0.5);
    const op = new Conv0Backward(k0, 64);
    const filter = tf.tensor4d(k0, [3, 3, 3, 64]);
    const before = tf.memory().numTensors;
    for (const [h, w] of [
      [37, 41],
      [111, 111],
    ]) {
      const values = () => Float32Array.from({ length: 2 * h * w * 64 }, () => (random() < 0.5 ? 0 : random() * 2 - 1));
      const d = tf.tensor4d(values(), [2, h, w, 64]);
      const mask = tf.tidy(() => tf.relu(tf.tensor4d(values(), [2, h, w, 64])) as tf.Tensor4D);
      const ours = tf.tidy(() => op.apply(d, mask).dataSync() as Float32Array);
      const stock = tf.tidy(() => {
        const masked = tf.mul(d, tf.cast(tf.greater(mask, 0), 'float32')) as tf.Tensor4D;
        return tf.conv2dTranspose(masked, filter, [2, 2 * h + 2, 2 * w + 2, 3], 2, 'valid').dataSync() as Float32Array;
      });
      expect(relErr(ours, stock)).toBeLessThan(1e-5);
      tf.dispose([d, mask]);
    }
    expect(tf.memory().numTensors).toBe(before);
    op.dispose();
    filter.dispose();
  });

  it('through the max-pool equals apply(maxPoolBackward(x, y, dy), x) bit for bit (ties, odd sizes, batch 2)', () => {
    const k0 = Float32Array.from({ length: 27 * 64 }, () => random() - 0.5);
    const op = new Conv0Backward(k0, 64);
    const before = tf.memory().numTensors;
    for (const [n, ho, wo] of [
      [2, 5, 7],
      [1, 55, 55],
      [1, 1, 3],
    ]) {
      const [h, w] = [2 * ho + 1, 2 * wo + 1];
      // x after a ReLU, on a coarse grid so that windows have tied maxima (and all-zero windows)
      const x = tf.tensor4d(
        Float32Array.from({ length: n * h * w * 64 }, () => Math.max(0, Math.round(random() * 4 - 1))),
        [n, h, w, 64],
      );
      const y = tf.tidy(() => tf.maxPool(x, 3, 2, 'valid') as tf.Tensor4D);
      const dy = tf.tensor4d(
        Float32Array.from({ length: n * ho * wo * 64 }, () => (random() < 0.2 ? 0 : random() * 2 - 1)),
        [n, ho, wo, 64],
      );
      expect(op.pooledFits(x, y)).toBe(true);
      const fused = tf.tidy(() => op.applyPooled(x, y, dy).dataSync() as Float32Array);
      const twoStep = tf.tidy(() => op.apply(maxPoolBackward(x, y, dy), x).dataSync() as Float32Array);
      expect(fused.length).toBe(twoStep.length);
      expect(fused.every((v, i) => Object.is(v, twoStep[i]))).toBe(true);
      tf.dispose([x, y, dy]);
    }
    expect(tf.memory().numTensors).toBe(before);
    op.dispose();
  });

  it('gives the model the same input gradient with and without the pool-fused form (bit for bit)', () => {
    for (const p of [photos()[2], photos()[6]]) {
      const x = tf.tensor4d(photoInput(p.path).input, [1, 224, 224, 3]);
      const grad = () => inputGradientOf(engine, x, p.label);
      const fused = grad();
      setPooledConv0Backward(false);
      const twoStep = grad();
      setPooledConv0Backward(true);
      expect(fused.every((v, i) => Object.is(v, twoStep[i]))).toBe(true);
      x.dispose();
    }
  });

  it('gives the model the same input gradient as the stock phase-conv path', () => {
    for (const p of [photos()[2], photos()[6]]) {
      const x = tf.tensor4d(photoInput(p.path).input, [1, 224, 224, 3]);
      const grad = () => inputGradientOf(engine, x, p.label);
      const sparse = grad();
      setSparseConv0Backward(false);
      const stock = grad();
      setSparseConv0Backward(true);
      const e = relErr(sparse, stock);
      console.log(`${p.file}: sparse vs phase-conv conv0 gradient, max error / peak ${e.toExponential(2)}`);
      expect(e).toBeLessThan(1e-5);
      x.dispose();
    }
  });
});

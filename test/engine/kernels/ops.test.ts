/**
 * Each hand-written SIMD kernel against the stock-op composition it replaces (the path WebGPU
 * takes), on awkward inputs: ties, zeros, negative values, batches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  classHeads,
  concatChannels,
  conv1x1Sparse,
  depthToSpace2,
  maxPoolBackward,
  maxPoolBackwardSplit,
  maxPoolCeilBackward,
  reluMask,
  reluMaskSplit,
  setSimdKernelsEnabled,
  simdKernelsActive,
} from '../../../src/engine/kernels/ops.js';
import { rng } from '../../helpers/data.js';
import { engineFor } from '../../helpers/engine.js';

function both<T extends tf.Tensor | tf.Tensor[]>(fn: () => T): [Float32Array[], Float32Array[]] {
  const read = (r: T) => (Array.isArray(r) ? r : [r]).map((t) => t.dataSync() as Float32Array);
  expect(simdKernelsActive()).toBe(true);
  const simd = tf.tidy(() => read(fn()));
  setSimdKernelsEnabled(false);
  try {
    expect(simdKernelsActive()).toBe(false);
    return [simd, tf.tidy(() => read(fn()))];
  } finally {
    setSimdKernelsEnabled(true);
  }
}

function expectSame([a, b]: [Float32Array[], Float32Array[]], tolerance = 0): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    expect(x.length).toBe(b[i].length);
    let worst = 0;
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - b[i][j]));
    expect(worst).toBeLessThanOrEqual(tolerance);
  });
}

const random = rng(42);
const tensor = (shape: number[], f: () => number = () => random() * 2 - 1) =>
  tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, f), shape);

describe('SIMD kernels match the stock-op path', async () => {
  await engineFor('wasm');

  it('max-pool gradient, with many ties, batch 2', () => {
    const x = tf.maxPool(tensor([2, 27, 27, 8], () => Math.floor(random() * 3)) as tf.Tensor4D, 1, 1, 'valid');
    const y = tf.maxPool(x, 3, 2, 'valid');
    const dy = tensor(y.shape) as tf.Tensor4D;
    expectSame(
      both(() => maxPoolBackward(x, y, dy)),
      1e-6,
    );
  });

  it('max-pool gradient masked and split in one pass: the two-step result, ties, batch 2, odd sizes', () => {
    for (const [n, h, w, c] of [
      [2, 27, 27, 16],
      [1, 11, 7, 8],
      [2, 3, 3, 24],
    ]) {
      // after a ReLU, on a coarse grid: tied maxima, all-zero windows
      const x = tensor([n, h, w, c], () => Math.max(0, Math.floor(random() * 4) - 1)) as tf.Tensor4D;
      const y = tf.maxPool(x, 3, 2, 'valid') as tf.Tensor4D;
      const dy = tensor(y.shape) as tf.Tensor4D;
      const fused = tf.tidy(() => maxPoolBackwardSplit(x, y, dy)!.map((t) => t.dataSync() as Float32Array));
      const twoStep = tf.tidy(() =>
        reluMaskSplit(maxPoolCeilBackward(x, y, dy), x).map((t) => t.dataSync() as Float32Array),
      );
      for (const half of [0, 1]) expect(fused[half].every((v, i) => Object.is(v, twoStep[half][i]))).toBe(true);
      setSimdKernelsEnabled(false);
      try {
        expect(maxPoolBackwardSplit(x, y, dy)).toBeNull();
        const stock = tf.tidy(() =>
          reluMaskSplit(maxPoolCeilBackward(x, y, dy), x).map((t) => t.dataSync() as Float32Array),
        );
        expectSame([fused, stock], 1e-6);
      } finally {
        setSimdKernelsEnabled(true);
      }
      tf.dispose([x, y, dy]);
    }
    // a ceil-mode pool that pads (even size): not taken
    const x = tensor([1, 6, 6, 8]) as tf.Tensor4D;
    const y = tf.maxPool(x, 3, 2, 'valid') as tf.Tensor4D;
    const dy = tensor(y.shape) as tf.Tensor4D;
    expect(maxPoolBackwardSplit(x, y, dy)).toBeNull();
    tf.dispose([x, y, dy]);
  });

  it('ReLU mask and mask-split (zeros in the reference count as inactive)', () => {
    const d = tensor([2, 5, 7, 16]) as tf.Tensor4D;
    const ref = tensor([2, 5, 7, 16], () => (random() < 0.3 ? 0 : random() - 0.5)) as tf.Tensor4D;
    expectSame(both(() => reluMask(d, ref)));
    expectSame(both(() => reluMaskSplit(d, ref)));
  });

  it('channel concat, depth-to-space, class heads', () => {
    const a = tensor([2, 3, 5, 4]) as tf.Tensor4D;
    const b = tensor([2, 3, 5, 12]) as tf.Tensor4D;
    expectSame(both(() => concatChannels(a, b)));
    const phases = tensor([2, 4, 3, 12]) as tf.Tensor4D; // made once: both paths must see the same input
    expectSame(both(() => depthToSpace2(phases)));
    const z = tensor([3, 13, 13, 1000], () => random() * 20 - 10) as tf.Tensor4D;
    const heads = both(() => {
      const h = classHeads(z);
      return [h.preReluLogits, h.logits];
    });
    expectSame(heads, 1e-5);
  });

  it('sparse 1×1 convolution: any sparsity (none, 90 %, all zero, runs of 1–3 leftover nonzeros), batch 2', () => {
    for (const zeros of [0, 0.9, 1]) {
      for (const cin of [5, 7, 64]) {
        const x = tensor([2, 3, 4, cin], () => (random() < zeros ? 0 : random() * 3)) as tf.Tensor4D;
        const w = tensor([1, 1, cin, 20]) as tf.Tensor4D;
        const bias = tensor([20]) as tf.Tensor1D;
        // Same terms, summed in another order: float32 rounding only.
        expectSame(
          both(() => conv1x1Sparse(x, w, bias)),
          1e-5,
        );
      }
    }
    // The classifier's shape, on real-looking input: 13×13 cells, 512 → 1000, 90 % zeros.
    const x = tensor([1, 13, 13, 512], () => (random() < 0.9 ? 0 : random() * 4)) as tf.Tensor4D;
    const w = tensor([1, 1, 512, 1000], () => (random() - 0.5) * 0.1) as tf.Tensor4D;
    const bias = tensor([1000]) as tf.Tensor1D;
    expectSame(
      both(() => conv1x1Sparse(x, w, bias)),
      1e-5,
    );
  });
});

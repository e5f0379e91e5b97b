/**
 * addAll (kernels/add-all.ts): sums any number of tensors with at most ADD_N_MAX_INPUTS inputs per
 * kernel call — a 9-input tf.addN summed only 5 of them on the software WebGPU adapter (its storage
 * buffer limit), which made the WebGPU input gradient NaN; the WebGPU check is
 * test/extension/engine-sw.test.ts (gradient on WebGPU as Node).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ADD_N_MAX_INPUTS, addAll } from '../../src/engine/kernels/add-all.js';
import { engineFor } from '../helpers/engine.js';

describe('addAll', () => {
  it(`sums 1…13 tensors exactly, never giving a kernel more than ${ADD_N_MAX_INPUTS} inputs`, async () => {
    await engineFor('wasm');
    const widest: number[] = [];
    const addN = tf.addN;
    // Watch the calls: each one's input count must stay within the limit.
    const spy = (xs: tf.Tensor[]) => {
      widest.push(xs.length);
      return addN(xs);
    };
    for (let m = 1; m <= 13; m++) {
      const sum = tf.tidy(() => {
        const xs = Array.from({ length: m }, (_, q) => tf.fill([2, 3], 2 ** q));
        return addAll(xs, spy).dataSync();
      });
      expect(Array.from(sum)).toEqual(new Array(6).fill(2 ** m - 1));
    }
    expect(Math.max(...widest)).toBe(ADD_N_MAX_INPUTS);
    expect(() => addAll([])).toThrow(/at least one/);
  });
});

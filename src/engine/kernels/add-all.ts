import * as tf from '@tensorflow/tfjs-core';

/**
 * WebGPU binds each input of a kernel as a storage buffer, and an adapter need not allow more than
 * 8 per shader stage (the WebGPU default limit): on the software adapter a 9-input `tf.addN`
 * returned the sum of its first 5 inputs, which made the max-pool gradient wrong and the input
 * gradient NaN (found 2026-12-02, test/extension/engine-sw.test.ts). So sums of many tensors go
 * through `addN` 4 at a time (5 buffers with the output), on every backend.
 */
export const ADD_N_MAX_INPUTS = 4;

/** Σ of the tensors (at least one), at most ADD_N_MAX_INPUTS per kernel call (`addN`: for tests). */
export function addAll<T extends tf.Tensor>(xs: readonly T[], addN: (xs: tf.Tensor[]) => tf.Tensor = tf.addN): T {
  if (xs.length === 0) throw new Error('addAll needs at least one tensor');
  let level: tf.Tensor[] = [...xs];
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += ADD_N_MAX_INPUTS) {
      const group = level.slice(i, i + ADD_N_MAX_INPUTS);
      next.push(group.length === 1 ? group[0] : addN(group));
    }
    level = next;
  }
  return level[0] as T;
}

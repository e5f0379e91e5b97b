/** One engine per backend for a test file, loaded once. */

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../../src/engine/backend.js';
import { decodeImage } from '../../src/engine/decode-node.js';
import { loadEngineNode, type NodeEngine } from '../../src/engine/node.js';
import { preprocess } from '../../src/engine/preprocess.js';
import { classScore } from '../../src/engine/scores.js';
import type { WeightDType } from '../../src/engine/weights.js';

const engines = new Map<string, Promise<NodeEngine>>();

/** Loads (once) and activates the engine for a backend. Model tensors live on that backend. */
export async function engineFor(
  backend: Exclude<BackendName, 'webgpu'>,
  weights: WeightDType = 'float32',
): Promise<NodeEngine> {
  const key = `${backend}/${weights}`;
  if (!engines.has(key)) engines.set(key, loadEngineNode({ backend, weights }));
  const engine = await engines.get(key)!;
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  return engine;
}

export function logitsOf(engine: NodeEngine, inputNHWC: Float32Array, n = 1): Float32Array {
  return tf.tidy(() => {
    const r = engine.model.run(tf.tensor4d(inputNHWC, [n, 224, 224, 3]));
    return r.logits.dataSync() as Float32Array;
  });
}

export function photoInput(path: string, mode: 'crop' | 'fit' = 'crop') {
  return preprocess(decodeImage(readFileSync(path), path), mode);
}

/** The input gradient of class `label`'s score on a preprocessed batch x (fused vs unfused kernel comparisons). */
export function inputGradientOf(engine: NodeEngine, x: tf.Tensor4D, label: number): Float32Array {
  return tf.tidy(() => engine.model.run(x, { score: classScore([label]) }).gradients.input!.dataSync() as Float32Array);
}

/**
 * The engine in Node (CLI, tests, benchmarks): WASM (SIMD, one thread) or the CPU backend, the
 * weights read from the verified .npy sources and, for float16, sent through the same
 * pack → unpack path as the extension's packaged weights.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, type BackendReport, selectBackend } from './backend.js';
import { Classifier } from './classifier.js';
import { loadSimdKernelsNode } from './kernels/assemble-node.js';
import { provideSimdKernels, simdKernelsActive } from './kernels/ops.js';
import { type ResolvedModelData, type ResolveOptions, resolveModelData } from './model-data-node.js';
import { LABELS_PATH, parseLabels } from './model-sources.js';
import { loadWeightsNode } from './node-weights.js';
import { SqueezeNet } from './squeezenet.js';
import type { WeightDType } from './weights.js';

export interface NodeEngine {
  model: SqueezeNet;
  labels: string[];
  backend: BackendReport;
  weightsDType: WeightDType;
  data: ResolvedModelData;
  classifier: Classifier;
}

export async function loadEngineNode(
  options: { backend?: BackendName; weights?: WeightDType; data?: ResolveOptions } = {},
): Promise<NodeEngine> {
  const backendName = options.backend ?? 'wasm';
  if (backendName === 'webgpu') throw new Error('WebGPU is not available in Node: use wasm or cpu');
  // PROD silences TF.js's console advice to install tfjs-node (we deliberately run WASM/CPU).
  tf.env().set('PROD', true);
  const backend = await selectBackend({ candidates: [backendName] });
  if (backendName === 'wasm')
    provideSimdKernels(await WebAssembly.compile(new Uint8Array(await loadSimdKernelsNode())));
  backend.simdKernels = simdKernelsActive();
  const data = await resolveModelData(options.data);
  const weightsDType = options.weights ?? 'float32';
  const weights = await loadWeightsNode(data, weightsDType);
  const labels = parseLabels(await readFile(data.files.get(LABELS_PATH)!, 'utf8'));
  const model = new SqueezeNet(weights);
  return { model, labels, backend, weightsDType, data, classifier: new Classifier(model, labels, backend) };
}

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
import {
  type KernelBuild,
  kernelBuild,
  provideSimdKernels,
  relaxedSimdSupported,
  simdKernelsActive,
} from './kernels/ops.js';
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

export interface NodeEngineOptions {
  backend?: BackendName;
  weights?: WeightDType;
  data?: ResolveOptions;
  /**
   * Which SIMD kernel build: 'auto' (default) the relaxed-SIMD one where this Node validates it
   * (Node 22+, or Node 20 started with --experimental-wasm-relaxed-simd), else the plain one, as
   * in the extension; 'simd128' always the plain one. `backend.kernels` says which ran.
   */
  kernels?: 'auto' | 'simd128';
}

export async function loadEngineNode(options: NodeEngineOptions = {}): Promise<NodeEngine> {
  const backendName = options.backend ?? 'wasm';
  if (backendName === 'webgpu') throw new Error('WebGPU is not available in Node: use wasm or cpu');
  // PROD silences TF.js's console advice to install tfjs-node (we deliberately run WASM/CPU).
  tf.env().set('PROD', true);
  const backend = await selectBackend({ candidates: [backendName] });
  if (backendName === 'wasm') {
    const compile = async (build: KernelBuild) => WebAssembly.compile(new Uint8Array(await loadSimdKernelsNode(build)));
    const relaxed = (options.kernels ?? 'auto') === 'auto' && relaxedSimdSupported();
    provideSimdKernels(await compile('simd128'), relaxed ? await compile('relaxed-simd') : null);
  }
  backend.simdKernels = simdKernelsActive();
  if (backend.simdKernels) backend.kernelBuild = kernelBuild() ?? undefined;
  const data = await resolveModelData(options.data);
  const weightsDType = options.weights ?? 'float32';
  const weights = await loadWeightsNode(data, weightsDType);
  const labels = parseLabels(await readFile(data.files.get(LABELS_PATH)!, 'utf8'));
  const model = new SqueezeNet(weights);
  return { model, labels, backend, weightsDType, data, classifier: new Classifier(model, labels, backend) };
}

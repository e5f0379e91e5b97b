/**
 * The engine in Node (CLI, tests, benchmarks): WASM (SIMD, one thread) or the CPU backend, the
 * weights read from the verified .npy sources and, for float16, sent through the same
 * pack → unpack path as the extension's packaged weights.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readFile } from 'node:fs/promises';
import { selectBackend, type BackendName, type BackendReport } from './backend.js';
import { resolveModelData, type ResolveOptions, type ResolvedModelData } from './model-data-node.js';
import { LABELS_PATH, WEIGHTS_SUBDIR, parseLabels } from './model-sources.js';
import { parseNpy } from './npy.js';
import { SqueezeNet } from './squeezenet.js';
import { packWeights, unpackWeights, weightsFromNpy, type ModelWeights, type WeightDType } from './weights.js';

export interface NodeEngine {
  model: SqueezeNet;
  labels: string[];
  backend: BackendReport;
  weightsDType: WeightDType;
  data: ResolvedModelData;
}

export async function loadWeightsNode(data: ResolvedModelData, dtype: WeightDType = 'float32'): Promise<ModelWeights> {
  const arrays = new Map<string, Uint8Array>();
  for (const [path, abs] of data.files) {
    if (path.startsWith(WEIGHTS_SUBDIR + '/')) arrays.set(path.slice(WEIGHTS_SUBDIR.length + 1), await readFile(abs));
  }
  const weights = weightsFromNpy((name) => {
    const bytes = arrays.get(name);
    if (!bytes) throw new Error(`${name}: not in the model data`);
    return parseNpy(bytes, name);
  });
  if (dtype === 'float32') return weights;
  const { manifest, bin } = packWeights(weights, dtype);
  return unpackWeights(manifest, bin);
}

export async function loadEngineNode(options: { backend?: BackendName; weights?: WeightDType; data?: ResolveOptions } = {}): Promise<NodeEngine> {
  const backendName = options.backend ?? 'wasm';
  if (backendName === 'webgpu') throw new Error('WebGPU is not available in Node: use wasm or cpu');
  const backend = await selectBackend({ candidates: [backendName] });
  const data = await resolveModelData(options.data);
  const weightsDType = options.weights ?? 'float32';
  const weights = await loadWeightsNode(data, weightsDType);
  const labels = parseLabels(await readFile(data.files.get(LABELS_PATH)!, 'utf8'));
  return { model: new SqueezeNet(weights), labels, backend, weightsDType, data };
}

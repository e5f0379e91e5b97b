/** Reading the verified .npy sources into the weight container (Node). */
import { readFile } from 'node:fs/promises';
import type { ResolvedModelData } from './model-data-node.js';
import { WEIGHTS_SUBDIR } from './model-sources.js';
import { parseNpy } from './npy.js';
import { type ModelWeights, packWeights, unpackWeights, type WeightDType, weightsFromNpy } from './weights.js';

/** float16 goes through the same pack → unpack path as the extension's packaged weights. */
export async function loadWeightsNode(data: ResolvedModelData, dtype: WeightDType = 'float32'): Promise<ModelWeights> {
  const arrays = new Map<string, Uint8Array>();
  for (const [path, abs] of data.files) {
    if (path.startsWith(`${WEIGHTS_SUBDIR}/`)) arrays.set(path.slice(WEIGHTS_SUBDIR.length + 1), await readFile(abs));
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

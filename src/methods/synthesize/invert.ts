/**
 * Feature inversion (Mahendran & Vedaldi, "Understanding Deep Image Representations by Inverting
 * Them", CVPR 2015), as the CS231n StyleTransfer notebook runs it on SqueezeNet 1.1: from seeded
 * noise, find an image whose activations at one layer match the photo's, with a total-variation
 * prior, so the result shows what that layer keeps of the picture (early layers: almost all of it;
 * deep ones: the parts and textures that matter for the class).
 *
 * CS231n's settings: content loss 6e-2·Σ(F − P)² on the layer, TV 2e-2, start from uniform(0,1)
 * noise in normalized units, Adam lr 3.0 then 0.1 from iteration 180, 200 iterations, clamp to
 * [−1.5, 1.5] (see optimize.ts). The result has the photo's size: the callers give the whole
 * picture at its aspect ratio with its smallest side at 192 (catalog SYNTHESIS_SIZES; 'whole' in
 * engine/preprocess.ts), as CS231n.
 *
 * Measured (WASM, monarch photo, fire2, 2 busy cores): content loss 57441 → 1468 (39×), 42–53 ms per
 * iteration, ~9 s in all; the photo is clearly recognizable. The loss is lowest near iteration 40
 * (20300) and drifts up to 29700 by 180 while lr 3.0 overshoots; the lr 0.1 phase does the rest.
 */
import { COMPARE_LAYERS, INVERT_DEFAULTS, INVERT_LAYERS, type InvertLayer } from '../../shared/catalog.js';
import type { Model, PixelImage, Progress } from '../common.js';
import { noiseInit, type SynthesisOptions, type SynthesisResult, synthesize, targetActivation } from './optimize.js';

export interface InvertOptions extends SynthesisOptions {
  /** the layer whose activations are matched (default fire2) */
  layer?: InvertLayer;
  /** default 6e-2 */
  contentWeight?: number;
  /** default 2e-2 */
  tvWeight?: number;
  /** seed of the starting noise (default 0) */
  seed?: number;
}

export interface InvertResult extends SynthesisResult {
  layer: InvertLayer;
}

export async function invertFeatures(
  model: Model,
  image: PixelImage,
  options: InvertOptions = {},
): Promise<InvertResult> {
  const layer = options.layer ?? INVERT_DEFAULTS.layer;
  if (!(INVERT_LAYERS as readonly string[]).includes(layer))
    throw new RangeError(`unknown layer ${layer} (available: ${INVERT_LAYERS.join(', ')})`);
  const contentWeight = options.contentWeight ?? INVERT_DEFAULTS.contentWeight;
  const tvWeight = options.tvWeight ?? INVERT_DEFAULTS.tvWeight;
  const target = targetActivation(model, image, layer);
  try {
    const init = noiseInit(options.seed ?? 0, image.height, image.width);
    try {
      const loss = { content: { layer, target, weight: contentWeight }, tv: tvWeight };
      const result = await synthesize(model, init, loss, options, `inverting ${layer}`);
      return { ...result, layer };
    } finally {
      init.dispose();
    }
  } finally {
    target.dispose();
  }
}

/** Progress of a layer comparison: the overall step, and which layer is at which of its own steps. */
export interface LayersProgress extends Progress {
  layer: InvertLayer;
  /** the layer's place in the comparison (0-based) */
  index: number;
  layerStep: number;
  layerTotal: number;
}

export interface InvertLayersOptions extends Omit<InvertOptions, 'layer' | 'onProgress'> {
  /** default COMPARE_LAYERS: conv1, fire2, fire4, fire6, fire8 */
  layers?: readonly InvertLayer[];
  onProgress?: (progress: LayersProgress) => void;
}

/**
 * "What does each layer keep?": the same photo inverted from each layer in turn, every one from the
 * same seeded noise with the same settings, so the pictures differ only by what the layer keeps.
 * Progress counts over all of them (step k·N + s of n·N) and names the layer.
 */
export async function invertLayers(
  model: Model,
  image: PixelImage,
  options: InvertLayersOptions = {},
): Promise<InvertResult[]> {
  const { layers = COMPARE_LAYERS, onProgress, ...rest } = options;
  if (layers.length === 0) throw new RangeError('no layers to compare');
  if (new Set(layers).size !== layers.length) throw new RangeError(`a layer is given twice: ${layers.join(', ')}`);
  for (const layer of layers)
    if (!(INVERT_LAYERS as readonly string[]).includes(layer))
      throw new RangeError(`unknown layer ${layer} (available: ${INVERT_LAYERS.join(', ')})`);
  const results: InvertResult[] = [];
  for (const [index, layer] of layers.entries()) {
    const report = onProgress
      ? (p: Progress) =>
          onProgress({
            ...p,
            step: index * p.total + p.step,
            total: layers.length * p.total,
            message: `${layer}: step ${p.step} of ${p.total}`,
            layer,
            index,
            layerStep: p.step,
            layerTotal: p.total,
          })
      : undefined;
    results.push(await invertFeatures(model, image, { ...rest, layer, onProgress: report }));
  }
  return results;
}

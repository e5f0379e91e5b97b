/**
 * Model-parameter randomization test (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS
 * 2018). A saliency method that explains the MODEL must change when the model's learned weights
 * are destroyed. Cascading: randomize the blocks from the top (classifier conv25, then fire9, …,
 * fire2, then conv1), cumulatively, re-run the method on each randomized model (same image, same
 * class) and compare each map with the original one. 'independent' randomizes one block at a time
 * instead.
 *
 * Re-initialization: every weight of a randomized conv is drawn from a Gaussian with that
 * kernel's own mean and standard deviation (biases likewise, from the biases'), seeded per conv,
 * so activations keep their scale and a conv is randomized the same way at every step.
 *
 * Verdict: the method is flagged "not model-sensitive" when the Spearman rank correlation of |map|
 * with the original stays ≥ `threshold` (default 0.7) once the blocks down to `verdictAfter`
 * (default fire8: classifier, fire9 and fire8 randomized) are randomized (independent mode: when
 * none of the single blocks from the classifier down to `verdictAfter` brings it below).
 *
 * Why 0.7 and not 0.5: gradient maps of even a FULLY random SqueezeNet keep a rank correlation of
 * 0.04–0.37 (median ≈ 0.3) with the trained model's on the 12 test photos — the image's edges
 * shape every gradient through the ReLU masks — and after classifier + fire9 + fire8 vanilla
 * gradient is at 0.35–0.59 (gradient × input 0.39–0.64), while Grad-CAM falls to −0.05…0.12 and a
 * detector of the image's own edges stays at exactly 1. At 0.5, vanilla gradient would be
 * flagged on 4/12 photos although its map has lost half its rank structure; the methods Adebayo
 * et al. fail (Guided Backprop, Guided Grad-CAM) stay visibly unchanged.
 */
import { FIRES, type FireName } from '../../engine/architecture.js';
import { SqueezeNet } from '../../engine/squeezenet.js';
import type { ModelWeights } from '../../engine/weights.js';
import { argmax } from '../../shared/numeric.js';
import {
  gaussian,
  type Model,
  type PixelImage,
  pixelTensor,
  type RunControl,
  seededRandom,
  throwIfCancelled,
  yieldToEventLoop,
} from '../common.js';
import { classify, validateClass, validateImage } from '../explain/saliency.js';
import { compareMaps, type MapSimilarity } from './similarity.js';

export type RandomizationBlock = 'classifier' | FireName | 'conv1';

/** Blocks from the top of the network down, with their convs. */
export const CASCADE: readonly { block: RandomizationBlock; convs: readonly string[] }[] = [
  { block: 'classifier', convs: ['conv25'] },
  ...[...FIRES]
    .reverse()
    .map((f) => ({ block: f.name, convs: [`conv${f.conv}`, `conv${f.conv + 1}`, `conv${f.conv + 2}`] })),
  { block: 'conv1', convs: ['conv0'] },
];

/** A saliency method as the test sees it: one H×W map of an image for a class, on any model. */
export type MapFn = (
  model: Model,
  image: PixelImage,
  classIndex: number,
  control?: RunControl,
) => Promise<Float32Array>;

function convSeed(seed: number, conv: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of conv) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

function meanStd(v: Float32Array): [number, number] {
  let s = 0;
  let q = 0;
  for (const x of v) {
    s += x;
    q += x * x;
  }
  const m = s / v.length;
  return [m, Math.sqrt(Math.max(0, q / v.length - m * m))];
}

/**
 * A copy of `weights` with the named convs re-drawn (Gaussian, each kernel's and bias's own mean
 * and std), seeded per conv. Untouched convs share their arrays with `weights`.
 */
export function randomizeWeights(weights: ModelWeights, convs: readonly string[], seed = 0): ModelWeights {
  const out: ModelWeights = { ...weights };
  for (const name of convs) {
    const w = weights[name];
    if (!w) throw new RangeError(`${name}: no such conv in the weights`);
    const normal = gaussian(seededRandom(convSeed(seed, name)));
    const draw = (v: Float32Array) => {
      const [m, s] = meanStd(v);
      return Float32Array.from(v, () => m + s * normal());
    };
    out[name] = { kernel: draw(w.kernel), kernelShape: w.kernelShape, bias: draw(w.bias) };
  }
  return out;
}

export interface RandomizationOptions {
  /** class to explain; default: the original model's prediction */
  classIndex?: number;
  /** default 0 */
  seed?: number;
  /** default 'cascading' */
  mode?: 'cascading' | 'independent';
  /** stop after this many blocks (default all 10) */
  blocks?: number;
  /** Spearman threshold of the verdict (default 0.7) */
  threshold?: number;
  /** the block down to which (cascading) randomization is judged (default 'fire8') */
  verdictAfter?: RandomizationBlock;
  /** keep every randomized map in the result (for display) */
  keepMaps?: boolean;
}

export interface RandomizationStep extends MapSimilarity {
  block: RandomizationBlock;
  /** every conv randomized in this step's model */
  randomized: string[];
  /** the randomized model's map is constant (no structure at all) */
  constant: boolean;
  map?: Float32Array;
}

export interface RandomizationVerdict {
  modelSensitive: boolean;
  threshold: number;
  after: RandomizationBlock;
  /**
   * Spearman(|map|) the threshold is applied to: cascading, with the blocks down to `after`
   * randomized; independent, the lowest over the single blocks from the classifier to `after`
   */
  correlation: number;
  message: string;
}

export interface ModelRandomizationResult {
  classIndex: number;
  mode: 'cascading' | 'independent';
  original: Float32Array;
  steps: RandomizationStep[];
  verdict: RandomizationVerdict;
}

function isConstant(map: Float32Array): boolean {
  for (let i = 1; i < map.length; i++) if (map[i] !== map[0]) return false;
  return true;
}

/**
 * Run the randomization test for `saliency` on one image. `model` is the trained model and
 * `weights` its weights (from which the randomized models are built, and disposed, one by one).
 */
export async function modelRandomization(
  model: Model,
  weights: ModelWeights,
  image: PixelImage,
  saliency: MapFn,
  options: RandomizationOptions = {},
  control: RunControl = {},
): Promise<ModelRandomizationResult> {
  validateImage(image);
  const mode = options.mode ?? 'cascading';
  if (mode !== 'cascading' && mode !== 'independent')
    throw new RangeError(`unknown mode ${String(mode)} (use cascading or independent)`);
  const threshold = options.threshold ?? 0.7;
  const after = options.verdictAfter ?? 'fire8';
  const afterIndex = CASCADE.findIndex((c) => c.block === after);
  if (afterIndex < 0)
    throw new RangeError(`unknown block ${String(after)} (use ${CASCADE.map((c) => c.block).join(', ')})`);
  const count = options.blocks ?? CASCADE.length;
  if (!Number.isInteger(count) || count < 1 || count > CASCADE.length)
    throw new RangeError(`blocks must be 1…${CASCADE.length}, got ${count}`);
  if (count <= afterIndex)
    throw new RangeError(`the verdict needs the blocks down to ${after}: blocks must be ≥ ${afterIndex + 1}`);
  let classIndex = options.classIndex;
  if (classIndex === undefined) {
    const px = pixelTensor(image);
    classIndex = argmax((await classify(model, px).finally(() => px.dispose())).logits);
  }
  validateClass(classIndex);
  const total = count + 1;
  throwIfCancelled(control.signal, 'model randomization');
  const original = await saliency(model, image, classIndex, { signal: control.signal });
  control.onProgress?.({ step: 1, total, message: 'original map' });
  const steps: RandomizationStep[] = [];
  for (let k = 0; k < count; k++) {
    await yieldToEventLoop();
    throwIfCancelled(control.signal, 'model randomization');
    const randomized = mode === 'cascading' ? CASCADE.slice(0, k + 1).flatMap((c) => c.convs) : [...CASCADE[k].convs];
    // A few passes each: XNNPACK only, rather than transforming 16 kernels for Winograd every time.
    const randomModel = new SqueezeNet(randomizeWeights(weights, randomized, options.seed ?? 0), { winograd: 'off' });
    let map: Float32Array;
    try {
      map = await saliency(randomModel, image, classIndex, { signal: control.signal });
    } finally {
      randomModel.dispose();
    }
    steps.push({
      block: CASCADE[k].block,
      randomized,
      ...compareMaps(original, map),
      constant: isConstant(map),
      ...(options.keepMaps ? { map } : {}),
    });
    control.onProgress?.({
      step: k + 2,
      total,
      message: `randomized ${mode === 'cascading' ? 'down to ' : ''}${CASCADE[k].block}`,
    });
  }
  // cascading: the map once the blocks down to `after` are randomized; independent: the most
  // changed map among single-block randomizations from the classifier down to `after`.
  const correlation =
    mode === 'cascading'
      ? steps[afterIndex].spearmanAbs
      : Math.min(...steps.slice(0, afterIndex + 1).map((s) => s.spearmanAbs));
  const modelSensitive = correlation < threshold;
  const scope =
    mode === 'cascading'
      ? `with the blocks down to ${after} randomized`
      : `with any one block from the classifier to ${after} randomized`;
  const message = modelSensitive
    ? `model-sensitive: Spearman(|map|) with the original map is at most ${correlation.toFixed(3)} ` +
      `${scope} (< ${threshold})`
    : `NOT model-sensitive: the map keeps Spearman(|map|) ${correlation.toFixed(3)} ≥ ${threshold} ${scope}; ` +
      'it does not depend on what the model learned';
  return { classIndex, mode, original, steps, verdict: { modelSensitive, threshold, after, correlation, message } };
}

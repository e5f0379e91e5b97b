/**
 * Style transfer (Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural
 * Networks", CVPR 2016), CS231n's StyleTransfer notebook on SqueezeNet 1.1: starting from the
 * content picture, minimize content loss at fire2 + style (Gram) loss at conv1, fire3, fire4, fire5
 * + total variation. The three presets are the notebook's three runs (content, style and TV
 * weights); `strength` multiplies the style weights (1 = the preset).
 *
 * Optimizer and clamping as in optimize.ts. The result has the content picture's size; as CS231n,
 * callers give each picture whole at its aspect ratio, content with its smallest side at 192 (up
 * to 384), style at 192 (192–512): catalog SYNTHESIS_SIZES. The two sizes may differ: the Gram
 * matrices are normalized by each layer's own H·W·C.
 *
 * Measured (WASM, monarch in the parachute's style, composition-vii, 2 busy cores): 390–540 ms per
 * iteration (five engine runs: fire2 and the four Gram layers). With CS231n's lr 3.0 the total
 * barely moves over 200 iterations (30447 → 30474: style 27129 → 11955, content 1357 → 13445),
 * because the first steps throw the image far from the content picture (the total peaks near
 * 1.2e5) and the run spends most of its time recovering; at lr 0.1, 20 iterations take the total
 * 93814 → 28895 (scream, strength 2). The default stays CS231n's; `learningRate` is an option.
 */
import * as tf from '@tensorflow/tfjs-core';
import { STYLE_LAYERS, STYLIZE_DEFAULTS, STYLIZE_PRESETS, type StylePreset } from '../../shared/catalog.js';
import type { Model, PixelImage } from '../common.js';
import {
  imageInit,
  type SynthesisOptions,
  type SynthesisResult,
  styleTerms,
  synthesize,
  targetActivation,
} from './optimize.js';

export interface StylizeOptions extends SynthesisOptions {
  /** default composition-vii */
  preset?: StylePreset;
  /** multiplies the style weights (default 1) */
  strength?: number;
  /** override the preset's weights */
  contentWeight?: number;
  styleWeights?: readonly number[];
  tvWeight?: number;
}

export interface StylizeResult extends SynthesisResult {
  preset: StylePreset;
  weights: { content: number; style: number[]; tv: number };
}

export async function stylize(
  model: Model,
  content: PixelImage,
  style: PixelImage,
  options: StylizeOptions = {},
): Promise<StylizeResult> {
  const preset = options.preset ?? STYLIZE_DEFAULTS.preset;
  const settings = STYLIZE_PRESETS[preset];
  if (!settings)
    throw new RangeError(`unknown preset ${preset} (available: ${Object.keys(STYLIZE_PRESETS).join(', ')})`);
  const strength = options.strength ?? STYLIZE_DEFAULTS.strength;
  if (!Number.isFinite(strength) || strength < 0) throw new RangeError(`strength must be ≥ 0, got ${strength}`);
  const weights = {
    content: options.contentWeight ?? settings.contentWeight,
    style: (options.styleWeights ?? settings.styleWeights).map((w) => w * strength),
    tv: options.tvWeight ?? settings.tvWeight,
  };
  const layer = STYLIZE_DEFAULTS.contentLayer;
  const terms = styleTerms(model, style, STYLE_LAYERS, weights.style);
  const owned: tf.Tensor[] = terms.map((t) => t.gram);
  try {
    const target = targetActivation(model, content, layer);
    owned.push(target);
    const init = imageInit(content);
    owned.push(init);
    const loss = { content: { layer, target, weight: weights.content }, style: terms, tv: weights.tv };
    const result = await synthesize(model, init, loss, options, `style transfer (${preset})`);
    return { ...result, preset, weights };
  } finally {
    tf.dispose(owned);
  }
}

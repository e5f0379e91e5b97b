/**
 * Texture synthesis (Gatys, Ecker & Bethge, "Texture Synthesis Using Convolutional Neural
 * Networks", NIPS 2015), as in CS231n's StyleTransfer notebook on SqueezeNet 1.1: from seeded
 * noise, match the Gram matrices (which channels fire together, wherever they fire) of a picture at
 * conv1, fire3, fire4 and fire5 with weights 20000, 500, 12 and 1 — the notebook's style loss with
 * the content weight at 0. Its layout is lost; its textures stay.
 *
 * Optimizer and clamping as in optimize.ts (Adam 3.0 → 0.1 at 180, 200 iterations). TV weight 0 by
 * default (a pure Gram objective, as Gatys et al.); the option is there for smoother results. As
 * CS231n, the texture has the style picture's size (callers give it at its aspect ratio with its
 * smallest side at 192: catalog SYNTHESIS_SIZES); the Gram matrices are normalized by each layer's
 * own H·W·C, so they compare across sizes.
 *
 * Measured (WASM, parachute photo, 2 busy cores): style loss 70780 → 1307 (54×) in 200 iterations
 * (lowest at lr 3.0 near iteration 60: 2820, then it climbs to 12900 by 180 before the lr 0.1
 * phase), 4555 (15×) in 40; 350–430 ms per iteration: four engine runs, one per Gram layer.
 */
import { STYLE_LAYERS, TEXTURE_DEFAULTS } from '../../shared/catalog.js';
import type { Model, PixelImage } from '../common.js';
import { noiseInit, type SynthesisOptions, type SynthesisResult, styleTerms, synthesize } from './optimize.js';

export interface TextureOptions extends SynthesisOptions {
  /** one weight per layer of STYLE_LAYERS (conv1, fire3, fire4, fire5); default 20000, 500, 12, 1 */
  styleWeights?: readonly number[];
  /** default 0 */
  tvWeight?: number;
  /** seed of the starting noise (default 0) */
  seed?: number;
}

export async function synthesizeTexture(
  model: Model,
  style: PixelImage,
  options: TextureOptions = {},
): Promise<SynthesisResult> {
  const terms = styleTerms(model, style, STYLE_LAYERS, options.styleWeights ?? TEXTURE_DEFAULTS.styleWeights);
  try {
    const init = noiseInit(options.seed ?? 0, style.height, style.width);
    try {
      const loss = { style: terms, tv: options.tvWeight ?? TEXTURE_DEFAULTS.tvWeight };
      return await synthesize(model, init, loss, options, 'texture');
    } finally {
      init.dispose();
    }
  } finally {
    for (const t of terms) t.gram.dispose();
  }
}

/**
 * Vanilla gradient saliency (Simonyan, Vedaldi & Zisserman 2014; CS231n assignment 3): the
 * gradient of the class score w.r.t. the input pixels, its absolute value, and the maximum over
 * the three colour channels → one value per pixel.
 *
 * Units: |∂score/∂pixel| per unit of the 0–255 pixel scale. The engine differentiates w.r.t. the
 * normalized input x̂ = (pixel/255 − mean)/std; ∂/∂pixel = ∂/∂x̂ / (255·std_c), a per-channel
 * constant (≈ 1/57) that slightly reweighs the channels before the max: the pixel gradient is the
 * natural one (it is what a change of the image does), so the map uses it.
 *
 * Score variants (SCORE_DESCRIPTIONS): the raw class score, the L2 loss (1 − s)² (whose gradient
 * is the raw one times −2(1 − s): the same map, scaled by |2(1 − s)|) and softmax cross-entropy
 * −log p_c (which also pushes the other classes down).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { disposeResult } from '../../engine/squeezenet.js';
import {
  inputGradToPixelGrad,
  type Model,
  type PixelImage,
  pixelsToInput,
  type RunControl,
  throwIfCancelled,
} from '../common.js';
import {
  type AttributionMethod,
  type ExplainOptions,
  explainWith,
  type SaliencyMap,
  scoreOnly,
  type Target,
} from './saliency.js';

/** ∂score/∂pixel for a batch of pixel images, [N,224,224,3] (signed, per channel). */
export async function pixelGradient(
  model: Model,
  pixels: tf.Tensor4D,
  target: Target,
  control: RunControl = {},
): Promise<tf.Tensor4D> {
  throwIfCancelled(control.signal, 'gradient');
  const input = pixelsToInput(pixels);
  // only the gradient is read (SmoothGrad's and IG's 50 samples each): the score's class alone
  const r = model.run(input, { ...scoreOnly(target, pixels.shape[0]), gradients: ['input'] });
  input.dispose();
  const grad = inputGradToPixelGrad(r.gradients.input!);
  disposeResult(r);
  return grad;
}

/** The vanilla gradient as a per-channel attribution method (signed ∂score/∂pixel). */
export const vanillaGradient: AttributionMethod = {
  name: 'vanilla',
  reduction: 'maxAbs',
  units: '∂score/∂pixel (per 0–255 pixel unit)',
  attribute: pixelGradient,
};

/**
 * Vanilla gradient map of one image. `attribution` holds the signed pixel gradient; `data` is
 * max_c |gradient| unless another reduction is asked for.
 */
export async function vanilla(
  model: Model,
  image: PixelImage,
  options: ExplainOptions = {},
  control: RunControl = {},
): Promise<SaliencyMap> {
  return explainWith(vanillaGradient, model, image, options, control);
}

/**
 * Gradient × input (Shrikumar et al. 2016): attribution_i = (x_i − r_i) · ∂score/∂x_i, per pixel
 * and channel, in pixel space.
 *
 * Relative to what? "Input" only means something relative to a reference r where the attribution
 * is zero. The default is the MEAN image (r = 255·ImageNet mean per channel): the network's own
 * zero, since its input is x̂ = (pixel/255 − mean)/std, so this equals the normalized input times
 * the gradient w.r.t. the normalized input (x̂ ⊙ ∂s/∂x̂, what most implementations compute on the
 * tensor the model takes) and is the first-order Taylor estimate of score(x) − score(mean image).
 * 'black' (r = 0) is the other common choice and matches Integrated Gradients' black baseline,
 * but it credits bright pixels merely for being bright, and black is an extreme input for the
 * network rather than a neutral one.
 *
 * The map is the signed sum over colour channels: positive = evidence for the class relative to
 * the reference, negative = against; use |map| or rankNormalize for display.
 */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN } from '../../engine/preprocess.js';
import type { Model, PixelImage, RunControl } from '../common.js';
import { type AttributionMethod, type ExplainOptions, explainWith, type SaliencyMap } from './saliency.js';
import { pixelGradient } from './vanilla.js';

export type InputReference = 'mean' | 'black';

export const REFERENCE_DESCRIPTIONS: Record<InputReference, string> = {
  mean: 'relative to the mean ImageNet colour (the normalized input is zero there)',
  black: 'relative to a black image (all pixels 0)',
};

export function gradientTimesInputMethod(reference: InputReference = 'mean'): AttributionMethod {
  if (!(reference in REFERENCE_DESCRIPTIONS))
    throw new RangeError(`unknown reference ${String(reference)} (use mean or black)`);
  return {
    name: 'gradxinput',
    reduction: 'sum',
    units: `(pixel − reference) · ∂score/∂pixel, reference ${REFERENCE_DESCRIPTIONS[reference]}`,
    async attribute(model, pixels, target, control) {
      const grad = await pixelGradient(model, pixels, target, control);
      const out = tf.tidy(() => {
        const delta = reference === 'mean' ? tf.sub(pixels, tf.tensor1d(IMAGENET_MEAN.map((m) => m * 255))) : pixels;
        return tf.mul(delta, grad) as tf.Tensor4D;
      });
      grad.dispose();
      return out;
    },
  };
}

export const gradientTimesInput: AttributionMethod = gradientTimesInputMethod('mean');

export interface GradientTimesInputOptions extends ExplainOptions {
  /** default 'mean' */
  reference?: InputReference;
}

export async function gradTimesInput(
  model: Model,
  image: PixelImage,
  options: GradientTimesInputOptions = {},
  control: RunControl = {},
): Promise<SaliencyMap> {
  return explainWith(gradientTimesInputMethod(options.reference ?? 'mean'), model, image, options, control);
}

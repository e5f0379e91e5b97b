/**
 * One entry point for the CLI and the popup: `explain(model, image, 'vanilla' | 'gradxinput' |
 * 'smoothgrad' | 'ig' | 'gradcam', options, control)`, plus help texts.
 */
import { SALIENCY_METHOD_NAMES, SALIENCY_METHODS, type SaliencyMethodName } from '../../shared/catalog.js';
import type { Model, PixelImage, RunControl } from '../common.js';
import { type CamLayer, gradCam, gradCamMethod } from './grad-cam.js';
import { gradientTimesInputMethod, gradTimesInput, type InputReference } from './gradient-x-input.js';
import {
  type IntegratedGradientsOptions,
  integratedGradients,
  integratedGradientsMethod,
} from './integrated-gradients.js';
import type { AttributionMethod, ExplainOptions, SaliencyMap } from './saliency.js';
import { type SmoothGradOptions, smoothGradMap } from './smoothgrad.js';
import { vanilla, vanillaGradient } from './vanilla.js';

/** What SmoothGrad can wrap. */
export type SmoothableMethodName = Exclude<SaliencyMethodName, 'smoothgrad'>;

export interface SaliencyOptions extends ExplainOptions, SmoothGradOptions, IntegratedGradientsOptions {
  /** gradxinput: reference of the input (default 'mean') */
  reference?: InputReference;
  /** gradcam: layer (default 'fire9') */
  layer?: CamLayer;
  /** smoothgrad: the method it wraps (default 'vanilla') */
  base?: SmoothableMethodName;
}

/** The per-channel attribution method behind a name (for wrapping). */
export function attributionMethod(name: SmoothableMethodName, options: SaliencyOptions = {}): AttributionMethod {
  switch (name) {
    case 'vanilla':
      return vanillaGradient;
    case 'gradxinput':
      return gradientTimesInputMethod(options.reference ?? 'mean');
    case 'ig':
      return integratedGradientsMethod(options);
    case 'gradcam':
      return gradCamMethod(options.layer ?? 'fire9');
    default:
      throw new RangeError(
        `unknown method ${String(name)} for SmoothGrad to wrap (use vanilla, gradxinput, ig, gradcam)`,
      );
  }
}

export async function explain(
  model: Model,
  image: PixelImage,
  method: SaliencyMethodName,
  options: SaliencyOptions = {},
  control: RunControl = {},
): Promise<SaliencyMap> {
  switch (method) {
    case 'vanilla':
      return vanilla(model, image, options, control);
    case 'gradxinput':
      return gradTimesInput(model, image, options, control);
    case 'smoothgrad':
      return smoothGradMap(model, image, attributionMethod(options.base ?? 'vanilla', options), options, control);
    case 'ig':
      return integratedGradients(model, image, options, control);
    case 'gradcam':
      return gradCam(model, image, options, control);
    default:
      throw new RangeError(`unknown method ${String(method)} (use ${SALIENCY_METHOD_NAMES.join(', ')})`);
  }
}

export {
  CAM_LAYERS,
  type CamLayer,
  type GradCamResult,
  gradCam,
  gradCamMethod,
  gradCamRaw,
  upsampleBilinear,
} from './grad-cam.js';
export {
  gradientTimesInput,
  gradientTimesInputMethod,
  gradTimesInput,
  type InputReference,
  REFERENCE_DESCRIPTIONS,
} from './gradient-x-input.js';
export {
  BASELINE_DESCRIPTIONS,
  type Completeness,
  IG_DEFAULTS,
  type IntegratedGradientsResult,
  integratedGradients,
  integratedGradientsMethod,
} from './integrated-gradients.js';
export * from './postprocess.js';
export * from './saliency.js';
export { SMOOTHGRAD_DEFAULTS, type SmoothGradOptions, smoothGrad, smoothGradMap } from './smoothgrad.js';
export { pixelGradient, vanilla, vanillaGradient } from './vanilla.js';
// The names and help texts live in the TF-free catalog (the popup reads them without TF.js).
export { SALIENCY_METHODS, type SaliencyMethodName };

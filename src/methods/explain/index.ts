/**
 * One entry point for the CLI and the popup: `explain(model, image, 'vanilla' | 'gradxinput' |
 * 'smoothgrad' | 'ig' | 'gradcam' | 'occlusion', options, control)`, plus help texts.
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
import { type OcclusionBaseline, occlusion } from './occlusion.js';
import type { AttributionMethod, ExplainOptions, SaliencyMap } from './saliency.js';
import { type SmoothGradOptions, smoothGradMap } from './smoothgrad.js';
import { vanilla, vanillaGradient } from './vanilla.js';

/**
 * What SmoothGrad can wrap: the per-channel attribution methods. Not occlusion: it has no
 * gradient to average, and SmoothGrad over it would cost samples × 729 forward passes.
 */
export type SmoothableMethodName = Exclude<SaliencyMethodName, 'smoothgrad' | 'occlusion'>;

export interface SaliencyOptions extends ExplainOptions, SmoothGradOptions, IntegratedGradientsOptions {
  /** gradxinput: reference of the input (default 'mean') */
  reference?: InputReference;
  /** gradcam: layer (default 'fire9') */
  layer?: CamLayer;
  /** smoothgrad: the method it wraps (default 'vanilla') */
  base?: SmoothableMethodName;
  /** occlusion: patch side in pixels (default 16) */
  patch?: number;
  /** occlusion: step between patches in pixels (default 8) */
  stride?: number;
  /** occlusion: what hides the patch (default 'grey'); `baseline` above is IG's */
  occlusionBaseline?: OcclusionBaseline;
  /** occlusion: occluded copies per engine call (default 8) */
  occlusionBatch?: number;
}

/** The per-channel attribution method behind a name (for wrapping). */
export function attributionMethod(name: SmoothableMethodName, options: SaliencyOptions = {}): AttributionMethod {
  if ((name as string) === 'occlusion')
    throw new RangeError('SmoothGrad cannot wrap occlusion: it has no per-pixel gradient to average');
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
    case 'occlusion':
      return occlusion(
        model,
        image,
        {
          classIndex: options.classIndex,
          score: options.score,
          head: options.head,
          patch: options.patch,
          stride: options.stride,
          baseline: options.occlusionBaseline,
          blurSigma: options.blurSigma,
          occlusionBatch: options.occlusionBatch,
        },
        control,
      );
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
export {
  OCCLUSION_BASELINE_DESCRIPTIONS,
  type OcclusionOptions,
  type OcclusionResult,
  occlusion,
  occlusionFill,
  patchPositions,
} from './occlusion.js';
export * from './postprocess.js';
export * from './saliency.js';
export { type Segmentation, SegmentError, type SegmentOptions, segmentFromSaliency } from './segment.js';
export { SMOOTHGRAD_DEFAULTS, type SmoothGradOptions, smoothGrad, smoothGradMap } from './smoothgrad.js';
export { pixelGradient, vanilla, vanillaGradient } from './vanilla.js';
// The names and help texts live in the TF-free catalog (the popup reads them without TF.js).
export { SALIENCY_METHODS, type SaliencyMethodName };

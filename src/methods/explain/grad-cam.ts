/**
 * Grad-CAM (Selvaraju et al. 2017) on a chosen layer A (default fire9, 13×13×512):
 *   w_k = mean over positions of ∂score/∂A_k,   cam = ReLU(Σ_k w_k A_k),
 * upsampled bilinearly (pixel centres aligned, edges clamped) to 224×224. Non-negative by
 * construction: it shows where the layer's features raise the score.
 *
 * On SqueezeNet the classifier is a 1×1 conv on fire9 followed by a spatial mean, so with the
 * pre-ReLU head w_k = W_ck / 169 and the fire9 Grad-CAM is the class activation map itself,
 * ReLU((Z_c − b_c) / 169) (Zhou et al.'s CAM): the tests check that identity. With the 'logits'
 * head (class map → ReLU → mean) only the cells where the class map is positive send gradient.
 * For the losses (l2, crossEntropy) the gradient points the other way: their CAM shows what raises
 * the loss, i.e. evidence against the class; use the raw score (default) for evidence for it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FIRES } from '../../engine/architecture.js';
import { disposeResult } from '../../engine/squeezenet.js';
import { type Model, type PixelImage, pixelsToInput, type RunControl, throwIfCancelled } from '../common.js';
import {
  type AttributionMethod,
  type ExplainOptions,
  explainWith,
  mapStats,
  type SaliencyMap,
  SIZE,
  scoreOnly,
  type Target,
} from './saliency.js';

export type CamLayer = 'conv1' | (typeof FIRES)[number]['name'];

export const CAM_LAYERS: readonly CamLayer[] = ['conv1', ...FIRES.map((f) => f.name)];

export interface GradCamRaw {
  /** cam per example at the layer's resolution, [N, h, w] row-major */
  cam: Float32Array;
  camWidth: number;
  camHeight: number;
  /** channel weights w_k per example, [N, K] */
  weights: Float32Array;
  channels: number;
  n: number;
}

/** Grad-CAM at the layer's own resolution for a batch of pixel images. */
export async function gradCamRaw(
  model: Model,
  pixels: tf.Tensor4D,
  target: Target,
  layer: CamLayer = 'fire9',
  control: RunControl = {},
): Promise<GradCamRaw> {
  if (!CAM_LAYERS.includes(layer))
    throw new RangeError(`Grad-CAM layer must be one of ${CAM_LAYERS.join(', ')}, got ${String(layer)}`);
  throwIfCancelled(control.signal, 'Grad-CAM');
  const input = pixelsToInput(pixels);
  const r = model.run(input, { ...scoreOnly(target, pixels.shape[0]), activations: [layer], gradients: [layer] });
  input.dispose();
  const [cam, weights] = tf.tidy(() => {
    const a = r.activations[layer]!;
    const wk = tf.mean(r.gradients[layer]!, [1, 2], true); // [N,1,1,K]
    return [tf.relu(tf.sum(tf.mul(a, wk), 3)), tf.reshape(wk, [pixels.shape[0], -1])];
  });
  const [n, h, w, k] = r.activations[layer]!.shape;
  disposeResult(r);
  const out = {
    cam: (await cam.data()) as Float32Array,
    camWidth: w,
    camHeight: h,
    weights: (await weights.data()) as Float32Array,
    channels: k,
    n,
  };
  tf.dispose([cam, weights]);
  return out;
}

/**
 * Bilinear resize of an h×w map to H×W with pixel centres aligned ((o + ½)·h/H − ½, edges
 * clamped: TF's half_pixel_centers / PIL convention for upsampling).
 */
export function upsampleBilinear(map: ArrayLike<number>, h: number, w: number, outH = SIZE, outW = SIZE): Float32Array {
  if (map.length !== h * w) throw new RangeError(`map has ${map.length} values, expected ${h}×${w}`);
  const axis = (outLen: number, inLen: number) =>
    Array.from({ length: outLen }, (_, o) => {
      const s = Math.min(Math.max((o + 0.5) * (inLen / outLen) - 0.5, 0), inLen - 1);
      const i0 = Math.floor(s);
      const i1 = Math.min(i0 + 1, inLen - 1);
      return { i0, i1, t: s - i0 };
    });
  const ys = axis(outH, h);
  const xs = axis(outW, w);
  const out = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const { i0: y0, i1: y1, t: ty } = ys[y];
    for (let x = 0; x < outW; x++) {
      const { i0: x0, i1: x1, t: tx } = xs[x];
      const top = map[y0 * w + x0] * (1 - tx) + map[y0 * w + x1] * tx;
      const bottom = map[y1 * w + x0] * (1 - tx) + map[y1 * w + x1] * tx;
      out[y * outW + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** Grad-CAM as an attribution method with one channel, [N,224,224,1] (e.g. for SmoothGrad). */
export function gradCamMethod(layer: CamLayer = 'fire9'): AttributionMethod {
  return {
    name: 'gradcam',
    reduction: 'sum',
    units:
      `ReLU(Σ_k w_k A_k) on ${layer} (w_k = mean ∂score/∂A_k), ` +
      'bilinearly upsampled; in units of score per position',
    async attribute(model, pixels, target, control) {
      const raw = await gradCamRaw(model, pixels, target, layer, control);
      const cells = raw.camWidth * raw.camHeight;
      const out = new Float32Array(raw.n * SIZE * SIZE);
      for (let e = 0; e < raw.n; e++)
        out.set(
          upsampleBilinear(raw.cam.subarray(e * cells, (e + 1) * cells), raw.camHeight, raw.camWidth),
          e * SIZE * SIZE,
        );
      return tf.tensor4d(out, [raw.n, SIZE, SIZE, 1]);
    },
  };
}

export interface GradCamOptions extends ExplainOptions {
  /** default 'fire9' */
  layer?: CamLayer;
}

export interface GradCamResult extends SaliencyMap {
  layer: CamLayer;
  /** the cam at the layer's resolution, camHeight × camWidth */
  cam: Float32Array;
  camWidth: number;
  camHeight: number;
  /** the channel weights w_k */
  channelWeights: Float32Array;
}

export async function gradCam(
  model: Model,
  image: PixelImage,
  options: GradCamOptions = {},
  control: RunControl = {},
): Promise<GradCamResult> {
  const layer = options.layer ?? 'fire9';
  let raw: GradCamRaw | undefined;
  const method: AttributionMethod = {
    ...gradCamMethod(layer),
    async attribute(m, pixels, target, ctl) {
      raw = await gradCamRaw(m, pixels, target, layer, ctl);
      return tf.tensor4d(upsampleBilinear(raw.cam, raw.camHeight, raw.camWidth), [1, SIZE, SIZE, 1]);
    },
  };
  const map = await explainWith(method, model, image, { ...options, reduction: 'sum' }, control);
  const { attribution: _a, channels: _c, ...rest } = map;
  return {
    ...rest,
    reduction: 'none',
    stats: mapStats(map.data),
    layer,
    cam: raw!.cam,
    camWidth: raw!.camWidth,
    camHeight: raw!.camHeight,
    channelWeights: raw!.weights,
  };
}

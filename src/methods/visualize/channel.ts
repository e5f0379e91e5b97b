/**
 * Channel and neuron visualization by activation maximization (Erhan et al. 2009; Yosinski et al.,
 * "Understanding Neural Networks Through Deep Visualization", 2015; Olah, Mordvintsev & Schubert,
 * "Feature Visualization", Distill 2017): find an image that makes one channel of a layer fire as
 * much as possible — on average over the layer's H·W positions ("channel"), or at the single
 * position in the middle ("neuron", whose receptive field is a patch in the image's centre).
 *
 * As Lucid does it (defaults in shared/catalog.ts CHANNEL_DEFAULTS): the image is parameterized by
 * 1/f-scaled Fourier coefficients in decorrelated colours (fourier.ts), every step the network sees
 * a randomly shifted, scaled and rotated view of it (transforms.ts), and Adam (lr 0.05) ascends the
 * objective on the coefficients. The engine's backward pass starts at the layer (`layerScore`), so
 * a step at fire6 skips the classifier's backward pass.
 *
 * Per step: coefficients → colour planes (TF.js) → download → RGB and warp (JS) → network +
 * gradient at the view's pixels → download → the warp's and the colours' adjoints (JS) → back
 * through the Fourier products (TF.js) → Adam.
 *
 * The objective is taken before the layer's ReLU (`layerScore.preRelu`, as Lucid visualizes
 * `…_pre_relu` layers): after it, a channel that is zero everywhere on the view has no gradient at
 * all, and on the near-grey start image 73 of fire6's 384 channels (212 of fire8's 512, 419 of
 * fire9's) are; even a high-contrast start (sd 0.4) leaves 47 of fire6's dead. Measured: fire6
 * channel 3 stayed at exactly 0 for 64 steps after the ReLU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type LayerName, layerChannels } from '../../engine/architecture.js';
import type { LayerScore } from '../../engine/squeezenet.js';
import { CHANNEL_DEFAULTS, CHANNEL_LAYERS, CHANNEL_SIZE, type ChannelLayer } from '../../shared/catalog.js';
import {
  inputGradToPixelGrad,
  type Model,
  type PixelImage,
  pixelsToInput,
  type RunControl,
  seededRandom,
  throwIfCancelled,
  yieldToEventLoop,
} from '../common.js';
import { fourierBasis, randomSpectrum, renderAdjoint, renderSpectrum } from './fourier.js';
import { makeWarp, randomAffine, type TransformOptions, warpAdjoint, warpImage } from './transforms.js';

export interface ChannelOptions extends RunControl {
  /** default fire6 */
  layer?: ChannelLayer;
  channel: number;
  /** maximize the one neuron at the centre of the layer instead of the channel's mean */
  neuron?: boolean;
  /** Adam steps (default 256) */
  steps?: number;
  /** Adam learning rate on the Fourier coefficients (default 0.05, Lucid) */
  learningRate?: number;
  /** 1/f^decay scaling of the coefficients (default 1; 0 = a plain, unscaled Fourier basis) */
  decay?: number;
  /** sd of the initial coefficients (default 0.01) */
  initSd?: number;
  /** seed of the initial coefficients and of the transforms (default 0) */
  seed?: number;
  /** robustness transforms (default Lucid's; `{ jitter: 0, jitterAfter: 0, scales: [], rotations: [] }` = none) */
  transforms?: TransformOptions;
  /** attach a preview every this many steps (default 32; 0 = never) */
  previewEvery?: number;
  /** side of the square image in pixels, CHANNEL_SIZE.min…max (default 128, Lucid's) */
  size?: number;
}

export interface ChannelResult {
  layer: ChannelLayer;
  channel: number;
  neuron: boolean;
  /** the image, float pixels in [0,255] */
  image: PixelImage;
  /** … and as 8 bits (what a PNG holds) */
  pixels: Uint8ClampedArray;
  /** the objective (before the ReLU) of the starting image and of the returned 8-bit image, untransformed */
  objectiveStart: number;
  objectiveEnd: number;
  /** the objective on each step's transformed view */
  history: number[];
  steps: number;
  ms: number;
  msPerStep: number;
}

/** Per-example objective: the channel's mean over H·W, or its value at the centre position. */
export function channelObjective(channel: number, neuron = false): LayerScore['fn'] {
  return (a) => {
    const [n, h, w, c] = a.shape;
    if (!Number.isInteger(channel) || channel < 0 || channel >= c)
      throw new RangeError(`channel ${channel} out of range: this layer has ${c} channels (0–${c - 1})`);
    const seed = new Float32Array(h * w * c);
    if (neuron) seed[(Math.floor(h / 2) * w + Math.floor(w / 2)) * c + channel] = 1;
    else for (let p = 0; p < h * w; p++) seed[p * c + channel] = 1 / (h * w);
    const d = tf.broadcastTo(tf.tensor4d(seed, [1, h, w, c]), [n, h, w, c]) as tf.Tensor4D;
    return { value: tf.sum(tf.mul(a, d), [1, 2, 3]) as tf.Tensor1D, dActivation: d };
  };
}

/** The side of a square RGB image from its number of values. */
function squareSide(pixels: ArrayLike<number>): number {
  const side = Math.round(Math.sqrt(pixels.length / 3));
  if (side * side * 3 !== pixels.length) throw new RangeError(`not a square RGB image: ${pixels.length} values`);
  return side;
}

/** The objective (before the layer's ReLU) on a square image, untransformed: a forward pass only. */
export async function channelValue(
  model: Model,
  pixels: ArrayLike<number>,
  layer: ChannelLayer,
  channel: number,
  neuron = false,
): Promise<number> {
  const value = tf.tidy(() => {
    const side = squareSide(pixels);
    const x = pixelsToInput(tf.tensor4d(Float32Array.from(pixels), [1, side, side, 3]));
    const r = model.run(x, {
      layerScore: { layer, fn: channelObjective(channel, neuron), preRelu: true },
      gradients: [],
      heads: false,
    });
    return r.score!;
  });
  try {
    return ((await value.data()) as Float32Array)[0];
  } finally {
    value.dispose();
  }
}

/** What every channel of a layer does on a square image (after its ReLU): its mean over H·W and its centre value. */
export async function layerResponses(
  model: Model,
  pixels: ArrayLike<number>,
  layer: LayerName,
): Promise<{ mean: Float32Array; centre: Float32Array }> {
  const [mean, centre] = tf.tidy(() => {
    const side = squareSide(pixels);
    const x = pixelsToInput(tf.tensor4d(Float32Array.from(pixels), [1, side, side, 3]));
    const a = model.run(x, { activations: [layer], heads: false }).activations[layer]!;
    const [, h, w, c] = a.shape;
    const mid = tf.slice(a, [0, Math.floor(h / 2), Math.floor(w / 2), 0], [1, 1, 1, c]);
    return [tf.reshape(tf.mean(a, [1, 2]), [c]), tf.reshape(mid, [c])];
  });
  try {
    return { mean: (await mean.data()) as Float32Array, centre: (await centre.data()) as Float32Array };
  } finally {
    tf.dispose([mean, centre]);
  }
}

export function checkChannel(layer: string, channel: number): void {
  if (!(CHANNEL_LAYERS as readonly string[]).includes(layer))
    throw new RangeError(`unknown layer ${layer} (available: ${CHANNEL_LAYERS.join(', ')})`);
  const c = layerChannels(layer as LayerName);
  if (!Number.isInteger(channel) || channel < 0 || channel >= c)
    throw new RangeError(`channel ${channel} out of range: ${layer} has ${c} channels (0–${c - 1})`);
}

export async function visualizeChannel(model: Model, options: ChannelOptions): Promise<ChannelResult> {
  const layer = options.layer ?? CHANNEL_DEFAULTS.layer;
  const { channel } = options;
  const neuron = options.neuron ?? false;
  checkChannel(layer, channel);
  const steps = options.steps ?? CHANNEL_DEFAULTS.steps;
  const lr = options.learningRate ?? CHANNEL_DEFAULTS.learningRate;
  const previewEvery = options.previewEvery ?? CHANNEL_DEFAULTS.previewEvery;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be an integer ≥ 0, got ${steps}`);
  if (!(lr > 0)) throw new RangeError(`learningRate must be > 0, got ${lr}`);
  const size = options.size ?? CHANNEL_SIZE.default;
  if (!Number.isInteger(size) || size < CHANNEL_SIZE.min || size > CHANNEL_SIZE.max)
    throw new RangeError(`size must be an integer from ${CHANNEL_SIZE.min} to ${CHANNEL_SIZE.max} pixels, got ${size}`);
  const { signal, onProgress } = options;
  const what = `visualizing ${layer}:${channel}`;
  throwIfCancelled(signal, what);

  const seed = options.seed ?? 0;
  const random = seededRandom(seed ^ 0x5eed);
  const basis = fourierBasis(options.decay ?? CHANNEL_DEFAULTS.decay, size);
  const layerScore: LayerScore = { layer, fn: channelObjective(channel, neuron), preRelu: true };
  let p = randomSpectrum(seed, options.initSd ?? CHANNEL_DEFAULTS.initSd, size);
  let m = tf.zerosLike(p);
  let v = tf.zerosLike(p);
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
  const history: number[] = [];
  let objectiveStart = 0;
  const started = performance.now();
  try {
    for (let t = 0; t < steps; t++) {
      throwIfCancelled(signal, what);
      const rgb = await renderSpectrum(basis, p);
      if (t === 0) objectiveStart = await channelValue(model, to8bit(rgb), layer, channel, neuron);
      const warp = makeWarp(randomAffine(random, options.transforms), size);
      const view = warpImage(rgb, warp, 0.5).map((x) => 255 * x);
      const out = tf.tidy(() => {
        // No heads: the forward pass stops at the layer (at fire6 it skips fire7 … the classifier).
        const r = model.run(pixelsToInput(tf.tensor4d(view, [1, size, size, 3])), { layerScore, heads: false });
        return { g: inputGradToPixelGrad(r.gradients.input!), value: r.score! };
      });
      let gView: Float32Array;
      try {
        gView = (await out.g.data()) as Float32Array;
        history.push(((await out.value.data()) as Float32Array)[0]);
      } finally {
        tf.dispose([out.g, out.value]);
      }
      // d/d(rgb) = 255 · d/d(pixel): the view is 255 · warp(rgb)
      const gRgb = warpAdjoint(gView, warp).map((x) => 255 * x);
      const [mPrev, vPrev, pPrev] = [m, v, p];
      const next = tf.tidy(() => {
        const g = renderAdjoint(basis, rgb, gRgb);
        const m1 = tf.add(tf.mul(mPrev, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(vPrev, beta2), tf.mul(tf.square(g), 1 - beta2));
        const mHat = tf.div(m1, 1 - beta1 ** (t + 1));
        const vHat = tf.div(v1, 1 - beta2 ** (t + 1));
        // ascent: the objective is maximized
        const p1 = tf.add(pPrev, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr));
        return { m1, v1, p1 } as { m1: tf.Tensor2D; v1: tf.Tensor2D; p1: tf.Tensor2D };
      });
      [m, v, p] = [next.m1, next.v1, next.p1];
      tf.dispose([mPrev, vPrev, pPrev]);
      if (onProgress) {
        const wantPreview = previewEvery > 0 && (t + 1) % previewEvery === 0;
        onProgress({
          step: t + 1,
          total: steps,
          message: `${layer}:${channel}${neuron ? ' (neuron)' : ''} objective ${history[t].toPrecision(4)}`,
          preview: wantPreview ? { width: size, height: size, data: rgb.map((x) => 255 * x) } : undefined,
        });
      }
      await yieldToEventLoop();
    }
    const ms = performance.now() - started;
    const data = (await renderSpectrum(basis, p)).map((x) => 255 * x);
    const pixels = Uint8ClampedArray.from(data); // rounds and clamps: the bytes a PNG holds
    const objectiveEnd = await channelValue(model, pixels, layer, channel, neuron);
    if (steps === 0) objectiveStart = objectiveEnd;
    return {
      layer,
      channel,
      neuron,
      image: { width: size, height: size, data },
      pixels,
      objectiveStart,
      objectiveEnd,
      history,
      steps,
      ms,
      msPerStep: steps ? ms / steps : 0,
    };
  } finally {
    tf.dispose([p, m, v]);
    basis.dispose();
  }
}

function to8bit(rgb: Float32Array): Uint8ClampedArray {
  return Uint8ClampedArray.from(rgb, (x) => 255 * x);
}

export interface AtlasOptions extends Omit<ChannelOptions, 'channel'> {
  /** the first this many channels of the layer (default 16) */
  count?: number;
}

/**
 * A layer atlas: channels 0 … count−1 visualized one after another (progress counts all their
 * steps; the CLI lays the images out with render/sheet.ts `contactSheet`).
 */
export async function channelAtlas(model: Model, options: AtlasOptions): Promise<ChannelResult[]> {
  const layer = options.layer ?? CHANNEL_DEFAULTS.layer;
  const count = options.count ?? CHANNEL_DEFAULTS.atlas;
  checkChannel(layer, 0);
  const available = layerChannels(layer as LayerName);
  if (!Number.isInteger(count) || count < 1 || count > available)
    throw new RangeError(`atlas size must be an integer in [1, ${available}] for ${layer}, got ${count}`);
  const steps = options.steps ?? CHANNEL_DEFAULTS.steps;
  const results: ChannelResult[] = [];
  for (let channel = 0; channel < count; channel++) {
    const onProgress = options.onProgress;
    results.push(
      await visualizeChannel(model, {
        ...options,
        layer,
        channel,
        steps,
        onProgress:
          onProgress &&
          ((p) =>
            onProgress({
              ...p,
              step: channel * steps + p.step,
              total: count * steps,
              message: `channel ${channel + 1}/${count}: ${p.message ?? ''}`,
            })),
      }),
    );
  }
  return results;
}

/**
 * DeepDream (Mordvintsev, Olah & Tyka 2015, google/deepdream): gradient ascent on an image to
 * amplify whatever a chosen layer already responds to, processed coarse to fine over octaves.
 *
 * Objective, per network input: 'l2' = mean of A² over the layer's H·W·C (the original's ½‖A‖²
 * up to a constant factor, which the normalized step removes) or 'mean' = mean of A (useful
 * with `channels` to steer toward a few units, or on the pre-ReLU 'classifier' map toward a
 * class). Optionally restricted to some channels. Seeded on the layer through the engine's
 * `layerScore`, so the backward pass starts there.
 *
 * Step (as the original): g = ∂objective/∂pixels; image += stepSize · g / mean|g|, stepSize in
 * pixel units (default 1.5: the mean pixel change per step is 1.5 of 255); clip to [0,255].
 *
 * Octaves with a network fixed at 224×224. The original shrinks the image by 1.4 per octave and
 * runs the (fully convolutional) network on each size, so the same patterns come out larger
 * relative to the picture at coarse octaves; the detail added at one octave is upsampled into the
 * next. Our network input is always 224×224, so the image at each octave size is laid onto that
 * input by *windows of its mirror extension*: the picture is extended by reflection at its edges
 * (…c b a | a b c … x y z | z y x…) and 224×224 windows are cut from it:
 *  - an octave image smaller than 224 (e.g. a 224 image's coarse octaves at 160 and 114 px) sits
 *    in the middle of one window, surrounded by its own reflections: the network really sees the
 *    content at the smaller scale, so features are relatively larger, as in the original;
 *  - a larger image (inputs over 224, or upscaled octaves) is covered by a grid of overlapping
 *    windows, all sent through the network as one batch (the original's tiled gradient).
 * The windows move by a random jitter (±maxJitter px) every step, in place of the original's random
 * circular roll (which wraps the picture around and puts a seam inside it). A shift by j leaves j
 * edge columns out of that step on one side and sees j columns twice (directly and reflected) on
 * the other; over jitter uniform in −J…J every pixel is reached exactly once on average (tested).
 * Each window's gradient is folded back onto the pixels it came from (summing over reflections
 * and overlaps), which is the exact gradient of the summed objective over the windows. Between
 * octaves, images and detail are resized with the antialiased bilinear filter of render/resample.
 *
 * The image lives in JS memory between steps (one upload of the windows, one download of their
 * gradients per step); every tensor is released each step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LAYER_NAMES, type LayerName } from '../../engine/architecture.js';
import { INPUT } from '../../engine/preprocess.js';
import type { LayerScore } from '../../engine/squeezenet.js';
import { DREAM_DEFAULTS } from '../../shared/catalog.js';
import { type AnyImage, channelsOf, toRgbFloat } from '../../shared/image.js';
import { resize } from '../../shared/resample.js';
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

/** RGB float image of any size, values in [0,255] (a PixelImage is one). */
export interface RgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

export type DreamObjective = 'l2' | 'mean';

export interface DeepDreamOptions extends RunControl {
  /** layer to amplify (default 'fire5') */
  layer?: LayerName;
  /** only these channels of the layer (default all) */
  channels?: readonly number[];
  /** default 'l2' */
  objective?: DreamObjective;
  /** number of scales (default 3) */
  octaves?: number;
  /** size ratio between octaves (default 1.4) */
  octaveScale?: number;
  /** gradient steps per octave (default 10) */
  iterations?: number;
  /** mean pixel change per step (default 1.5) */
  stepSize?: number;
  /** random window shift per step, ±px (default 32; 0 = none) */
  maxJitter?: number;
  seed?: number;
  /** the input is first shrunk so its longer side is at most this (default 512): cost grows with the window count */
  maxSide?: number;
  /** preview every this many steps, and at the end of each octave (default 5; 0 = never) */
  previewEvery?: number;
}

export interface OctaveReport {
  width: number;
  height: number;
  /** network windows per step at this octave */
  windows: number;
  /** layer objective on this octave's image (centred windows, no jitter) before and after its steps */
  objectiveStart: number;
  objectiveEnd: number;
}

export interface DeepDreamResult {
  /** the dream, the size of the (possibly maxSide-shrunk) input, float pixels in [0,255] */
  image: RgbImage;
  layer: LayerName;
  /** layer objective of the input and of the result at full size (centred windows, no jitter) */
  objectiveBefore: number;
  objectiveAfter: number;
  octaves: OctaveReport[];
  steps: number;
  msPerStep: number;
}

/** Reflect index x into [0, n): …2 1 0 | 0 1 2 … n−1 | n−1 n−2 … (period 2n). */
export function mirrorIndex(x: number, n: number): number {
  const period = 2 * n;
  const m = ((x % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

/** Window origins along an axis of length L for windows of size T (before jitter). */
export function windowOrigins(length: number, size = INPUT): number[] {
  const n = Math.max(1, Math.ceil(length / size));
  if (n === 1) return [Math.round((length - size) / 2)];
  return Array.from({ length: n }, (_, k) => Math.round((k * (length - size)) / (n - 1)));
}

export interface Windows {
  /** per window: source row of each canvas row, source column of each canvas column */
  rows: Int32Array[];
  cols: Int32Array[];
}

/** The windows for one step: the origins of windowOrigins, shifted by (jx, jy). */
export function makeWindows(width: number, height: number, jx: number, jy: number): Windows {
  const xs = windowOrigins(width);
  const ys = windowOrigins(height);
  const rows: Int32Array[] = [];
  const cols: Int32Array[] = [];
  for (const oy of ys) {
    for (const ox of xs) {
      rows.push(Int32Array.from({ length: INPUT }, (_, i) => mirrorIndex(oy + jy + i, height)));
      cols.push(Int32Array.from({ length: INPUT }, (_, i) => mirrorIndex(ox + jx + i, width)));
    }
  }
  return { rows, cols };
}

/** Cut the windows out of the image: [N,224,224,3] pixels. */
export function gatherWindows(image: RgbImage, w: Windows): Float32Array {
  const n = w.rows.length;
  const out = new Float32Array(n * INPUT * INPUT * 3);
  for (let k = 0; k < n; k++) {
    const rows = w.rows[k];
    const cols = w.cols[k];
    let o = k * INPUT * INPUT * 3;
    for (let i = 0; i < INPUT; i++) {
      const rowBase = rows[i] * image.width;
      for (let j = 0; j < INPUT; j++) {
        const s = (rowBase + cols[j]) * 3;
        out[o++] = image.data[s];
        out[o++] = image.data[s + 1];
        out[o++] = image.data[s + 2];
      }
    }
  }
  return out;
}

/** Fold window gradients back onto the image's pixels (sum over every place a pixel appears). */
export function scatterWindows(grad: Float32Array, w: Windows, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height * 3);
  for (let k = 0; k < w.rows.length; k++) {
    const rows = w.rows[k];
    const cols = w.cols[k];
    let o = k * INPUT * INPUT * 3;
    for (let i = 0; i < INPUT; i++) {
      const rowBase = rows[i] * width;
      for (let j = 0; j < INPUT; j++) {
        const d = (rowBase + cols[j]) * 3;
        out[d] += grad[o++];
        out[d + 1] += grad[o++];
        out[d + 2] += grad[o++];
      }
    }
  }
  return out;
}

/** Per-example objective on an activation and its gradient (see the module comment). */
export function dreamObjective(objective: DreamObjective, channels?: readonly number[]): LayerScore['fn'] {
  return (a) => {
    const [n, h, w, c] = a.shape;
    let mask: tf.Tensor | null = null;
    let count = h * w * c;
    if (channels?.length) {
      for (const ch of channels)
        if (!Number.isInteger(ch) || ch < 0 || ch >= c)
          throw new RangeError(`channel ${ch} out of range: this layer has ${c} channels`);
      const m = new Float32Array(c);
      for (const ch of channels) m[ch] = 1;
      mask = tf.tensor1d(m);
      count = h * w * new Set(channels).size;
    }
    const masked = mask ? tf.mul(a, mask) : a;
    if (objective === 'l2') {
      const value = tf.div(tf.sum(tf.square(masked), [1, 2, 3]), count) as tf.Tensor1D;
      return { value, dActivation: tf.mul(masked, 2 / count) as tf.Tensor4D };
    }
    const value = tf.div(tf.sum(masked, [1, 2, 3]), count) as tf.Tensor1D;
    const ones = mask ? tf.broadcastTo(tf.div(mask, count), [n, h, w, c]) : tf.fill([n, h, w, c], 1 / count);
    return { value, dActivation: ones as tf.Tensor4D };
  };
}

function toRgbImage(image: AnyImage): RgbImage {
  channelsOf(image);
  const data = image.data.length === image.width * image.height * 3 ? Float32Array.from(image.data) : toRgbFloat(image);
  return { width: image.width, height: image.height, data };
}

function resizeImage(image: RgbImage, width: number, height: number): RgbImage {
  if (image.width === width && image.height === height) return { width, height, data: Float32Array.from(image.data) };
  return { width, height, data: resize(image.data, image.width, image.height, 3, width, height) };
}

function clip255(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) data[i] = data[i] < 0 ? 0 : Math.min(data[i], 255);
}

/** Mean objective over the un-jittered windows of an image (forward passes only). */
export async function dreamObjectiveOf(
  model: Model,
  image: AnyImage,
  layer: LayerName,
  objective: DreamObjective = 'l2',
  channels?: readonly number[],
): Promise<number> {
  const rgb = toRgbImage(image);
  const windows = makeWindows(rgb.width, rgb.height, 0, 0);
  const fn = dreamObjective(objective, channels);
  const n = windows.rows.length;
  const batch = gatherWindows(rgb, windows);
  const value = tf.tidy(() => {
    const x = pixelsToInput(tf.tensor4d(batch, [n, INPUT, INPUT, 3]));
    const r = model.run(x, { activations: [layer], heads: false });
    const v = fn(r.activations[layer]!).value;
    return tf.mean(v);
  });
  try {
    return ((await value.data()) as Float32Array)[0];
  } finally {
    value.dispose();
  }
}

export async function deepDream(
  model: Model,
  input: AnyImage,
  options: DeepDreamOptions = {},
): Promise<DeepDreamResult> {
  const layer = options.layer ?? DREAM_DEFAULTS.layer;
  if (!(LAYER_NAMES as readonly string[]).includes(layer))
    throw new RangeError(`unknown layer ${layer} (available: ${LAYER_NAMES.join(', ')})`);
  const objective = options.objective ?? 'l2';
  const octaves = options.octaves ?? 3;
  const octaveScale = options.octaveScale ?? 1.4;
  const iterations = options.iterations ?? 10;
  const stepSize = options.stepSize ?? 1.5;
  const maxJitter = options.maxJitter ?? 32;
  const previewEvery = options.previewEvery ?? 5;
  const maxSide = options.maxSide ?? 512;
  if (!Number.isInteger(octaves) || octaves < 1)
    throw new RangeError(`octaves must be a positive integer, got ${octaves}`);
  if (!(octaveScale >= 1)) throw new RangeError(`octaveScale must be ≥ 1, got ${octaveScale}`);
  if (!Number.isInteger(iterations) || iterations < 0)
    throw new RangeError(`iterations must be a non-negative integer, got ${iterations}`);
  if (!Number.isInteger(maxJitter) || maxJitter < 0)
    throw new RangeError(`maxJitter must be a non-negative integer, got ${maxJitter}`);
  const { signal, onProgress } = options;
  const what = 'DeepDream';
  throwIfCancelled(signal, what);

  let base = toRgbImage(input);
  const longer = Math.max(base.width, base.height);
  if (longer > maxSide) {
    const s = maxSide / longer;
    base = resizeImage(base, Math.max(1, Math.round(base.width * s)), Math.max(1, Math.round(base.height * s)));
  }
  clip255(base.data);

  // octave 0 is the smallest; the last is the input size
  const sizes = Array.from({ length: octaves }, (_, k) => {
    const s = octaveScale ** (octaves - 1 - k);
    return { width: Math.max(8, Math.round(base.width / s)), height: Math.max(8, Math.round(base.height / s)) };
  });
  const bases = sizes.map((size) => resizeImage(base, size.width, size.height));

  const random = seededRandom(options.seed ?? 0);
  const jitter = () => (maxJitter ? Math.floor(random() * (2 * maxJitter + 1)) - maxJitter : 0);
  const layerScore: LayerScore = { layer, fn: dreamObjective(objective, options.channels) };
  const total = octaves * iterations;
  const objectiveBefore = await dreamObjectiveOf(model, base, layer, objective, options.channels);
  const reports: OctaveReport[] = [];
  let detail: Float32Array | null = null;
  let detailSize = sizes[0];
  let image: RgbImage = bases[0];
  let step = 0;
  let gradientMs = 0;

  for (let k = 0; k < octaves; k++) {
    const { width, height } = sizes[k];
    image = { width, height, data: Float32Array.from(bases[k].data) };
    if (detail) {
      const up = resize(detail, detailSize.width, detailSize.height, 3, width, height);
      for (let i = 0; i < image.data.length; i++) image.data[i] += up[i];
      clip255(image.data);
    }
    const objectiveStart = await dreamObjectiveOf(model, image, layer, objective, options.channels);
    let windowCount = 0;
    for (let t = 0; t < iterations; t++) {
      throwIfCancelled(signal, what);
      const t0 = performance.now();
      const windows = makeWindows(width, height, jitter(), jitter());
      const n = windows.rows.length;
      windowCount = n;
      const batch = gatherWindows(image, windows);
      const gradient = tf.tidy(() => {
        // No heads: the forward pass stops at the dream's layer.
        const r = model.run(pixelsToInput(tf.tensor4d(batch, [n, INPUT, INPUT, 3])), { layerScore, heads: false });
        return inputGradToPixelGrad(r.gradients.input!);
      });
      let g: Float32Array;
      try {
        g = (await gradient.data()) as Float32Array;
      } finally {
        gradient.dispose();
      }
      const folded = scatterWindows(g, windows, width, height);
      let meanAbs = 0;
      for (let i = 0; i < folded.length; i++) meanAbs += Math.abs(folded[i]);
      meanAbs /= folded.length;
      if (meanAbs > 0) {
        const rate = stepSize / meanAbs;
        for (let i = 0; i < folded.length; i++) image.data[i] += rate * folded[i];
        clip255(image.data);
      }
      gradientMs += performance.now() - t0;
      step++;
      if (onProgress) {
        const wantPreview = previewEvery > 0 && (step % previewEvery === 0 || t === iterations - 1);
        onProgress({
          step,
          total,
          message:
            `octave ${k + 1}/${octaves} (${width}×${height}, ${n} window${n > 1 ? 's' : ''}), ` +
            `step ${t + 1}/${iterations}`,
          preview: wantPreview ? previewOf(image) : undefined,
        });
      }
      await yieldToEventLoop();
    }
    const objectiveEnd = await dreamObjectiveOf(model, image, layer, objective, options.channels);
    reports.push({
      width,
      height,
      windows: windowCount || makeWindows(width, height, 0, 0).rows.length,
      objectiveStart,
      objectiveEnd,
    });
    detail = new Float32Array(image.data.length);
    for (let i = 0; i < detail.length; i++) detail[i] = image.data[i] - bases[k].data[i];
    detailSize = sizes[k];
  }
  const objectiveAfter = await dreamObjectiveOf(model, image, layer, objective, options.channels);
  return {
    image,
    layer,
    objectiveBefore,
    objectiveAfter,
    octaves: reports,
    steps: step,
    msPerStep: step ? gradientMs / step : 0,
  };
}

/** 224×224 preview (Progress.preview is a PixelImage); other sizes are resized to it. */
function previewOf(image: RgbImage): PixelImage {
  const data =
    image.width === INPUT && image.height === INPUT
      ? Float32Array.from(image.data)
      : resize(image.data, image.width, image.height, 3, INPUT, INPUT);
  return { width: INPUT, height: INPUT, data };
}

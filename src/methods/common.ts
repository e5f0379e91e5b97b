/**
 * What every method shares: the model behind one call, images in pixel space, progress,
 * cancellation. Methods are plain async functions over these (adversarial.js style:
 * `attack(model, image, target, options)`), so the extension, the CLI, tests and benchmarks all
 * run the same code.
 */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD, INPUT } from '../engine/preprocess.js';
import type { LayerRunResult, RunOptions, RunResult } from '../engine/squeezenet.js';

/** The model as methods see it: one call returning named outputs (see SqueezeNet.run). */
export interface Model {
  run(input: tf.Tensor4D, options: RunOptions & { heads: false | 'score' }): LayerRunResult;
  run(input: tf.Tensor4D, options?: RunOptions): RunResult;
}

/**
 * An RGB picture as the methods see it, in pixel units [0, 255], row-major, 3 channels (no alpha):
 * 224×224 for most, any size in 64…512 for the synthesis methods.
 */
export interface PixelImage {
  width: number;
  height: number;
  /** float pixel values; an 8-bit image is the same with integer values */
  data: Float32Array;
}

export function pixelImage(data: ArrayLike<number>): PixelImage {
  if (data.length !== INPUT * INPUT * 3)
    throw new RangeError(`expected ${INPUT}×${INPUT}×3 = ${INPUT * INPUT * 3} values, got ${data.length}`);
  return { width: INPUT, height: INPUT, data: Float32Array.from(data) };
}

/** Pixels [N,224,224,3] in [0,255] → normalized network input (differentiable: plain ops). */
export function pixelsToInput(pixels: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    // Same float32 constants and operation order as preprocess.ts normalize(): bit-identical inputs.
    const mean = tf.tensor1d(IMAGENET_MEAN.map((m) => m * 255));
    const std = tf.tensor1d(IMAGENET_STD.map((s) => s * 255));
    return tf.div(tf.sub(pixels, mean), std) as tf.Tensor4D;
  });
}

/**
 * Chain rule through the normalization: d/d(pixel) = d/d(input) / (255 · std) per channel.
 * Engine gradients are w.r.t. the normalized input; attacks and visualizations step in pixels.
 */
export function inputGradToPixelGrad(grad: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(grad, tf.tensor1d(IMAGENET_STD.map((s) => s * 255))) as tf.Tensor4D);
}

export function pixelTensor(image: PixelImage): tf.Tensor4D {
  return tf.tensor4d(image.data, [1, image.height, image.width, 3]);
}

/** Progress of an iterative method; `preview` carries intermediate images where it makes sense. */
export interface Progress {
  /** steps done so far */
  step: number;
  /** planned steps (an upper bound when the method may stop early) */
  total: number;
  message?: string;
  preview?: PixelImage;
}

export interface RunControl {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

export class CancelledError extends Error {
  constructor(what = 'operation') {
    super(`${what} was cancelled`);
    this.name = 'CancelledError';
  }
}

export function throwIfCancelled(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/** When the last timer yield ended (see yieldToEventLoop). */
let lastTimerYield = 0;
/** At least this often a yield is a timer, whatever it costs (ms). */
const TIMER_YIELD_EVERY_MS = 50;

/**
 * Let the event loop run (messages, cancellation) between iterations. A macrotask, not a
 * microtask: a service worker only processes a cancel message between macrotasks.
 */
export function yieldToEventLoop(): Promise<void> {
  // Mostly a MessageChannel message, not setTimeout(0): a chain of nested timers is clamped to
  // 4 ms, and in the extension's worker each such yield measured 5.6 ms against 0.016 ms for a
  // message (200 in a row, Chromium 156) — 1.1 s of a 200-iteration inversion. But a port message
  // is queued at once and may be picked before an extension message already waiting (CI: a
  // SmoothGrad Cancel landed only after the run had ended), so at least every 50 ms the yield is a
  // timer, during whose wait every other task gets its turn (≤ 5.6 ms per 50 ms). A 1 ms timer, not
  // 0: between SmoothGrad's batches (300–700 ms of WASM each) a 0 ms timer let the popup's Cancel in
  // only after all 7 batches (3.9 s after the click, measured in the extension test), a 1 ms one
  // at the second yield (0.9 s). The port is closed after use: an open one would keep Node's
  // event loop alive.
  if (typeof MessageChannel === 'undefined' || performance.now() - lastTimerYield >= TIMER_YIELD_EVERY_MS) {
    return new Promise((resolve) =>
      setTimeout(() => {
        lastTimerYield = performance.now();
        resolve();
      }, 1),
    );
  }
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** Read a [1,H,W,C] or [H,W,C] tensor's values (async: no blocking read on WebGPU). */
export async function values(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** Deterministic PRNG (mulberry32) for seeded noise, jitter and random targets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Ziggurat tables (Marsaglia & Tsang 2000, 128 layers) for `gaussianNoise`, scaled for a 25-bit
 * signed draw: box k holds |x| < kn[k]·wn[k] at once.
 */
const ZIG = (() => {
  const m = 2 ** 24;
  const vn = 9.91256303526217e-3;
  let dn = 3.442619855899;
  let tn = dn;
  const kn = new Float64Array(128);
  const wn = new Float64Array(128);
  const fn = new Float64Array(128);
  const q = vn / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * m;
  kn[1] = 0;
  wn[0] = q / m;
  wn[127] = dn / m;
  fn[0] = 1;
  fn[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * m;
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / m;
  }
  return { kn, wn, fn, r: 3.442619855899 };
})();

/**
 * Seeded Gaussian noise in bulk: each call writes out[i] = base[i] + sigma·z with z ~ N(0, 1), the
 * stream continuing from call to call (so how a sequence of images is split into calls does not
 * change the noise). Ziggurat (Marsaglia & Tsang) on mulberry32, the box index and the value
 * from disjoint bits of one draw: ~10× faster than `gaussian` (Box–Muller through closures),
 * which took ~6 ms of each SmoothGrad sample's ~40 ms.
 */
export function gaussianNoise(seed: number): (out: Float32Array, base: ArrayLike<number>, sigma: number) => void {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return t ^ (t >>> 14); // int32
  };
  const uniform = () => ((next() >>> 0) + 0.5) / 4294967296; // (0, 1)
  const { kn, wn, fn, r } = ZIG;
  /** the slow path: box iz's edge, or the tail beyond r (~1 % of draws) */
  const slow = (hz: number, iz: number): number => {
    for (;;) {
      const x = hz * wn[iz];
      if (iz === 0) {
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(uniform()) / r;
          ty = -Math.log(uniform());
        } while (ty + ty < tx * tx);
        return hz > 0 ? r + tx : -r - tx;
      }
      if (fn[iz] + uniform() * (fn[iz - 1] - fn[iz]) < Math.exp(-0.5 * x * x)) return x;
      const t = next();
      iz = t & 127;
      hz = t >> 7;
      if (Math.abs(hz) < kn[iz]) return hz * wn[iz];
    }
  };
  return (out, base, sigma) => {
    for (let i = 0; i < out.length; i++) {
      // `next()` written out: the call per value is what this function exists to avoid.
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      t ^= t >>> 14;
      const iz = t & 127;
      const hz = t >> 7; // signed, 25 bits
      const z = Math.abs(hz) < kn[iz] ? hz * wn[iz] : slow(hz, iz);
      out[i] = base[i] + sigma * z;
    }
  };
}

/** Standard normal samples from a seeded uniform source (Box–Muller). */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

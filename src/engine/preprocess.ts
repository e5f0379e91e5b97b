/**
 * Image → network input, shared by the extension and Node so both see the same pixels.
 *
 * Two modes, with the geometry returned so a saliency map can be drawn back onto exactly the
 * right region of the original image:
 *  - 'crop' (default, what the reference model was evaluated with): resize the short side to 256,
 *    centre-crop 224×224 (torchvision Resize(256) + CenterCrop(224)); top-1 0.67 vs 0.58 for 'fit'
 *    on 200 photos (../shared/models/README.md).
 *  - 'fit': the whole image stretched to 224×224 (nothing cut off; aspect ratio not kept).
 * An image that is already 224×224 is used as is in both modes.
 *  - 'whole' (`preprocessWhole`, the synthesis methods, as CS231n): the whole image at its aspect
 *    ratio with its smallest side at a given size (torchvision Resize(size)), nothing cut off.
 *
 * Resampling reproduces Pillow's 8-bit antialiased bilinear resize (what torchvision's Resize
 * does on PIL images, hence what the reference accuracy was measured with): the filter widens
 * when downscaling, coefficients are 22-bit fixed point, and each pass rounds to 8 bits. The
 * 8-bit 224×224 RGB image is returned too: attacks work in that pixel space.
 */
import type { Geometry, PreprocessMode } from '../shared/image.js';
import { MAX_INPUT_SIZE, MIN_INPUT_SIZE } from './architecture.js';

export type { Geometry, PreprocessMode };
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const INPUT = 224;
const RESIZE_SHORT_SIDE = 256;

/** Decoded image, RGBA, 8 bits per channel, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export interface Preprocessed {
  /** width × height RGB, 8-bit, row-major (no alpha); 224×224 except in 'whole' mode */
  pixels: Uint8ClampedArray;
  /** normalized NHWC float input for one image, height·width·3 */
  input: Float32Array;
  width: number;
  height: number;
  geometry: Geometry;
}

export class ImageInputError extends Error {}

export function validateImage(image: RgbaImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageInputError(`image has invalid size ${width}×${height}`);
  }
  if (data.length !== width * height * 4) {
    throw new ImageInputError(
      `image data has ${data.length} bytes, expected ${width * height * 4} for ${width}×${height} RGBA`,
    );
  }
}

export function preprocess(image: RgbaImage, mode: PreprocessMode = 'crop'): Preprocessed {
  validateImage(image);
  const { width: w, height: h } = image;
  let outW: number;
  let outH: number;
  let left = 0;
  let top = 0;
  if (mode !== 'crop' && mode !== 'fit')
    throw new ImageInputError(`unknown preprocess mode ${String(mode)} (use crop or fit; 'whole' is preprocessWhole)`);
  if (w === INPUT && h === INPUT) {
    // Already the network's input size: used exactly as is. This is what makes a saved 224×224
    // fooling image re-classify to the same answer (a 256-resize and re-crop would alter every
    // pixel), and it is how the reference logits of the 224×224 kennysong photos were computed.
    outW = INPUT;
    outH = INPUT;
  } else if (mode === 'crop') {
    // torchvision: the short side becomes 256, the long side int(256 · long / short).
    if (w <= h) {
      outW = RESIZE_SHORT_SIDE;
      outH = Math.floor((RESIZE_SHORT_SIDE * h) / w);
    } else {
      outH = RESIZE_SHORT_SIDE;
      outW = Math.floor((RESIZE_SHORT_SIDE * w) / h);
    }
    left = roundHalfEven((outW - INPUT) / 2);
    top = roundHalfEven((outH - INPUT) / 2);
  } else {
    outW = INPUT;
    outH = INPUT;
  }
  const pixels = resampleWindow(image, outW, outH, left, top, INPUT, INPUT);
  const sx = w / outW;
  const sy = h / outH;
  return {
    pixels,
    input: normalize(pixels),
    width: INPUT,
    height: INPUT,
    geometry: {
      mode,
      sourceWidth: w,
      sourceHeight: h,
      region: { x: left * sx, y: top * sy, width: INPUT * sx, height: INPUT * sy },
    },
  };
}

/**
 * The size of an image's 'whole' input: smallest side `size`, the other int(size · long / short)
 * as torchvision's Resize(size) (a 500×332 photo at 192: 289×192); a long side over the engine's
 * 512 is brought to 512 (the short side shrinks with it), and a short side under 64 is refused.
 */
export function wholeSize(width: number, height: number, size: number): { width: number; height: number } {
  if (!Number.isInteger(size) || size < MIN_INPUT_SIZE || size > MAX_INPUT_SIZE)
    throw new ImageInputError(`size must be an integer in ${MIN_INPUT_SIZE}…${MAX_INPUT_SIZE}, got ${size}`);
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  let s = size;
  let l = Math.floor((size * long) / short);
  if (l > MAX_INPUT_SIZE) {
    l = MAX_INPUT_SIZE;
    s = Math.floor((MAX_INPUT_SIZE * short) / long);
  }
  if (s < MIN_INPUT_SIZE)
    throw new ImageInputError(
      `a ${width}×${height} image is too elongated: at most ${MAX_INPUT_SIZE} px long it is ${s} px on its short side (at least ${MIN_INPUT_SIZE})`,
    );
  return width <= height ? { width: s, height: l } : { width: l, height: s };
}

/** The whole image at its aspect ratio, smallest side `size` (see `wholeSize`), resampled as Pillow. */
export function preprocessWhole(image: RgbaImage, size: number): Preprocessed {
  validateImage(image);
  const { width, height } = wholeSize(image.width, image.height, size);
  const pixels = resampleWindow(image, width, height, 0, 0, width, height);
  return {
    pixels,
    input: normalize(pixels),
    width,
    height,
    geometry: {
      mode: 'whole',
      sourceWidth: image.width,
      sourceHeight: image.height,
      region: { x: 0, y: 0, width: image.width, height: image.height },
    },
  };
}

/** Per channel, mean and std in pixel units, as float32 (what the tensor path uses). */
const MEAN_PX = IMAGENET_MEAN.map((m) => Math.fround(m * 255));
const STD_PX = IMAGENET_STD.map((s) => Math.fround(s * 255));

/**
 * 8-bit RGB (224·224·3) → normalized float NHWC: (p − 255·mean) / (255·std), rounded to float32 at
 * each step exactly as the tensor version (methods/common.ts pixelsToInput) computes it, so both
 * paths give bit-identical inputs (a one-ulp difference can flip a max-pool tie).
 */
export function normalize(pixels: ArrayLike<number>): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i += 3) {
    for (let c = 0; c < 3; c++) out[i + c] = Math.fround(Math.fround(pixels[i + c] - MEAN_PX[c]) / STD_PX[c]);
  }
  return out;
}

/** Python's round(): half to even, as torchvision's CenterCrop uses. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  /** fixed-point coefficients, PRECISION_BITS fractional bits, maxTaps per output */
  weights: Int32Array;
  maxTaps: number;
}

/** Pillow's fixed-point precision for 8-bit resampling (32 − 8 − 2). */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/**
 * Pillow's bilinear coefficients (precompute_coeffs + normalize_coeffs_8bpc) for output
 * positions [from, from + n) of an inSize → outSize resize.
 */
function taps(inSize: number, outSize: number, from: number, n: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support 1, widened when downscaling
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * maxTaps);
  const w = new Float64Array(maxTaps);
  for (let k = 0; k < n; k++) {
    const center = (from + k + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    const m = Math.min(hi - lo, maxTaps);
    for (let j = 0; j < m; j++) {
      const t = Math.abs((j + lo - center + 0.5) / filterScale);
      w[j] = t < 1 ? 1 - t : 0;
      total += w[j];
    }
    for (let j = 0; j < m; j++) {
      const v = total !== 0 ? w[j] / total : 0;
      weights[k * maxTaps + j] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[k] = lo;
    count[k] = m;
  }
  return { start, count, weights, maxTaps };
}

/** Pillow's clip8: round the fixed-point sum (HALF was added up front) to 0…255. */
function clip8(sum: number): number {
  const v = Math.floor(sum / ONE);
  return v < 0 ? 0 : Math.min(v, 255);
}

/**
 * Resize RGBA → RGB (outW × outH) exactly as Pillow's 8-bit bilinear resample does (horizontal
 * pass, rounded to 8 bits, then vertical pass), and return only the window
 * [left, left+winW) × [top, top+winH), so a centre crop never computes pixels it throws away.
 * A pass whose size does not change is skipped, as in Pillow. Alpha is dropped (a transparent
 * pixel keeps its stored colour, as Pillow's convert('RGB') does).
 */
export function resampleWindow(
  image: RgbaImage,
  outW: number,
  outH: number,
  left: number,
  top: number,
  winW: number,
  winH: number,
): Uint8ClampedArray {
  const { width: inW, height: inH, data } = image;
  const horizontal = outW !== inW;
  const vertical = outH !== inH;
  const tx = taps(inW, outW, left, winW);
  const ty = taps(inH, outH, top, winH);
  // Source rows the vertical pass reads (or the window's rows when there is no vertical pass).
  const rowLo = vertical ? ty.start[0] : top;
  const rowHi = vertical ? ty.start[winH - 1] + ty.count[winH - 1] : top + winH;
  const mid = new Uint8Array((rowHi - rowLo) * winW * 3);
  for (let y = rowLo; y < rowHi; y++) {
    const srcRow = y * inW * 4;
    const dstRow = (y - rowLo) * winW * 3;
    for (let x = 0; x < winW; x++) {
      const d = dstRow + x * 3;
      if (!horizontal) {
        const p = srcRow + (left + x) * 4;
        mid[d] = data[p];
        mid[d + 1] = data[p + 1];
        mid[d + 2] = data[p + 2];
        continue;
      }
      let r = HALF;
      let g = HALF;
      let b = HALF;
      const s = tx.start[x];
      const base = x * tx.maxTaps;
      for (let j = 0; j < tx.count[x]; j++) {
        const wgt = tx.weights[base + j];
        const p = srcRow + (s + j) * 4;
        r += data[p] * wgt;
        g += data[p + 1] * wgt;
        b += data[p + 2] * wgt;
      }
      mid[d] = clip8(r);
      mid[d + 1] = clip8(g);
      mid[d + 2] = clip8(b);
    }
  }
  const out = new Uint8ClampedArray(winW * winH * 3);
  const rowBytes = winW * 3;
  for (let y = 0; y < winH; y++) {
    if (!vertical) {
      out.set(mid.subarray(y * rowBytes, (y + 1) * rowBytes), y * rowBytes);
      continue;
    }
    const s = ty.start[y] - rowLo;
    const base = y * ty.maxTaps;
    for (let x = 0; x < rowBytes; x++) {
      let v = HALF;
      for (let j = 0; j < ty.count[y]; j++) v += mid[(s + j) * rowBytes + x] * ty.weights[base + j];
      out[y * rowBytes + x] = clip8(v);
    }
  }
  return out;
}

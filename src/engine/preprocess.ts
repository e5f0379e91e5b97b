/**
 * Image → network input, shared by the extension and Node so both see the same pixels.
 *
 * Two modes, with the geometry returned so a saliency map can be drawn back onto exactly the
 * right region of the original image:
 *  - 'crop' (default, what the reference model was evaluated with): resize the short side to 256,
 *    centre-crop 224×224 (torchvision Resize(256) + CenterCrop(224)); top-1 0.67 vs 0.58 for 'fit'
 *    on 200 photos (../shared/models/README.md).
 *  - 'fit': the whole image stretched to 224×224 (nothing cut off; aspect ratio not kept).
 *
 * Resampling is antialiased bilinear like PIL's (the filter widens when downscaling), and the
 * result is rounded to 8 bits, as PIL does, before normalization. The 8-bit 224×224 RGB image is
 * returned too: attacks work in that pixel space.
 */
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

export type PreprocessMode = 'crop' | 'fit';

export interface Geometry {
  mode: PreprocessMode;
  sourceWidth: number;
  sourceHeight: number;
  /** The rectangle of the source image, in source pixels, that the 224×224 input shows. */
  region: { x: number; y: number; width: number; height: number };
}

export interface Preprocessed {
  /** 224×224 RGB, 8-bit, row-major (no alpha) */
  pixels: Uint8ClampedArray;
  /** normalized NHWC float input for one image, 224·224·3 */
  input: Float32Array;
  geometry: Geometry;
}

export class ImageInputError extends Error {}

export function validateImage(image: RgbaImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageInputError(`image has invalid size ${width}×${height}`);
  }
  if (data.length !== width * height * 4) {
    throw new ImageInputError(`image data has ${data.length} bytes, expected ${width * height * 4} for ${width}×${height} RGBA`);
  }
}

export function preprocess(image: RgbaImage, mode: PreprocessMode = 'crop'): Preprocessed {
  validateImage(image);
  const { width: w, height: h } = image;
  let outW: number;
  let outH: number;
  let left = 0;
  let top = 0;
  if (mode === 'crop') {
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
  } else if (mode === 'fit') {
    outW = INPUT;
    outH = INPUT;
  } else {
    throw new ImageInputError(`unknown preprocess mode ${String(mode)} (use crop or fit)`);
  }
  const pixels = resampleWindow(image, outW, outH, left, top, INPUT, INPUT);
  const sx = w / outW;
  const sy = h / outH;
  return {
    pixels,
    input: normalize(pixels),
    geometry: { mode, sourceWidth: w, sourceHeight: h, region: { x: left * sx, y: top * sy, width: INPUT * sx, height: INPUT * sy } },
  };
}

/** 8-bit RGB (224·224·3) → normalized float NHWC. */
export function normalize(pixels: Uint8ClampedArray | Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i += 3) {
    for (let c = 0; c < 3; c++) out[i + c] = (pixels[i + c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
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
  weights: Float32Array; // maxTaps per output
  maxTaps: number;
}

/** PIL's bilinear coefficients for output positions [from, from + n) of an inSize → outSize resize. */
function taps(inSize: number, outSize: number, from: number, n: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support 1, widened when downscaling
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Float32Array(n * maxTaps);
  for (let k = 0; k < n; k++) {
    const center = (from + k + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    const m = Math.min(hi - lo, maxTaps);
    for (let j = 0; j < m; j++) {
      const t = Math.abs((j + lo - center + 0.5) / filterScale);
      const wgt = t < 1 ? 1 - t : 0;
      weights[k * maxTaps + j] = wgt;
      total += wgt;
    }
    if (total > 0) for (let j = 0; j < m; j++) weights[k * maxTaps + j] /= total;
    start[k] = lo;
    count[k] = m;
  }
  return { start, count, weights, maxTaps };
}

/**
 * Resize RGBA → RGB (outW × outH) and return only the window [left, left+winW) × [top, top+winH),
 * so a centre crop never computes the pixels it throws away. Alpha is dropped (composited on
 * nothing: a transparent pixel keeps its stored colour, as PIL's convert('RGB') does).
 */
export function resampleWindow(image: RgbaImage, outW: number, outH: number, left: number, top: number, winW: number, winH: number): Uint8ClampedArray {
  const { width: inW, height: inH, data } = image;
  const tx = taps(inW, outW, left, winW);
  const ty = taps(inH, outH, top, winH);
  // Rows of the source actually needed by the vertical pass.
  const rowLo = ty.start[0];
  const rowHi = ty.start[winH - 1] + ty.count[winH - 1];
  const mid = new Float32Array((rowHi - rowLo) * winW * 3);
  for (let y = rowLo; y < rowHi; y++) {
    const srcRow = y * inW * 4;
    const dstRow = (y - rowLo) * winW * 3;
    for (let x = 0; x < winW; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const s = tx.start[x];
      const base = x * tx.maxTaps;
      for (let j = 0; j < tx.count[x]; j++) {
        const wgt = tx.weights[base + j];
        const p = srcRow + (s + j) * 4;
        r += data[p] * wgt;
        g += data[p + 1] * wgt;
        b += data[p + 2] * wgt;
      }
      const d = dstRow + x * 3;
      mid[d] = r;
      mid[d + 1] = g;
      mid[d + 2] = b;
    }
  }
  const out = new Uint8ClampedArray(winW * winH * 3); // clamps and rounds on store
  for (let y = 0; y < winH; y++) {
    const s = ty.start[y] - rowLo;
    const base = y * ty.maxTaps;
    for (let x = 0; x < winW * 3; x++) {
      let v = 0;
      for (let j = 0; j < ty.count[y]; j++) v += mid[(s + j) * winW * 3 + x] * ty.weights[base + j];
      out[y * winW * 3 + x] = v;
    }
  }
  return out;
}

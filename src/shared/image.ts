/**
 * Image buffers for rendering: RGBA, 8 bits per channel, row-major — the layout of the DOM's
 * ImageData (`new ImageData(buffer.data, buffer.width, buffer.height)` works as is), of the
 * engine's decoded images (RgbaImage in engine/preprocess.ts) and of the PNG encoder's input.
 * Nothing here needs a DOM: the same code runs in Node, a page and the service worker.
 */

/** RGBA, 8-bit, row-major; what every render function returns. */
export interface RgbaBuffer {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/**
 * Any image with 3 (RGB) or 4 (RGBA) interleaved channels, told apart by data.length; values in
 * [0,255] (floats allowed: PixelImage from methods/common.ts and the engine's 8-bit RGB pixels
 * both fit).
 */
export interface AnyImage {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/** A scalar map (saliency, activation norm …), row-major, one value per pixel. */
export interface ScalarMap {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

export function channelsOf(image: AnyImage): 3 | 4 {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid image size ${width}×${height}`);
  }
  if (data.length === width * height * 4) return 4;
  if (data.length === width * height * 3) return 3;
  throw new RangeError(`image data has ${data.length} values: expected ${width}×${height}×3 (RGB) or ×4 (RGBA)`);
}

export function createRgba(width: number, height: number, fill: readonly number[] = [0, 0, 0, 255]): RgbaBuffer {
  const data = new Uint8ClampedArray(width * height * 4);
  if (fill.some((v) => v !== 0)) {
    for (let i = 0; i < data.length; i += 4) {
      data[i] = fill[0];
      data[i + 1] = fill[1];
      data[i + 2] = fill[2];
      data[i + 3] = fill[3] ?? 255;
    }
  }
  return { width, height, data };
}

/**
 * RGB or RGBA (floats or bytes) → a new RGBA buffer; values rounded and clamped to [0,255],
 * alpha 255 for RGB input. Always copies.
 */
export function toRgba(image: AnyImage): RgbaBuffer {
  const channels = channelsOf(image);
  const { width, height, data } = image;
  const out = new Uint8ClampedArray(width * height * 4);
  if (channels === 4) {
    for (let i = 0; i < out.length; i++) out[i] = Math.round(data[i]);
  } else {
    for (let p = 0, q = 0; q < out.length; p += 3, q += 4) {
      out[q] = Math.round(data[p]);
      out[q + 1] = Math.round(data[p + 1]);
      out[q + 2] = Math.round(data[p + 2]);
      out[q + 3] = 255;
    }
  }
  return { width, height, data: out };
}

/** RGBA or RGB → RGB floats (alpha dropped), e.g. to build a PixelImage from a rendered buffer. */
export function toRgbFloat(image: AnyImage): Float32Array {
  const channels = channelsOf(image);
  const n = image.width * image.height;
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = image.data[p * channels + c];
  return out;
}

/**
 * How a photo becomes the network's input: the 224×224 centre crop it was evaluated on, the whole
 * image stretched to 224×224, or ('whole', the synthesis methods) the whole image at its aspect
 * ratio with its smallest side at a given size.
 */
export type PreprocessMode = 'crop' | 'fit' | 'whole';

export interface Geometry {
  mode: PreprocessMode;
  sourceWidth: number;
  sourceHeight: number;
  /** The rectangle of the source image, in source pixels, that the input shows. */
  region: { x: number; y: number; width: number; height: number };
}

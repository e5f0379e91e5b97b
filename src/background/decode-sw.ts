/**
 * Turning an image the service worker fetched into RGBA pixels, with bounded memory: a huge image
 * is downscaled while it is decoded (createImageBitmap's resize), never held at full size.
 * Errors say what went wrong (HTTP status, not an image, undecodable, too large).
 */
import type { RgbaImage } from '../engine/preprocess.js';

export class ImageFetchError extends Error {}

/** Decoded images larger than this (in pixels) are downscaled while decoding. */
export const MAX_DECODE_PIXELS = 4096 * 4096;
/** Refuse to download more than this many bytes for one image. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export async function fetchImageBlob(url: string, signal?: AbortSignal): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'omit', signal });
  } catch (error) {
    throw new ImageFetchError(`could not download the image (${(error as Error).message})`);
  }
  if (!response.ok) throw new ImageFetchError(`the image could not be downloaded: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_IMAGE_BYTES) throw new ImageFetchError(`the image is too large to analyse (${(declared / 1e6).toFixed(0)} MB; the limit is ${MAX_IMAGE_BYTES / 1e6} MB)`);
  const blob = await response.blob();
  if (blob.size > MAX_IMAGE_BYTES) throw new ImageFetchError(`the image is too large to analyse (${(blob.size / 1e6).toFixed(0)} MB)`);
  const type = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type && !type.startsWith('image/') && type !== 'application/octet-stream') {
    throw new ImageFetchError(`the address did not return an image (it returned ${type})`);
  }
  return blob;
}

/**
 * Pixels as stored in the file, as the reference pipeline (PIL) reads them: no ICC colour
 * management, no premultiplied alpha. (Measured on the test photos: Chromium's decode differs
 * from jpeg-js by ~0.5 levels on average; that alone moves the borderline golden-retriever photo,
 * 21.5 % vs 21.8 %, to "muzzle" in the browser.)
 */
const DECODE_OPTIONS: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

export async function decodeImageBlob(blob: Blob): Promise<RgbaImage & { originalWidth: number; originalHeight: number }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, DECODE_OPTIONS);
  } catch {
    throw new ImageFetchError(`the file could not be decoded as an image (${blob.type || 'unknown type'}, ${blob.size} bytes)`);
  }
  const originalWidth = bitmap.width;
  const originalHeight = bitmap.height;
  if (originalWidth * originalHeight > MAX_DECODE_PIXELS) {
    // Decode again at a bounded size: the full-size bitmap is only a handle, released at once.
    const scale = Math.sqrt(MAX_DECODE_PIXELS / (originalWidth * originalHeight));
    bitmap.close();
    bitmap = await createImageBitmap(blob, {
      resizeWidth: Math.max(1, Math.floor(originalWidth * scale)),
      resizeHeight: Math.max(1, Math.floor(originalHeight * scale)),
      resizeQuality: 'high',
      ...DECODE_OPTIONS,
    });
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageFetchError('no 2D canvas available to read the image');
  ctx.drawImage(bitmap, 0, 0);
  const { width, height } = bitmap;
  bitmap.close();
  const data = ctx.getImageData(0, 0, width, height).data;
  return { width, height, data, originalWidth, originalHeight };
}

/**
 * Image codecs of the service worker (OffscreenCanvas, createImageBitmap): lossless PNG data: URLs
 * of RGB pixels and back (a job's 224×224 view, a fooled image, a dream), and the popup's WebP
 * thumbnail.
 */
import { dataUrl } from '../shared/base64.js';
import type { DecodedImage } from './decode-sw.js';

/** A blob as a data: URL of its own type. */
export async function blobDataUrl(blob: Blob, type = blob.type): Promise<string> {
  return dataUrl(type, new Uint8Array(await blob.arrayBuffer()));
}

/** A small WebP of the image for the popup (long side ≤ 400 px), as a data: URL. */
export async function thumbnail(image: DecodedImage): Promise<string> {
  const scale = Math.min(1, 400 / Math.max(image.width, image.height));
  const w = Math.max(1, Math.round(image.width * scale));
  const h = Math.max(1, Math.round(image.height * scale));
  const buffer = image.data.buffer as ArrayBuffer;
  const pixels = new ImageData(
    new Uint8ClampedArray(buffer, image.data.byteOffset, image.data.byteLength),
    image.width,
    image.height,
  );
  const bitmap = await createImageBitmap(pixels, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
  const canvas = new OffscreenCanvas(w, h);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  return blobDataUrl(await canvas.convertToBlob({ type: 'image/webp', quality: 0.85 }));
}

/** RGBA pixels (row-major, with transparency) as a PNG data: URL. */
export async function rgbaPng(rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number): Promise<string> {
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
  return blobDataUrl(await canvas.convertToBlob({ type: 'image/png' }));
}

/** RGB pixels (row-major) as a PNG data: URL: lossless, so the exact pixels come back. */
export async function rgbPng(pixels: ArrayLike<number>, width: number, height = width): Promise<string> {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = pixels[p * 3];
    rgba[p * 4 + 1] = pixels[p * 3 + 1];
    rgba[p * 4 + 2] = pixels[p * 3 + 2];
    rgba[p * 4 + 3] = 255;
  }
  return rgbaPng(rgba, width, height);
}

/** The exact RGB pixels of a lossless PNG data: URL (a job's stored 224×224 view, a fooled image). */
export async function pngPixels(url: string): Promise<{ width: number; height: number; rgb: Uint8ClampedArray }> {
  const blob = await (await fetch(url)).blob();
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8ClampedArray(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    rgb[p * 3] = rgba[p * 4];
    rgb[p * 3 + 1] = rgba[p * 4 + 1];
    rgb[p * 3 + 2] = rgba[p * 4 + 2];
  }
  return { width, height, rgb };
}

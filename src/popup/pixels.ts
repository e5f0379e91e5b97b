/**
 * The DOM side of drawing: decoding a stored data: URL to RGBA, putting RGBA on a canvas, and
 * saving bytes as a download. The pixel work itself is render/ (the same code as the CLI).
 */
import type { RgbaBuffer } from '../shared/image.js';

/** The RGBA pixels of a data: URL image drawn at size × size (lossless for the stored 224×224 PNGs). */
export function decodeDataUrl(dataUrl: string, size: number): Promise<RgbaBuffer> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = size;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(img, 0, 0, size, size);
      resolve({ width: size, height: size, data: ctx.getImageData(0, 0, size, size).data });
    };
    img.onerror = () => reject(new Error('the stored image could not be decoded'));
    img.src = dataUrl;
  });
}

export function paint(canvas: HTMLCanvasElement, image: RgbaBuffer): void {
  if (canvas.width !== image.width) canvas.width = image.width;
  if (canvas.height !== image.height) canvas.height = image.height;
  const data = new Uint8ClampedArray(image.data);
  canvas.getContext('2d')!.putImageData(new ImageData(data, image.width, image.height), 0, 0);
}

/** Saves `bytes` under `name` through a temporary link (the popup has no downloads permission). */
export function download(bytes: Uint8Array, type: string, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

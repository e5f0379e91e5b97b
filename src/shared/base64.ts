/**
 * The one base64 of the project (browser contexts and Node 20+ both have btoa/atob). Chunked:
 * String.fromCharCode's argument count is bounded (a 224×224 PNG is ~100 KB).
 */
const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A float32 array as base64 of its little-endian bytes (exact, compact). */
export const float32ToBase64 = (data: Float32Array): string =>
  bytesToBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));

export function base64ToFloat32(text: string): Float32Array {
  const bytes = base64ToBytes(text);
  if (bytes.length % 4 !== 0)
    throw new RangeError(`base64 input decodes to ${bytes.length} bytes, not a whole number of float32s`);
  return new Float32Array(bytes.buffer); // little-endian on every platform the extension and Node run on
}

/** `data:<type>;base64,…` of some bytes. */
export const dataUrl = (type: string, bytes: Uint8Array): string => `data:${type};base64,${bytesToBase64(bytes)}`;

export const pngDataUrl = (png: Uint8Array): string => dataUrl('image/png', png);

/** 8-bit RGB pixels as base64 (a saliency job's stored view: no PNG encode or decode). */
export const rgbToBase64 = (rgb: Uint8ClampedArray): string =>
  bytesToBase64(new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength));

/** The RGB bytes of `rgbToBase64`, checked to be size × size pixels. */
export function rgbFromBase64(text: string, size: number): Uint8ClampedArray {
  const bytes = base64ToBytes(text);
  if (bytes.length !== size * size * 3) throw new Error(`view: expected ${size * size * 3} bytes, got ${bytes.length}`);
  return new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

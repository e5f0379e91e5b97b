/**
 * Decoding image files in Node (CLI, tests, benchmarks): JPEG and PNG, pure JavaScript, with
 * bounded memory. Anything else is a clear error naming the file and what it looks like.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from './preprocess.js';

export class DecodeError extends Error {}

/** Above this many megapixels we refuse to decode rather than exhaust memory. */
export const MAX_MEGAPIXELS = 100;

function sniff(bytes: Uint8Array): 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'html' | 'unknown' {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 16));
  if (head.startsWith('GIF8')) return 'gif';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'webp';
  if (head.startsWith('BM')) return 'bmp';
  if (/^\s*</.test(head)) return 'html';
  return 'unknown';
}

export function decodeImage(bytes: Uint8Array, name: string): RgbaImage {
  if (bytes.length === 0) throw new DecodeError(`${name}: empty file`);
  const kind = sniff(bytes);
  try {
    if (kind === 'jpeg') {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 2048 });
      return { width: img.width, height: img.height, data: img.data };
    }
    if (kind === 'png') {
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (img.width * img.height > MAX_MEGAPIXELS * 1e6) throw new DecodeError(`${name}: ${img.width}×${img.height} is larger than ${MAX_MEGAPIXELS} megapixels`);
      return { width: img.width, height: img.height, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
    }
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError(`${name}: cannot decode ${kind.toUpperCase()} data: ${(error as Error).message}`);
  }
  if (kind === 'html') throw new DecodeError(`${name}: not an image (looks like HTML/XML text)`);
  if (kind === 'unknown') throw new DecodeError(`${name}: not an image (unrecognised format; JPEG and PNG are supported)`);
  throw new DecodeError(`${name}: ${kind.toUpperCase()} is not supported on the command line (JPEG and PNG are)`);
}

/**
 * Width and height from an image file's header (PNG, JPEG, GIF, WebP, BMP), without decoding:
 * lets the worker refuse absurd sizes and decode huge images straight to a bounded size.
 * Returns null when the format is not recognized or the header is cut short.
 *
 * The size is the picture's as shown: Chromium applies EXIF orientation (JPEG, PNG eXIf before the
 * image data) even with `imageOrientation: 'none'` (docs/platform.md, "Decoding in Chromium"), so
 * for orientations 5–8 width and height are swapped — else a large rotated photo, decoded straight
 * to a bounded size, came out squashed (6000×4000, orientation 6: 5016×3344 instead of 4000×6000).
 */
import { type Orientation, swapsAxes, tiffOrientation } from '../engine/decode/orient.js';

export interface ImageSize {
  width: number;
  height: number;
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';
  /** EXIF orientation the browser applies (1: as stored) */
  orientation: Orientation;
}

export function imageSize(bytes: Uint8Array): ImageSize | null {
  const size = storedSize(bytes);
  if (!size || !swapsAxes(size.orientation)) return size;
  return { ...size, width: size.height, height: size.width };
}

function storedSize(bytes: Uint8Array): ImageSize | null {
  const n = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number, s: string) =>
    at + s.length <= n && [...s].every((c, i) => bytes[at + i] === c.charCodeAt(0));
  if (n >= 24 && bytes[0] === 0x89 && ascii(1, 'PNG') && ascii(12, 'IHDR')) {
    return { width: dv.getUint32(16), height: dv.getUint32(20), format: 'png', orientation: pngOrientation() };
  }
  if (n >= 10 && ascii(0, 'GIF8'))
    return { width: dv.getUint16(6, true), height: dv.getUint16(8, true), format: 'gif', orientation: 1 };
  if (n >= 26 && ascii(0, 'BM'))
    return {
      width: Math.abs(dv.getInt32(18, true)),
      height: Math.abs(dv.getInt32(22, true)),
      format: 'bmp',
      orientation: 1,
    };
  if (n >= 30 && ascii(0, 'RIFF') && ascii(8, 'WEBP')) {
    if (ascii(12, 'VP8 '))
      return {
        width: dv.getUint16(26, true) & 0x3fff,
        height: dv.getUint16(28, true) & 0x3fff,
        format: 'webp',
        orientation: 1,
      };
    if (ascii(12, 'VP8L')) {
      const b = dv.getUint32(21, true);
      return { width: (b & 0x3fff) + 1, height: ((b >> 14) & 0x3fff) + 1, format: 'webp', orientation: 1 };
    }
    if (ascii(12, 'VP8X')) {
      const w = bytes[24] | (bytes[25] << 8) | (bytes[26] << 16);
      const h = bytes[27] | (bytes[28] << 8) | (bytes[29] << 16);
      return { width: w + 1, height: h + 1, format: 'webp', orientation: 1 };
    }
    return null;
  }
  if (n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    let orientation: Orientation | null = null;
    while (i + 9 < n) {
      if (bytes[i] !== 0xff) return null;
      const marker = bytes[i + 1];
      if (marker === 0xff) {
        i++; // fill byte
        continue;
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        i += 2; // no length
        continue;
      }
      const length = dv.getUint16(i + 2);
      // Chromium reads the first Exif APP1 only.
      if (marker === 0xe1 && orientation === null && ascii(i + 4, 'Exif\0\0')) {
        orientation = tiffOrientation(bytes, i + 10, Math.min(n, i + 2 + length));
      }
      // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return {
          width: dv.getUint16(i + 7),
          height: dv.getUint16(i + 5),
          format: 'jpeg',
          orientation: orientation ?? 1,
        };
      }
      i += 2 + length;
    }
    return null;
  }
  return null;

  /** A PNG's eXIf orientation: honoured before the image data, and only without an "Exif\0\0" prefix. */
  function pngOrientation(): Orientation {
    for (let i = 8; i + 8 <= n; ) {
      const length = dv.getUint32(i);
      if (ascii(i + 4, 'IDAT')) return 1;
      if (ascii(i + 4, 'eXIf')) return tiffOrientation(bytes, i + 8, Math.min(n, i + 8 + length));
      i += 12 + length;
    }
    return 1;
  }
}

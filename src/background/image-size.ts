/**
 * Width and height from an image file's header (PNG, JPEG, GIF, WebP, BMP), without decoding:
 * lets the worker refuse absurd sizes and decode huge images straight to a bounded size.
 * Returns null when the format is not recognized or the header is cut short.
 */
export interface ImageSize {
  width: number;
  height: number;
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';
}

export function imageSize(bytes: Uint8Array): ImageSize | null {
  const n = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number, s: string) =>
    at + s.length <= n && [...s].every((c, i) => bytes[at + i] === c.charCodeAt(0));
  if (n >= 24 && bytes[0] === 0x89 && ascii(1, 'PNG') && ascii(12, 'IHDR')) {
    return { width: dv.getUint32(16), height: dv.getUint32(20), format: 'png' };
  }
  if (n >= 10 && ascii(0, 'GIF8'))
    return { width: dv.getUint16(6, true), height: dv.getUint16(8, true), format: 'gif' };
  if (n >= 26 && ascii(0, 'BM'))
    return { width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)), format: 'bmp' };
  if (n >= 30 && ascii(0, 'RIFF') && ascii(8, 'WEBP')) {
    if (ascii(12, 'VP8 '))
      return { width: dv.getUint16(26, true) & 0x3fff, height: dv.getUint16(28, true) & 0x3fff, format: 'webp' };
    if (ascii(12, 'VP8L')) {
      const b = dv.getUint32(21, true);
      return { width: (b & 0x3fff) + 1, height: ((b >> 14) & 0x3fff) + 1, format: 'webp' };
    }
    if (ascii(12, 'VP8X')) {
      const w = bytes[24] | (bytes[25] << 8) | (bytes[26] << 16);
      const h = bytes[27] | (bytes[28] << 8) | (bytes[29] << 16);
      return { width: w + 1, height: h + 1, format: 'webp' };
    }
    return null;
  }
  if (n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
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
      // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: dv.getUint16(i + 7), height: dv.getUint16(i + 5), format: 'jpeg' };
      }
      i += 2 + length;
    }
    return null;
  }
  return null;
}

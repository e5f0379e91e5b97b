/**
 * BMP, as Chromium reads it: 1/4/8-bit palettes, 16/24/32-bit (default 5-5-5 and BGRX, or bit
 * masks), RLE4/RLE8 (skipped pixels are opaque black:
 * measured in Chromium 156, not transparent), bottom-up or top-down. Channels of fewer
 * than 8 bits are scaled as round(v·255/max) (Chromium's lookup tables); 32-bit images whose
 * alpha bytes are all zero are opaque. A small parser of our own: pixels equal Chromium's on the
 * fixtures.
 */
import { FormatError } from './common.js';

export interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  infoSize: number;
  bpp: number;
  compression: number;
  dataOffset: number;
}

export function bmpHeader(b: Uint8Array): BmpHeader | null {
  if (b.length < 26) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const infoSize = dv.getUint32(14, true);
  if (infoSize === 12) {
    return {
      width: dv.getUint16(18, true),
      height: dv.getUint16(20, true),
      topDown: false,
      infoSize,
      bpp: dv.getUint16(24, true),
      compression: 0,
      dataOffset: dv.getUint32(10, true),
    };
  }
  if (infoSize < 40 || b.length < 34) return null;
  const height = dv.getInt32(22, true);
  return {
    width: Math.abs(dv.getInt32(18, true)),
    height: Math.abs(height),
    topDown: height < 0,
    infoSize,
    bpp: dv.getUint16(28, true),
    compression: dv.getUint32(30, true),
    dataOffset: dv.getUint32(10, true),
  };
}

interface Channel {
  shift: number;
  bits: number;
  scale: Uint8Array | null;
}

function channel(mask: number): Channel {
  if (mask === 0) return { shift: 0, bits: 0, scale: null };
  let shift = 0;
  while (!((mask >>> shift) & 1)) shift++;
  let bits = 0;
  while ((mask >>> (shift + bits)) & 1) bits++;
  if (bits > 8) {
    shift += bits - 8; // keep the top 8 bits
    bits = 8;
  }
  const max = (1 << bits) - 1;
  const scale = bits < 8 ? Uint8Array.from({ length: max + 1 }, (_, v) => Math.round((v * 255) / max)) : null;
  return { shift, bits, scale };
}

const truncated = () => new FormatError('cannot decode BMP data: the file is truncated');

export function decodeBmp(b: Uint8Array, h: BmpHeader) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const { width, height, bpp, compression } = h;
  if (compression === 4 || compression === 5) throw new FormatError('BMP with embedded JPEG/PNG data is not supported');
  const rle = compression === 1 || compression === 2;
  if (rle && bpp !== (compression === 1 ? 8 : 4)) throw new FormatError(`cannot decode BMP data: RLE with ${bpp} bits`);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new FormatError(`cannot decode BMP data: ${bpp} bits per pixel`);
  const out = new Uint8Array(width * height * 4);
  const at = (x: number, row: number) => ((h.topDown ? row : height - 1 - row) * width + x) * 4;
  if (bpp <= 8) {
    const entry = h.infoSize === 12 ? 3 : 4;
    const used = h.infoSize >= 40 ? dv.getUint32(46, true) : 0;
    const count = Math.min(used || 1 << bpp, 1 << bpp);
    const start = 14 + h.infoSize + (h.infoSize === 40 && compression === 3 ? 12 : 0);
    const palette = new Uint8Array(256 * 3); // entries past the table are black
    for (let i = 0; i < count && start + i * entry + 2 < b.length; i++) {
      palette.set([b[start + i * entry + 2], b[start + i * entry + 1], b[start + i * entry]], i * 3);
    }
    const put = (x: number, row: number, index: number) => {
      const o = at(x, row);
      out.set(palette.subarray(index * 3, index * 3 + 3), o);
      out[o + 3] = 255;
    };
    if (rle) {
      for (let i = 3; i < out.length; i += 4) out[i] = 255;
      decodeRle(b, h, put);
    } else {
      const stride = Math.ceil((width * bpp) / 32) * 4;
      if (h.dataOffset + stride * (height - 1) + Math.ceil((width * bpp) / 8) > b.length) throw truncated();
      for (let row = 0; row < height; row++) {
        const line = h.dataOffset + row * stride;
        for (let x = 0; x < width; x++) {
          const bit = x * bpp;
          put(x, row, (b[line + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1));
        }
      }
    }
    return { width, height, data: out };
  }
  // 16, 24 or 32 bits: masks from the header (BITFIELDS), or the defaults.
  let masks = bpp === 16 ? [0x7c00, 0x3e0, 0x1f, 0] : [0xff0000, 0xff00, 0xff, bpp === 32 ? 0xff000000 : 0];
  if (compression === 3 || compression === 6) {
    masks = [dv.getUint32(54, true), dv.getUint32(58, true), dv.getUint32(62, true), 0];
    if (compression === 6 || h.infoSize >= 56) masks[3] = dv.getUint32(66, true);
  }
  const channels = masks.map(channel);
  const bytes = bpp / 8;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (h.dataOffset + stride * (height - 1) + width * bytes > b.length) throw truncated();
  let anyAlpha = false;
  for (let row = 0; row < height; row++) {
    const line = h.dataOffset + row * stride;
    for (let x = 0; x < width; x++) {
      const p = line + x * bytes;
      const v =
        bytes === 2
          ? dv.getUint16(p, true)
          : bytes === 3
            ? b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)
            : dv.getUint32(p, true);
      const o = at(x, row);
      for (let c = 0; c < 4; c++) {
        const { shift, bits, scale } = channels[c];
        if (!bits) {
          out[o + c] = 255;
          continue;
        }
        const raw = (v >>> shift) & ((1 << bits) - 1);
        out[o + c] = scale ? scale[raw] : raw;
      }
      if (channels[3].bits && out[o + 3]) anyAlpha = true;
    }
  }
  if (channels[3].bits && !anyAlpha) for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return { width, height, data: out };
}

/** RLE8 / RLE4: runs, literal runs, end of line, delta and end of bitmap escapes. */
function decodeRle(b: Uint8Array, h: BmpHeader, put: (x: number, row: number, index: number) => void) {
  const four = h.compression === 2;
  let i = h.dataOffset;
  let x = 0;
  let row = 0;
  const set = (index: number) => {
    if (x < h.width && row < h.height) put(x, row, index);
    x++;
  };
  while (row < h.height) {
    if (i + 1 >= b.length) throw truncated();
    const count = b[i];
    const value = b[i + 1];
    i += 2;
    if (count > 0) {
      for (let k = 0; k < count; k++) set(four ? (k & 1 ? value & 15 : value >> 4) : value);
    } else if (value === 0) {
      x = 0;
      row++;
    } else if (value === 1) {
      return;
    } else if (value === 2) {
      if (i + 1 >= b.length) throw truncated();
      x += b[i];
      row += b[i + 1];
      i += 2;
    } else {
      const length = four ? Math.ceil(value / 2) : value;
      if (i + length > b.length) throw truncated();
      for (let k = 0; k < value; k++) set(four ? (k & 1 ? b[i + (k >> 1)] & 15 : b[i + (k >> 1)] >> 4) : b[i + k]);
      i += length + (length & 1);
    }
  }
}

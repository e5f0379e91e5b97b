/**
 * A huge PNG generated at test time (nothing binary is committed): a photo scaled up by
 * nearest-neighbour to e.g. 8000×8000, RGB. Rows that repeat the previous one use PNG's "Up"
 * filter (all zeros) and new rows "Sub" (zeros inside each repeated pixel block), so it deflates
 * to a few MB in well under a second.
 */
import { deflateSync } from 'node:zlib';
import type { RgbaImage } from '../../src/engine/preprocess.js';
import { crc32 } from '../../src/render/png.js';

/** One PNG chunk: length, type, data, CRC (the encoder's own crc32, tested against the PNG spec). */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An 8-bit RGB PNG file around an already compressed IDAT stream. */
export function rgbPngFile(width: number, height: number, idat: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

export function upscaledPng(src: RgbaImage, width: number, height: number): Buffer {
  const stride = width * 3 + 1;
  const raw = Buffer.alloc(stride * height); // zero-filled: "Up" rows stay as they are
  let prevSy = -1;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(src.height - 1, Math.floor((y * src.height) / height));
    const row = y * stride;
    if (sy === prevSy) {
      raw[row] = 2; // Up: identical to the row above
      continue;
    }
    prevSy = sy;
    raw[row] = 1; // Sub: difference to the pixel on the left
    let pr = 0,
      pg = 0,
      pb = 0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(src.width - 1, Math.floor((x * src.width) / width));
      const i = (sy * src.width + sx) * 4;
      const r = src.data[i],
        g = src.data[i + 1],
        b = src.data[i + 2];
      const o = row + 1 + x * 3;
      raw[o] = (r - pr) & 0xff;
      raw[o + 1] = (g - pg) & 0xff;
      raw[o + 2] = (b - pb) & 0xff;
      pr = r;
      pg = g;
      pb = b;
    }
  }
  return rgbPngFile(width, height, deflateSync(raw, { level: 1 }));
}

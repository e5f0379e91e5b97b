/**
 * Huge images of one flat colour, generated at run time (nothing binary is committed), for the
 * memory measurements and the size-limit tests: what a decoder allocates depends on the pixel
 * count, not on the content, and flat images stay tiny on disk.
 *
 * - PNG: RGB, 8 bits; the first row is "Sub" (the colour, then zero differences), every other row
 *   "Up" (all zeros). Deflated as a stream, so a 15000×15000 image (675 MB of rows) never exists
 *   in memory: ~0.7 MB out.
 * - JPEG: baseline, 3 components 4:4:4, mid grey: every 8×8 block's coefficients are zero, and with
 *   one-symbol Huffman tables (DC category 0 and AC end-of-block, each the 2-bit code 00) every
 *   block is 4 zero bits, so the scan is zero bytes: 15000×15000 in ~5 MB.
 */
import { createDeflate } from 'node:zlib';
import { rgbPngFile } from './huge-png.js';

export async function flatPng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  const stride = width * 3 + 1;
  const rowsPerChunk = Math.max(1, Math.floor((8 << 20) / stride));
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const write = (b: Buffer) =>
    new Promise<void>((resolve, reject) => {
      deflate.write(b, (error) => (error ? reject(error) : resolve()));
    });
  const first = Buffer.alloc(stride);
  first[0] = 1; // Sub
  first.set(rgb, 1);
  await write(first);
  const up = Buffer.alloc(stride * rowsPerChunk);
  for (let r = 0; r < rowsPerChunk; r++) up[r * stride] = 2; // Up: same as the row above
  for (let y = 1; y < height; y += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, height - y);
    await write(rows === rowsPerChunk ? up : up.subarray(0, rows * stride));
  }
  deflate.end();
  await ended;
  return rgbPngFile(width, height, Buffer.concat(out));
}

function segment(marker: number, body: number[]): Buffer {
  const length = body.length + 2;
  return Buffer.from([0xff, marker, length >> 8, length & 0xff, ...body]);
}

/** A mid-grey (128, 128, 128) baseline JPEG of any size up to 65535×65535. */
export function flatJpeg(width: number, height: number): Buffer {
  if (width > 0xffff || height > 0xffff) throw new Error('JPEG sizes stop at 65535');
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8) * 3;
  // 4 bits per block; the last byte is padded with 1 bits, as the standard asks.
  const bits = blocks * 4;
  const scan = Buffer.alloc(Math.ceil(bits / 8));
  if (bits % 8) scan[scan.length - 1] = 0x0f;
  const oneCode = [0, 1, ...new Array(14).fill(0), 0]; // one code of length 2, for symbol 0
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xdb, [0x00, ...new Array(64).fill(1)]), // quantization table 0: all ones
    segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]),
    segment(0xc4, [0x00, ...oneCode]), // DC table 0: category 0
    segment(0xc4, [0x10, ...oneCode]), // AC table 0: end of block
    segment(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]),
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}

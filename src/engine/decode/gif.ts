/**
 * GIF: the first frame, as Chromium shows it: the logical screen, transparent where the frame does
 * not cover it or uses its transparent index, the frame clipped to the screen. A small decoder of
 * our own (no package fitted: omggif prints warnings to stdout, which would corrupt `--json`, and
 * mis-blits frames that exceed the screen). Pixels equal Chromium's on the fixtures.
 */
import { FormatError, MAX_PIXELS } from './common.js';

export interface GifHeader {
  width: number;
  height: number;
}

export function gifHeader(b: Uint8Array): GifHeader | null {
  if (b.length < 13) return null;
  return { width: b[6] | (b[7] << 8), height: b[8] | (b[9] << 8) };
}

const truncated = () => new FormatError('cannot decode GIF data: the file is truncated');

/** Skips data sub-blocks (a length byte, then that many bytes, until a zero length). */
function skipBlocks(b: Uint8Array, at: number): number {
  for (;;) {
    if (at >= b.length) throw truncated();
    const size = b[at];
    at += 1 + size;
    if (size === 0) return at;
  }
}

/** LZW-decodes a frame's sub-blocks into `out` (palette indices); what the data lacks stays 0. */
function lzw(b: Uint8Array, at: number, out: Uint8Array): void {
  const minSize = b[at++];
  if (minSize < 2 || minSize > 8) throw new FormatError(`cannot decode GIF data: bad LZW code size ${minSize}`);
  const clear = 1 << minSize;
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const stack = new Uint8Array(4097);
  for (let i = 0; i < clear; i++) suffix[i] = first[i] = i;
  let size = minSize + 1;
  let next = clear + 2;
  let prev = -1;
  let bits = 0;
  let acc = 0;
  let op = 0;
  let block = 0;
  for (;;) {
    while (bits < size) {
      if (block === 0) {
        if (at >= b.length) throw truncated();
        block = b[at++];
        if (block === 0) return; // end of the image data
      }
      if (at >= b.length) throw truncated();
      acc |= b[at++] << bits;
      bits += 8;
      block--;
    }
    const code = acc & ((1 << size) - 1);
    acc >>>= size;
    bits -= size;
    if (code === clear) {
      size = minSize + 1;
      next = clear + 2;
      prev = -1;
      continue;
    }
    if (code === clear + 1) return;
    if (prev === -1) {
      if (code >= clear) throw new FormatError('cannot decode GIF data: bad LZW code');
      if (op < out.length) out[op++] = code;
      prev = code;
      continue;
    }
    if (code > next) throw new FormatError('cannot decode GIF data: bad LZW code');
    let c = code;
    let sp = 0;
    if (code === next) {
      stack[sp++] = first[prev];
      c = prev;
    }
    while (c >= clear) {
      stack[sp++] = suffix[c];
      c = prefix[c];
    }
    stack[sp++] = c;
    while (sp > 0 && op < out.length) out[op++] = stack[--sp];
    if (next < 4096) {
      prefix[next] = prev;
      suffix[next] = c;
      first[next] = first[prev];
      next++;
      if (next === 1 << size && size < 12) size++;
    }
    prev = code;
  }
}

export function decodeGif(b: Uint8Array, header: GifHeader) {
  let at = 13;
  let palette: Uint8Array | null = null;
  if (b[10] & 0x80) {
    const n = 3 << ((b[10] & 7) + 1);
    palette = b.subarray(at, at + n);
    at += n;
  }
  let transparent = -1;
  for (;;) {
    if (at >= b.length) throw truncated();
    const kind = b[at++];
    if (kind === 0x3b) throw new FormatError('cannot decode GIF data: no image in the file');
    if (kind === 0x21) {
      const label = b[at++];
      if (label === 0xf9 && b[at] >= 4) transparent = b[at + 1] & 1 ? b[at + 4] : -1;
      at = skipBlocks(b, at);
      continue;
    }
    if (kind !== 0x2c) throw new FormatError(`cannot decode GIF data: unknown block 0x${kind.toString(16)}`);
    if (at + 9 > b.length) throw truncated();
    const x = b[at] | (b[at + 1] << 8);
    const y = b[at + 2] | (b[at + 3] << 8);
    const w = b[at + 4] | (b[at + 5] << 8);
    const h = b[at + 6] | (b[at + 7] << 8);
    const flags = b[at + 8];
    at += 9;
    if (flags & 0x80) {
      const n = 3 << ((flags & 7) + 1);
      palette = b.subarray(at, at + n);
      at += n;
    }
    if (w * h > MAX_PIXELS) throw new FormatError(`the first GIF frame is ${w}×${h}, larger than the limit`);
    // An LZW code has at least 3 bits and stands for at most 4094 pixels: data that could not
    // fill the frame even so is refused before the screen-sized buffers are allocated.
    const dataBytes = skipBlocks(b, at + 1) - at;
    if (w * h > ((dataBytes * 8) / 3) * 4094) throw truncated();
    const indices = new Uint8Array(w * h);
    lzw(b, at, indices);
    return blit(header, { x, y, w, h, interlaced: (flags & 0x40) !== 0 }, indices, palette, transparent);
  }
}

interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
  interlaced: boolean;
}

function blit(screen: GifHeader, f: Frame, indices: Uint8Array, palette: Uint8Array | null, transparent: number) {
  const out = new Uint8Array(screen.width * screen.height * 4); // transparent where not covered
  const colours = palette?.length ?? 0;
  // Interlaced rows arrive in four passes: every 8th from 0, every 8th from 4, every 4th from 2, odd.
  const rows: number[] = [];
  if (f.interlaced) {
    for (const [start, step] of [
      [0, 8],
      [4, 8],
      [2, 4],
      [1, 2],
    ])
      for (let r = start; r < f.h; r += step) rows.push(r);
  }
  for (let i = 0; i < f.h; i++) {
    const y = f.y + (f.interlaced ? rows[i] : i);
    if (y >= screen.height) continue;
    for (let j = 0; j < f.w && f.x + j < screen.width; j++) {
      const index = indices[i * f.w + j];
      if (index === transparent) continue;
      const o = (y * screen.width + f.x + j) * 4;
      if (index * 3 + 2 < colours && palette) {
        out[o] = palette[index * 3];
        out[o + 1] = palette[index * 3 + 1];
        out[o + 2] = palette[index * 3 + 2];
      }
      out[o + 3] = 255; // an index past the palette is opaque black
    }
  }
  return { width: screen.width, height: screen.height, data: out };
}

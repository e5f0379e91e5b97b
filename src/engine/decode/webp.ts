/**
 * WebP: libwebp in WebAssembly (jSquash), the library Chromium uses; its pixels equal Chromium's
 * on the lossy and lossless fixtures. EXIF orientation is ignored, as Chromium ignores it for WebP.
 * An animated WebP shows its first frame, composited onto a transparent canvas as Chromium does.
 */
import { FormatError } from './common.js';
import { wasmDecode } from './wasm.js';

export interface WebpHeader {
  width: number;
  height: number;
  animated: boolean;
}

interface Chunk {
  name: string;
  start: number;
  end: number;
}

const fourcc = (b: Uint8Array, at: number) => String.fromCharCode(...b.subarray(at, at + 4));
const u24 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);

/** The RIFF chunks between `from` and `to`; stops at a chunk that runs past the data. */
function chunks(b: Uint8Array, from: number, to: number): Chunk[] {
  const out: Chunk[] = [];
  for (let i = from; i + 8 <= to; ) {
    const size = u24(b, i + 4) + b[i + 7] * 2 ** 24;
    const start = i + 8;
    if (start + size > to) break;
    out.push({ name: fourcc(b, i), start, end: start + size });
    i = start + size + (size & 1);
  }
  return out;
}

export function webpHeader(b: Uint8Array): WebpHeader | null {
  if (b.length < 30) return null;
  const name = fourcc(b, 12);
  if (name === 'VP8 ')
    return { width: (b[26] | (b[27] << 8)) & 0x3fff, height: (b[28] | (b[29] << 8)) & 0x3fff, animated: false };
  if (name === 'VP8L') {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, animated: false };
  }
  if (name === 'VP8X') return { width: u24(b, 24) + 1, height: u24(b, 27) + 1, animated: (b[20] & 0x02) !== 0 };
  return null;
}

function riff(parts: Uint8Array[]): Uint8Array {
  const size = 4 + parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(8 + size);
  out.set([0x52, 0x49, 0x46, 0x46, size & 0xff, (size >> 8) & 0xff, (size >> 16) & 0xff, size >>> 24]);
  out.set([0x57, 0x45, 0x42, 0x50], 8);
  let at = 12;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The first ANMF frame as a standalone WebP, with its offset on the canvas. */
function firstFrame(b: Uint8Array) {
  const top = chunks(b, 12, Math.min(b.length, 8 + u24(b, 4) + b[7] * 2 ** 24));
  const anmf = top.find((c) => c.name === 'ANMF');
  if (!anmf || anmf.end - anmf.start < 16) throw new FormatError('cannot decode WebP data: no animation frame');
  const x = u24(b, anmf.start) * 2;
  const y = u24(b, anmf.start + 3) * 2;
  const width = u24(b, anmf.start + 6) + 1;
  const height = u24(b, anmf.start + 9) + 1;
  const inner = chunks(b, anmf.start + 16, anmf.end);
  const image = inner.find((c) => c.name === 'VP8 ' || c.name === 'VP8L');
  if (!image) throw new FormatError('cannot decode WebP data: the first frame has no image');
  const whole = (c: Chunk) => b.subarray(c.start - 8, c.end + ((c.end - c.start) % 2));
  const alpha = inner.find((c) => c.name === 'ALPH');
  const parts = [whole(image)];
  if (alpha && image.name === 'VP8 ') {
    const vp8x = new Uint8Array(18);
    vp8x.set([0x56, 0x50, 0x38, 0x58, 10, 0, 0, 0, 0x10]);
    vp8x.set([(width - 1) & 0xff, ((width - 1) >> 8) & 0xff, (width - 1) >> 16], 12);
    vp8x.set([(height - 1) & 0xff, ((height - 1) >> 8) & 0xff, (height - 1) >> 16], 15);
    parts.unshift(vp8x, whole(alpha));
  }
  return { file: riff(parts), x, y };
}

function decodeStill(bytes: Uint8Array) {
  const { image } = wasmDecode('webp', bytes);
  if (!image) throw new FormatError('cannot decode WebP data (damaged or truncated)');
  return image;
}

export function decodeWebp(bytes: Uint8Array, header: WebpHeader) {
  if (!header.animated) return decodeStill(bytes);
  const frame = firstFrame(bytes);
  const pixels = decodeStill(frame.file);
  const out = new Uint8Array(header.width * header.height * 4); // transparent canvas
  const w = Math.min(pixels.width, header.width - frame.x);
  for (let row = 0; row < pixels.height && frame.y + row < header.height && w > 0; row++) {
    const from = row * pixels.width * 4;
    out.set(pixels.data.subarray(from, from + w * 4), ((frame.y + row) * header.width + frame.x) * 4);
  }
  return { width: header.width, height: header.height, data: out };
}

/**
 * A small PNG encoder that runs unchanged in Node (≥ 18), pages and the extension's service worker:
 * no Node-only module ends up in the extension bundle.
 *
 * 8-bit RGBA (colour type 6) or RGB (colour type 2), not interlaced. Each row gets the PNG filter
 * (None, Sub, Up, Average, Paeth) with the smallest sum of absolute filtered bytes (the usual
 * heuristic, libpng's default). The zlib stream comes from the platform's
 * `CompressionStream('deflate')` (the Compression Streams "deflate" format is zlib, RFC 1950, which
 * is what IDAT holds); where that is missing, or with `compression: 'none'`, it is written as
 * stored (uncompressed) deflate blocks with an Adler-32 trailer. CRC-32 over each chunk's type and
 * data, table-driven.
 */

export interface PngImage {
  width: number;
  height: number;
  /** interleaved 8-bit RGBA (width·height·4) or RGB (width·height·3); floats are rounded and clamped */
  data: ArrayLike<number>;
}

export interface PngOptions {
  /** 'deflate' (default where CompressionStream exists) or 'none' (stored blocks) */
  compression?: 'deflate' | 'none';
  /** tEXt chunks (keyword → Latin-1 text), e.g. { Software: 'SqueezeLens', Description: '…' } */
  text?: Readonly<Record<string, string>>;
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

let crcTable: Uint32Array | undefined;

function table(): Uint32Array {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  return crcTable;
}

/** CRC-32 (ISO-HDLC, as PNG and zip use); pass a previous result to continue a running CRC. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const t = table();
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  const MOD = 65521;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(i + 5552, bytes.length); // zlib's NMAX: sums stay exact between reductions
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

function channelsOf(image: PngImage): 3 | 4 {
  const { width, height, data } = image;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > 0x7fffffff ||
    height > 0x7fffffff
  ) {
    throw new RangeError(`invalid PNG size ${width}×${height}`);
  }
  if (data.length === width * height * 4) return 4;
  if (data.length === width * height * 3) return 3;
  throw new RangeError(`PNG data has ${data.length} values: expected ${width}×${height}×4 (RGBA) or ×3 (RGB)`);
}

function toBytes(data: ArrayLike<number>): Uint8Array {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray)
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8ClampedArray(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round(data[i]);
  return new Uint8Array(out.buffer);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Filtered scanlines: each row is its filter type byte followed by the filtered bytes. */
export function filterScanlines(
  pixels: Uint8Array,
  width: number,
  height: number,
  bpp: number,
  adaptive = true,
): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  const candidates = adaptive ? [0, 1, 2, 3, 4].map(() => new Uint8Array(stride)) : [];
  const zero = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : zero;
    const o = y * (stride + 1);
    if (!adaptive) {
      out[o] = 0;
      out.set(row, o + 1);
      continue;
    }
    let best = 0;
    let bestCost = Infinity;
    for (let f = 0; f < 5; f++) {
      const dst = candidates[f];
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = up[i];
        const c = i >= bpp ? up[i - bpp] : 0;
        const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (row[i] - pred) & 0xff;
        dst[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = f;
      }
    }
    out[o] = best;
    out.set(candidates[best], o + 1);
  }
  return out;
}

/** zlib stream of stored (uncompressed) deflate blocks. */
export function zlibStored(data: Uint8Array): Uint8Array {
  const MAX = 65535;
  const blocks = Math.max(1, Math.ceil(data.length / MAX));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // deflate, 32K window
  out[1] = 0x01; // fastest; (0x78·256 + 0x01) % 31 === 0
  let o = 2;
  for (let k = 0; k < blocks; k++) {
    const start = k * MAX;
    const len = Math.min(MAX, data.length - start);
    out[o++] = k === blocks - 1 ? 1 : 0; // BFINAL, BTYPE = 00
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), o);
    o += len;
  }
  const adler = adler32(data);
  out[o++] = adler >>> 24;
  out[o++] = (adler >>> 16) & 0xff;
  out[o++] = (adler >>> 8) & 0xff;
  out[o++] = adler & 0xff;
  return out;
}

export function hasCompressionStream(): boolean {
  return typeof (globalThis as { CompressionStream?: unknown }).CompressionStream === 'function';
}

/** zlib (RFC 1950) stream through the platform's CompressionStream('deflate'). */
export async function zlibDeflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream('deflate');
  const writer = stream.writable.getWriter();
  // Write and read concurrently: awaiting the write first could stall on back-pressure.
  const written = writer.write(data as Uint8Array<ArrayBuffer>).then(() => writer.close());
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  await written;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function latin1(text: string, what: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new RangeError(`${what} must be Latin-1 text (character ${JSON.stringify(text[i])})`);
    out[i] = c;
  }
  return out;
}

function assemble(
  width: number,
  height: number,
  channels: 3 | 4,
  idat: Uint8Array,
  text: PngOptions['text'],
): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 4 ? 6 : 2; // colour type: RGBA / RGB
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  for (const [key, value] of Object.entries(text ?? {})) {
    if (!/^[\x20-\x7e]{1,79}$/.test(key) || key.startsWith(' ') || key.endsWith(' '))
      throw new RangeError(`invalid PNG text keyword ${JSON.stringify(key)}`);
    const k = latin1(key, 'keyword');
    const v = latin1(value, `text for ${key}`);
    const body = new Uint8Array(k.length + 1 + v.length);
    body.set(k, 0);
    body.set(v, k.length + 1);
    parts.push(chunk('tEXt', body));
  }
  parts.push(chunk('IDAT', idat), chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Encode as PNG (deflate-compressed where the platform can; see the module comment). */
export async function encodePng(image: PngImage, options: PngOptions = {}): Promise<Uint8Array> {
  const channels = channelsOf(image);
  const compress = (options.compression ?? 'deflate') === 'deflate' && hasCompressionStream();
  const raw = filterScanlines(toBytes(image.data), image.width, image.height, channels, compress);
  const idat = compress ? await zlibDeflate(raw) : zlibStored(raw);
  return assemble(image.width, image.height, channels, idat, options.text);
}

/** Synchronous, uncompressed PNG (stored deflate blocks): larger files, no platform dependency. */
export function encodePngStored(image: PngImage, options: Omit<PngOptions, 'compression'> = {}): Uint8Array {
  const channels = channelsOf(image);
  const raw = filterScanlines(toBytes(image.data), image.width, image.height, channels, false);
  return assemble(image.width, image.height, channels, zlibStored(raw), options.text);
}

/**
 * PNG: the header and chunk list are read first (size, eXIf orientation, how much compressed image
 * data there is), then pngjs decodes. 16-bit samples keep their high byte, as Chromium does
 * (measured: max difference 0; pngjs's own rescaling rounds, and differed by 1 on 27 % of the
 * samples of a 16-bit fixture).
 */
import { PNG } from 'pngjs';
import { FormatError } from './common.js';
import { type Orientation, tiffOrientation } from './orient.js';

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
  orientation: Orientation;
  /** compressed image data (IDAT) in bytes; null when the chunk list is cut short */
  idatBytes: number | null;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const type = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

export function pngHeader(bytes: Uint8Array): PngHeader | null {
  if (bytes.length < 33 || type(bytes, 12) !== 'IHDR') return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: PngHeader = {
    width: dv.getUint32(16),
    height: dv.getUint32(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
    interlaced: bytes[28] === 1,
    orientation: 1,
    idatBytes: null,
  };
  let idat = 0;
  let seenIdat = false;
  for (let i = 8; i + 12 <= bytes.length; ) {
    const length = dv.getUint32(i);
    const name = type(bytes, i + 4);
    if (i + 12 + length > bytes.length) return header;
    if (name === 'IDAT') {
      seenIdat = true;
      idat += length;
    } else if (name === 'eXIf' && !seenIdat) {
      // Chromium honours eXIf only before the image data, and only without an "Exif\0\0" prefix.
      header.orientation = tiffOrientation(bytes, i + 8, i + 8 + length);
    } else if (name === 'IEND') {
      break;
    }
    i += 12 + length;
  }
  header.idatBytes = idat;
  return header;
}

/** Bytes of filtered scanlines the IDAT data must inflate to. */
function rawBytes(h: PngHeader): number {
  const bitsPerPixel = (CHANNELS[h.colorType] ?? 4) * h.bitDepth;
  const row = (w: number) => (w > 0 ? 1 + Math.ceil((w * bitsPerPixel) / 8) : 0);
  if (!h.interlaced) return h.height * row(h.width);
  let total = 0;
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((h.width - x0) / dx);
    const rows = Math.ceil((h.height - y0) / dy);
    if (w > 0 && rows > 0) total += rows * row(w);
  }
  return total;
}

/**
 * Deflate cannot compress by more than 1032:1 (a 258-byte match in 2 bits): image data smaller
 * than that share of the scanlines cannot be a whole image. Refused here, before pngjs allocates
 * the full-size bitmap (measured: a 9000×9000 header over 1 KB of data took pngjs 3.6 s and 853 MB,
 * and it returned a black image rather than an error).
 */
const MAX_DEFLATE_RATIO = 1032;

export function decodePng(bytes: Uint8Array, header: PngHeader) {
  if (
    header.idatBytes === null ||
    header.idatBytes === 0 ||
    header.idatBytes * MAX_DEFLATE_RATIO + 1024 < rawBytes(header)
  ) {
    throw new FormatError('cannot decode PNG data: the file is truncated (not enough image data for its size)');
  }
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (error) {
    throw new FormatError(`cannot decode PNG data: ${(error as Error).message}`);
  }
  const { width, height } = png;
  const data = png.data as unknown as Uint8Array | Uint16Array;
  if (data instanceof Uint16Array) {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] >> 8;
    return { width, height, data: out };
  }
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * JPEG: the header is read in JavaScript (size, components, EXIF orientation, whether the data is
 * complete) before anything is allocated; the pixels come from MozJPEG in WebAssembly, which is
 * libjpeg-turbo's decoder (islow IDCT, fancy upsampling), as Chromium's and Pillow's are: on the 12
 * test photos and every fixture its pixels equal Chromium's byte for byte (jpeg-js, used before,
 * differed by up to 54 levels, 0.5–1.7 on average, and flipped the golden-retriever photo).
 */
import { FormatError } from './common.js';
import { type Orientation, tiffOrientation } from './orient.js';
import { wasmDecode } from './wasm.js';

export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  /** 8×8 blocks over all components, unpadded: a lower bound on what the scans must code */
  blocks: number;
  /** arithmetic coding (SOF9–SOF15), which can spend less than a bit on a block */
  arithmetic: boolean;
  orientation: Orientation;
  /** offset of the first SOS marker */
  scan: number;
}

const ascii = (bytes: Uint8Array, at: number, text: string) =>
  at + text.length <= bytes.length && [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

/** Markers without a length field: TEM, RSTn, SOI, EOI. */
const standalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd9);
/** SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** Reads the marker segments up to the first scan. Null when the data ends before that. */
export function jpegHeader(bytes: Uint8Array): JpegHeader | null {
  let frame: Omit<JpegHeader, 'orientation' | 'scan'> | null = null;
  let orientation: Orientation | null = null;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) throw new FormatError(`cannot decode JPEG data: damaged structure (no marker at byte ${i})`);
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (standalone(marker)) {
      if (marker === 0xd9) throw new FormatError('cannot decode JPEG data: it ends before any image data');
      i += 2;
      continue;
    }
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    const end = i + 2 + length;
    if (length < 2 || end > bytes.length) return null;
    if (marker === 0xda) {
      if (!frame)
        throw new FormatError('cannot decode JPEG data: damaged structure (image data before the frame header)');
      return { ...frame, orientation: orientation ?? 1, scan: i };
    }
    if (isSof(marker) && !frame) {
      if (length < 8) throw new FormatError('cannot decode JPEG data: damaged frame header');
      const height = (bytes[i + 5] << 8) | bytes[i + 6];
      const width = (bytes[i + 7] << 8) | bytes[i + 8];
      const components = bytes[i + 9];
      if (length < 8 + 3 * components) throw new FormatError('cannot decode JPEG data: damaged frame header');
      const sampling = Array.from({ length: components }, (_, c) => bytes[i + 11 + 3 * c]);
      const hMax = Math.max(...sampling.map((f) => f >> 4));
      const vMax = Math.max(...sampling.map((f) => f & 15));
      let blocks = 0;
      for (const f of sampling) {
        if (!(f >> 4) || !(f & 15)) throw new FormatError('cannot decode JPEG data: damaged frame header');
        blocks +=
          Math.ceil(Math.ceil((width * (f >> 4)) / hMax) / 8) * Math.ceil(Math.ceil((height * (f & 15)) / vMax) / 8);
      }
      frame = { width, height, components, blocks, arithmetic: marker >= 0xc9 };
    } else if (marker === 0xe1 && orientation === null && ascii(bytes, i + 4, 'Exif\0\0')) {
      // Chromium reads the first Exif APP1 only.
      orientation = tiffOrientation(bytes, i + 10, end);
    }
    i = end;
  }
  return null;
}

/**
 * Follows the scans to the EOI marker: through the entropy-coded data (where 0xFF is followed by
 * a stuffed 0x00, a restart marker or fill bytes) and the segments between the scans of a
 * progressive file. Returns whether EOI was reached and how many entropy-coded bytes there are.
 */
export function jpegScans(bytes: Uint8Array, scan: number): { complete: boolean; entropyBytes: number } {
  let i = scan;
  let entropyBytes = 0;
  const n = bytes.length;
  for (;;) {
    // i is at a marker that has a length (SOS, DHT, DQT, DRI, APPn, COM…): skip the segment.
    if (i + 4 > n) return { complete: false, entropyBytes };
    const isScan = bytes[i + 1] === 0xda;
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
    const dataStart = i;
    // Then entropy-coded data (after SOS) or the next marker: find the next real marker.
    for (;;) {
      i = bytes.indexOf(0xff, i);
      if (i < 0 || i + 1 >= n) return { complete: false, entropyBytes: entropyBytes + n - dataStart };
      const next = bytes[i + 1];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
        i += next === 0xff ? 1 : 2;
        continue;
      }
      if (isScan) entropyBytes += i - dataStart;
      if (next === 0xd9) return { complete: true, entropyBytes };
      break;
    }
  }
}

export function decodeJpeg(bytes: Uint8Array, header: JpegHeader) {
  if (header.components === 4) {
    // libjpeg-turbo converts only YCbCr, RGB and greyscale to RGB; Chromium applies its own
    // CMYK formula after decoding, which MozJPEG's WebAssembly build does not expose.
    throw new FormatError('CMYK JPEG is not supported on the command line (convert it to RGB first)');
  }
  // Chromium refuses a JPEG cut anywhere before its EOI (measured: even with only the last 2 bytes
  // missing), while libjpeg pads a cut file with grey and only warns. Every Huffman-coded block
  // costs at least one bit (its DC difference), so a header that declares more blocks than the
  // data has bits is refused too, before MozJPEG allocates the full-size image (measured: a
  // 9000×9000 header over 0.8 KB of data took 2.4 s and 702 MB, and came back grey with a warning).
  const { complete, entropyBytes } = jpegScans(bytes, header.scan);
  if (!complete)
    throw new FormatError('cannot decode JPEG data: the file is truncated (it ends before the end-of-image marker)');
  if (!header.arithmetic && entropyBytes * 8 < header.blocks) {
    const kb = (entropyBytes / 1024).toFixed(1);
    throw new FormatError(
      `cannot decode JPEG data: the file is truncated or damaged (${kb} KB of image data cannot fill it)`,
    );
  }
  const { image, messages } = wasmDecode('jpeg', bytes, false);
  if (messages.some((m) => m.includes('Premature end of JPEG file'))) {
    throw new FormatError('cannot decode JPEG data: the file is truncated (Premature end of JPEG file)');
  }
  const detail = messages.length ? messages.join('; ') : 'damaged or unsupported';
  if (!image) throw new FormatError(`cannot decode JPEG data (${detail})`);
  return image;
}

/**
 * Decoding image files in Node (CLI, tests, benchmarks) to the pixels Chromium gives the extension
 * (src/background/decode-sw.ts: createImageBitmap with colorSpaceConversion 'none'): JPEG, PNG,
 * WebP, GIF (first frame), AVIF and BMP, with EXIF / HEIF orientation applied as browsers do.
 * Every format's header is read first and an image over MAX_MEGAPIXELS is refused before anything
 * is allocated (a 30000×30000 PNG header used to cost 8.7 GB and 85 s; now 0.03–1.3 ms). Every failure
 * is a DecodeError naming the file and the problem. Details per format in ./decode/.
 */

import { avifHeader, decodeAvif, isAvif } from './decode/avif.js';
import { bmpHeader, decodeBmp } from './decode/bmp.js';
import { DecodeError, FormatError, MAX_MEGAPIXELS, MAX_PIXELS } from './decode/common.js';
import { decodeGif, gifHeader } from './decode/gif.js';
import { decodeJpeg, jpegHeader } from './decode/jpeg.js';
import { applyOrientation, type Orientation, swapsAxes } from './decode/orient.js';
import { decodePng, pngHeader } from './decode/png.js';
import { decodeWebp, webpHeader } from './decode/webp.js';
import type { RgbaImage } from './preprocess.js';

export { DecodeError, MAX_MEGAPIXELS };

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'bmp';

const SUPPORTED = 'JPEG, PNG, WebP, GIF, AVIF and BMP are';

type Kind = ImageFormat | 'tiff' | 'heic' | 'jxl' | 'svg' | 'html' | 'unknown';

function sniff(b: Uint8Array): Kind {
  const head = new TextDecoder('latin1').decode(b.subarray(0, 64));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (head.startsWith('\x89PNG\r\n\x1a\n')) return 'png';
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'gif';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'webp';
  if (head.startsWith('BM')) return 'bmp';
  if (isAvif(b)) return 'avif';
  if (head.slice(4, 8) === 'ftyp' && /heic|heix|hevc|mif1/.test(head.slice(8, 32))) return 'heic';
  if (head.startsWith('II*\0') || head.startsWith('MM\0*')) return 'tiff';
  if (head.startsWith('\xff\x0a') || head.startsWith('\0\0\0\x0cJXL ')) return 'jxl';
  if (/^\s*(<\?xml[^>]*>\s*)?<svg/i.test(head)) return 'svg';
  if (/^\s*</.test(head)) return 'html';
  return 'unknown';
}

/** What a file's header says, read without decoding. */
export interface ImageHeaderInfo {
  format: ImageFormat;
  /** as displayed (after orientation) */
  width: number;
  height: number;
  orientation: Orientation;
  /** the format's own header, passed on to its decoder */
  detail: unknown;
}

/** Reads the header; null when the format is not one we decode or the header is cut short. */
export function readImageHeader(bytes: Uint8Array): ImageHeaderInfo | null {
  const format = sniff(bytes);
  const info = (width: number, height: number, orientation: Orientation, detail: unknown) => ({
    format: format as ImageFormat,
    width: swapsAxes(orientation) ? height : width,
    height: swapsAxes(orientation) ? width : height,
    orientation,
    detail,
  });
  if (format === 'jpeg') {
    const h = jpegHeader(bytes);
    return h && info(h.width, h.height, h.orientation, h);
  }
  if (format === 'png') {
    const h = pngHeader(bytes);
    return h && info(h.width, h.height, h.orientation, h);
  }
  if (format === 'avif') {
    const h = avifHeader(bytes);
    if (!h) return null;
    const swaps = h.transforms.filter(swapsAxes).length % 2 === 1;
    return { format, width: swaps ? h.height : h.width, height: swaps ? h.width : h.height, orientation: 1, detail: h };
  }
  const h =
    format === 'webp'
      ? webpHeader(bytes)
      : format === 'gif'
        ? gifHeader(bytes)
        : format === 'bmp'
          ? bmpHeader(bytes)
          : null;
  return h && info(h.width, h.height, 1, h);
}

function decodeFormat(bytes: Uint8Array, header: ImageHeaderInfo): RgbaImage {
  const detail = header.detail as never;
  switch (header.format) {
    case 'jpeg': {
      const image = decodeJpeg(bytes, detail);
      return applyOrientation(image.width, image.height, image.data as unknown as Uint8Array, header.orientation);
    }
    case 'png': {
      const image = decodePng(bytes, detail);
      return applyOrientation(image.width, image.height, image.data, header.orientation);
    }
    case 'webp':
      return decodeWebp(bytes, detail);
    case 'gif':
      return decodeGif(bytes, detail);
    case 'avif':
      return decodeAvif(bytes, detail);
    case 'bmp':
      return decodeBmp(bytes, detail);
  }
}

export function decodeImage(bytes: Uint8Array, name: string): RgbaImage {
  if (bytes.length === 0) throw new DecodeError(`${name}: empty file`);
  const kind = sniff(bytes);
  if (kind === 'html') throw new DecodeError(`${name}: not an image (looks like HTML/XML text)`);
  if (kind === 'unknown') throw new DecodeError(`${name}: not an image (unrecognised format; ${SUPPORTED} supported)`);
  const label = kind === 'jpeg' ? 'JPEG' : kind === 'webp' ? 'WebP' : kind.toUpperCase();
  if (kind === 'svg')
    throw new DecodeError(`${name}: SVG is not supported on the command line (rasterize it to PNG first)`);
  if (kind === 'tiff' || kind === 'heic' || kind === 'jxl') {
    // Chromium does not decode these either, so the extension refuses them too.
    throw new DecodeError(`${name}: ${label} is not supported (browsers do not decode it either; ${SUPPORTED})`);
  }
  try {
    const header = readImageHeader(bytes);
    if (!header) throw new FormatError(`cannot decode ${label} data: the file is truncated or its header is damaged`);
    if (header.width < 1 || header.height < 1)
      throw new FormatError(`${label} header declares a ${header.width}×${header.height} image`);
    if (header.width * header.height > MAX_PIXELS) {
      throw new FormatError(`${header.width}×${header.height} is larger than ${MAX_MEGAPIXELS} megapixels`);
    }
    const image = decodeFormat(bytes, header);
    if (image.width !== header.width || image.height !== header.height) {
      const decoded = `${image.width}×${image.height}`;
      throw new FormatError(
        `cannot decode ${label} data: decoded ${decoded}, header says ${header.width}×${header.height}`,
      );
    }
    return image;
  } catch (error) {
    if (error instanceof FormatError) throw new DecodeError(`${name}: ${error.message}`);
    throw new DecodeError(`${name}: cannot decode ${label} data: ${(error as Error).message}`);
  }
}

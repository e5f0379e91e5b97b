/**
 * Turning an image the service worker fetched into RGBA pixels, with bounded memory: the download
 * is read as a stream and stopped at MAX_IMAGE_BYTES whatever the server declared; the size is
 * read from the file's header first, so an image over MAX_SOURCE_PIXELS is refused before any
 * decoding and a large one is decoded straight to a bounded size (createImageBitmap's resize).
 * Every failure is an ImageFetchError with a code and a sentence that says what went wrong (HTTP
 * status, not an image, undecodable, too large, timed out).
 */

import { MAX_PIXELS } from '../engine/decode/common.js';
import type { RgbaImage } from '../engine/preprocess.js';
import { formatNumber, t } from '../shared/i18n.js';
import type { ErrorCode } from '../shared/jobs.js';
import { imageSize } from './image-size.js';

export class ImageFetchError extends Error {
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode = 'undecodable') {
    super(message);
    this.code = code;
  }
}

/** Decoded images larger than this (in pixels) are downscaled while decoding. */
export const MAX_DECODE_PIXELS = 4096 * 4096;
/**
 * Images whose header declares more pixels than this are refused, before decoding: the CLI's
 * limit (100 MP), so both refuse the same files. Chromium decodes the whole image even when
 * createImageBitmap is asked for a smaller one (no JPEG DCT scaling either), so the worker's peak
 * grows with the pixel count: measured on flat PNGs and JPEGs (`npm run bench`, browser.memory),
 * the extension's process grew by 1785 MB for 225 MP with the old 250 MP limit, and by ~570 MB at
 * 100 MP with the options below (docs/platform.md, "Decoding images").
 */
export const MAX_SOURCE_PIXELS = MAX_PIXELS;
/** Refuse to download more than this many bytes for one image. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export interface FetchOptions {
  signal?: AbortSignal;
  /** give up when no answer (headers and the whole body) arrives within this time */
  timeoutMs?: number;
  /** called as bytes arrive: received, and the declared total when known */
  onBytes?: (received: number, total: number | null) => void;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 10e6 ? 1 : 0)} MB`;

export type DecodedImage = RgbaImage & { originalWidth: number; originalHeight: number };

/** The decoded size and the file's own, as results report them. */
export const sizesOf = ({ width, height, originalWidth, originalHeight }: DecodedImage) => ({
  width,
  height,
  originalWidth,
  originalHeight,
});

/**
 * Whether an address answers with a redirect. Asked only after a download failed: fetch says just
 * "Failed to fetch" for a redirect loop, and a worker cannot follow redirects itself (a manual
 * redirect is opaque), but it can tell that one happened.
 */
async function redirects(url: string, signal: AbortSignal): Promise<boolean> {
  if (!/^https?:/i.test(url)) return false;
  try {
    return (await fetch(url, { credentials: 'omit', redirect: 'manual', signal })).type === 'opaqueredirect';
  } catch {
    return false;
  }
}

/** Downloads an image the user chose (http, https or data:), enforcing the limits. */
export async function fetchImageBlob(url: string, options: FetchOptions | AbortSignal = {}): Promise<Blob> {
  const opts: FetchOptions = options instanceof AbortSignal ? { signal: options } : options;
  const timeout = new AbortController();
  const timer = opts.timeoutMs ? setTimeout(() => timeout.abort(), opts.timeoutMs) : undefined;
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
  const fail = (error: unknown): never => {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new DOMException('cancelled', 'AbortError');
    if (timeout.signal.aborted)
      throw new ImageFetchError(t('errTimeout', ((opts.timeoutMs ?? 0) / 1000).toFixed(0)), 'timeout');
    if (error instanceof ImageFetchError) throw error;
    throw new ImageFetchError(t('errNetwork', (error as Error).message), 'network');
  };
  try {
    let response: Response;
    try {
      // No cookies: the image is fetched as an anonymous visitor would see it.
      response = await fetch(url, { credentials: 'omit', signal });
    } catch (error) {
      if (!signal.aborted && (await redirects(url, signal))) {
        throw new ImageFetchError(t('errRedirects'), 'network');
      }
      return fail(error);
    }
    if (!response.ok) {
      const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      throw new ImageFetchError(t('errHttp', status), 'http');
    }
    const type = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type && !type.startsWith('image/') && type !== 'application/octet-stream' && type !== 'binary/octet-stream') {
      await response.body?.cancel().catch(() => {});
      throw new ImageFetchError(t('errNotImage', type), 'not-image');
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(declared) && declared > 0 ? declared : null;
    if (total !== null && total > MAX_IMAGE_BYTES) {
      await response.body?.cancel().catch(() => {});
      throw new ImageFetchError(t('errTooLargeBytes', [mb(total), mb(MAX_IMAGE_BYTES)]), 'too-large');
    }
    // Read as a stream: the limit holds even when the server declares nothing or lies.
    const chunks: Uint8Array[] = [];
    let received = 0;
    if (response.body) {
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += value.byteLength;
          if (received > MAX_IMAGE_BYTES) {
            await reader.cancel().catch(() => {});
            throw new ImageFetchError(t('errTooLargeStream', mb(MAX_IMAGE_BYTES)), 'too-large');
          }
          chunks.push(value);
          opts.onBytes?.(received, total);
        }
      } catch (error) {
        fail(error);
      }
    }
    return new Blob(chunks as BlobPart[], { type });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Pixels as stored in the file, as the reference pipeline (PIL) reads them: no ICC colour
 * management, no premultiplied alpha. (Measured on the test photos: Chromium's decode differs
 * from jpeg-js by ~0.5 levels on average; that alone moves the borderline golden-retriever photo,
 * 21.5 % vs 21.8 %, to "muzzle" in the browser.)
 */
const DECODE_OPTIONS: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

/**
 * Options for the decode of a large image to a bounded size. premultiplyAlpha 'default': with
 * 'none', Chromium keeps a second, unpremultiplied full-size copy (a 100 MP image: +828 MB with
 * 'none', +574 MB with 'default', measured in one run). The pixels do not change for opaque images
 * (alpha 255), and for others the bitmap is premultiplied anyway when drawn into the canvas that
 * reads it back (bitmapToRgba). Exactness with the reference is already gone here: the image is
 * resampled by Chromium before the network's own resize.
 */
const RESIZE_OPTIONS: ImageBitmapOptions = { colorSpaceConversion: 'none', resizeQuality: 'high' };

/** True when the bytes look like SVG (which createImageBitmap cannot decode in a worker). */
export async function isSvg(blob: Blob): Promise<boolean> {
  if (blob.type === 'image/svg+xml') return true;
  const head = new TextDecoder()
    .decode(await blob.slice(0, 1024).arrayBuffer())
    .trimStart()
    .toLowerCase();
  return head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'));
}

function boundedSize(width: number, height: number): { width: number; height: number } | null {
  if (width * height <= MAX_DECODE_PIXELS) return null;
  const scale = Math.sqrt(MAX_DECODE_PIXELS / (width * height));
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

const tooLarge = (width: number, height: number) =>
  new ImageFetchError(t('errTooLargePixels', [width, height, formatNumber(MAX_SOURCE_PIXELS / 1e6)]), 'too-large');

export async function decodeImageBlob(blob: Blob): Promise<DecodedImage> {
  const header = imageSize(new Uint8Array(await blob.slice(0, 64 * 1024).arrayBuffer()));
  if (header && header.width * header.height > MAX_SOURCE_PIXELS) throw tooLarge(header.width, header.height);
  const undecodable = () =>
    new ImageFetchError(
      t('errUndecodable', [blob.type || t('errUnknownType'), formatNumber(blob.size)]),
      'undecodable',
    );
  let bitmap: ImageBitmap;
  let originalWidth: number;
  let originalHeight: number;
  const target = header && boundedSize(header.width, header.height);
  try {
    if (header && target) {
      // Huge: decode straight to the bounded size.
      bitmap = await createImageBitmap(blob, {
        resizeWidth: target.width,
        resizeHeight: target.height,
        ...RESIZE_OPTIONS,
      });
      originalWidth = header.width;
      originalHeight = header.height;
    } else {
      bitmap = await createImageBitmap(blob, DECODE_OPTIONS);
      originalWidth = bitmap.width;
      originalHeight = bitmap.height;
      // A format whose header is not read here (AVIF…): the size is known only now.
      if (originalWidth * originalHeight > MAX_SOURCE_PIXELS) {
        bitmap.close();
        throw tooLarge(originalWidth, originalHeight);
      }
      const late = boundedSize(originalWidth, originalHeight);
      if (late) {
        // Decode again at a bounded size.
        bitmap.close();
        bitmap = await createImageBitmap(blob, {
          resizeWidth: late.width,
          resizeHeight: late.height,
          ...RESIZE_OPTIONS,
        });
      }
    }
  } catch (error) {
    if (error instanceof ImageFetchError) throw error;
    throw undecodable();
  }
  return bitmapToRgba(bitmap, originalWidth, originalHeight);
}

export function bitmapToRgba(
  bitmap: ImageBitmap,
  originalWidth = bitmap.width,
  originalHeight = bitmap.height,
): DecodedImage {
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageFetchError(t('errNoCanvas'), 'internal');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, width, height).data;
  return { width, height, data, originalWidth, originalHeight };
}

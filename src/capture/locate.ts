/**
 * Finding and reading the element the user right-clicked, in the page (content script).
 *
 * The browser's context-menu event says only "an image at srcUrl" (and nothing at all for CSS
 * backgrounds, canvases, inline SVG); so the content script remembers where the last
 * `contextmenu` event happened and, when the worker asks, looks at what is painted under that
 * point: `document.elementsFromPoint` lists it top-most first (an image under a transparent overlay
 * is still found), with the event's own target first when there is no point.
 *
 * What it answers is either an address for the worker to fetch (img currentSrc — the srcset /
 * <picture> candidate actually displayed —, CSS background-image, SVG <image>, data:) or pixels the
 * page drew itself (canvas, the current frame of a video). blob: addresses belong to the page, so
 * they are read here and sent as data: URLs. Pixels of another site drawn into a canvas or played
 * by a video cannot be read (the canvas is "tainted"): that is reported, not worked around.
 */

import { dataUrl as bytesDataUrl } from '../shared/base64.js';
import { formatNumber, t } from '../shared/i18n.js';
import type { JobError } from '../shared/jobs.js';
import { type CaptureReply, type CaptureRequest, type CaptureSource, MAX_CAPTURE_CHARS } from '../shared/messages.js';

export interface ContextClick {
  target: EventTarget | null;
  /** composed path (first element inside open shadow roots first) */
  path: EventTarget[];
  x: number;
  y: number;
  at: number;
}

/**
 * The right-click to remember, or null for an event the page made (`isTrusted` false): after the
 * user right-clicked one image, a page could dispatch a synthetic `contextmenu` over another and
 * have it analysed instead.
 */
export function recordClick(event: MouseEvent): ContextClick | null {
  if (!event.isTrusted) return null;
  return { target: event.target, path: event.composedPath(), x: event.clientX, y: event.clientY, at: Date.now() };
}

/** Canvas/video frames larger than this are scaled down before being sent. */
const MAX_FRAME_PIXELS = 4096 * 4096;
/** blob: images larger than this are refused (the data: URL is 4/3 of it). */
const MAX_BLOB_BYTES = Math.floor((MAX_CAPTURE_CHARS * 3) / 4) - 1024;

class CaptureError extends Error {
  constructor(
    readonly code: JobError['code'],
    message: string,
  ) {
    super(message);
  }
}

function candidates(click: ContextClick | null): Element[] {
  const list: Element[] = [];
  const add = (e: unknown) => {
    if (e instanceof Element && !list.includes(e)) list.push(e);
  };
  if (click) {
    add(click.path.find((t) => t instanceof Element));
    if (Number.isFinite(click.x) && Number.isFinite(click.y))
      for (const e of document.elementsFromPoint(click.x, click.y)) add(e);
    // Ancestors of the target too (elements with pointer-events: none are not in elementsFromPoint).
    for (const t of click.path) add(t);
  }
  return list;
}

const cssUrl = /url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^)\s]*))\s*\)/;

function backgroundUrl(el: Element): string | null {
  const bg = getComputedStyle(el).backgroundImage;
  if (!bg || bg === 'none') return null;
  const m = cssUrl.exec(bg);
  const raw = m && (m[1] ?? m[2] ?? m[3]);
  return raw ? raw.replace(/\\(.)/g, '$1') : null;
}

function absolute(url: string): string {
  return new URL(url, document.baseURI).href;
}

const looksSvg = (url: string) => /^data:image\/svg\+xml[;,]/i.test(url) || /\.svgz?(?:[?#]|$)/i.test(url);

/** The address an <img> shows: the chosen srcset/<picture> candidate; lazy-loading attributes as a fallback. */
function imageUrl(img: HTMLImageElement): string | null {
  const shown = img.currentSrc || img.src;
  const loaded = img.complete && img.naturalWidth > 0;
  // Lazy-loading libraries keep the real address in data-* until the image scrolls into view.
  const lazy = img.dataset.src || img.dataset.lazySrc || img.dataset.original;
  // A placeholder (tiny or data: image) with a data-src is not what the user means either.
  const placeholder = loaded && ((img.naturalWidth <= 2 && img.naturalHeight <= 2) || shown.startsWith('data:'));
  if (lazy && (!shown || !loaded || placeholder)) return absolute(lazy);
  return shown || null;
}

/**
 * The browser's own word on what was right-clicked (the menu event's srcUrl), for an <img> that
 * shows something else now: a page that swaps `src` right after the right-click must not choose
 * what the worker downloads. Not for a lazy-loading placeholder, where the real image is in data-*.
 */
function browserChoice(img: HTMLImageElement, hint: string | undefined): string | null {
  if (!hint) return null;
  // A lazy-loading placeholder (the browser names it): the real image is the data-* address.
  return imageUrl(img) === (img.currentSrc || img.src) ? hint : null;
}

/** The element under the pointer that carries an image, and how to read it. */
function resolve(
  click: ContextClick | null,
  hint: string | undefined,
): { el: Element | null; make: () => Promise<CaptureSource> } | null {
  for (const el of candidates(click)) {
    if (el instanceof HTMLImageElement) {
      const url = browserChoice(el, hint) ?? imageUrl(el);
      if (url) {
        const element = el.parentElement instanceof HTMLPictureElement ? 'picture' : 'img';
        return { el, make: () => urlSource(url, element, el) };
      }
    } else if (el instanceof HTMLCanvasElement) {
      if (el.width > 0 && el.height > 0)
        return { el, make: async () => frameSource(el, el.width, el.height, 'canvas') };
    } else if (el instanceof HTMLVideoElement) {
      return { el, make: async () => videoFrame(el) };
    } else if (el instanceof SVGImageElement) {
      const href = el.href.baseVal;
      if (href) return { el, make: () => urlSource(absolute(href), 'svg-image', el) };
    } else if (el instanceof SVGElement) {
      // Inline SVG: rasterize the whole outermost <svg>.
      let root: SVGSVGElement | null = el instanceof SVGSVGElement ? el : el.ownerSVGElement;
      while (root?.ownerSVGElement) root = root.ownerSVGElement;
      if (root) {
        const svg = root;
        return { el: svg, make: async () => inlineSvg(svg) };
      }
    }
    const bg = backgroundUrl(el);
    if (bg) return { el, make: () => urlSource(absolute(bg), 'css-background', el) };
  }
  // Nothing found under the pointer, but the browser named an image (e.g. no contextmenu event seen).
  if (hint) return { el: null, make: () => urlSource(hint, 'page-image', null) };
  return null;
}

async function urlSource(url: string, element: string, el: Element | null): Promise<CaptureSource> {
  const rect = el?.getBoundingClientRect();
  const display =
    rect && rect.width >= 1 && rect.height >= 1
      ? { displayWidth: Math.round(rect.width), displayHeight: Math.round(rect.height) }
      : {};
  if (/^blob:/i.test(url)) {
    // The page's own object URL: only this document can read it.
    let blob: Blob;
    try {
      blob = await (await fetch(url)).blob();
    } catch (error) {
      throw new CaptureError('network', t('capBlobGone', (error as Error).message));
    }
    if (blob.size > MAX_BLOB_BYTES)
      throw new CaptureError(
        'too-large',
        t('capBlobTooLarge', [formatNumber(blob.size / 1e6, 0), formatNumber(MAX_BLOB_BYTES / 1e6, 0)]),
      );
    const dataUrl = await blobToDataUrl(blob);
    return { kind: 'url', url: dataUrl, element, svg: blob.type === 'image/svg+xml' || undefined, ...display };
  }
  if (!/^(https?:|data:)/i.test(url)) throw new CaptureError('no-image', t('capScheme', url.split(':')[0]));
  return { kind: 'url', url, element, svg: looksSvg(url) || undefined, ...display };
}

function blobToDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () =>
      reject(new CaptureError('network', t('capBlobUnreadable', reader.error?.message ?? t('errUnknown'))));
    reader.readAsDataURL(blob);
  });
}

function frameSource(
  source: CanvasImageSource,
  width: number,
  height: number,
  element: 'canvas' | 'video',
): CaptureSource {
  let w = width;
  let h = height;
  if (w * h > MAX_FRAME_PIXELS) {
    const s = Math.sqrt(MAX_FRAME_PIXELS / (w * h));
    w = Math.max(1, Math.floor(w * s));
    h = Math.max(1, Math.floor(h * s));
  }
  let dataUrl: string;
  try {
    if (source instanceof HTMLCanvasElement && w === width && h === height) {
      dataUrl = source.toDataURL('image/png');
    } else {
      const c = document.createElement('canvas');
      c.width = w;
      c.height = h;
      c.getContext('2d')!.drawImage(source, 0, 0, w, h);
      dataUrl = c.toDataURL('image/png');
    }
  } catch (error) {
    if ((error as DOMException).name === 'SecurityError') {
      throw new CaptureError('tainted', element === 'video' ? t('capVideoTainted') : t('capCanvasTainted'));
    }
    throw error;
  }
  if (dataUrl.length > MAX_CAPTURE_CHARS)
    throw new CaptureError('too-large', t('capTooLarge', [element, formatNumber(dataUrl.length / 1e6, 0)]));
  return { kind: 'pixels', dataUrl, element, width: w, height: h };
}

function videoFrame(video: HTMLVideoElement): CaptureSource {
  // HAVE_CURRENT_DATA: a frame is available at the current position.
  if (video.readyState < 2 || !video.videoWidth || !video.videoHeight) {
    throw new CaptureError('no-frame', t('capNoFrame'));
  }
  return frameSource(video, video.videoWidth, video.videoHeight, 'video');
}

function inlineSvg(svg: SVGSVGElement): CaptureSource {
  const rect = svg.getBoundingClientRect();
  const clone = svg.cloneNode(true) as SVGSVGElement;
  // Give the rasterizer the size the page shows, when the SVG itself has none.
  if (!clone.getAttribute('width') && rect.width >= 1) clone.setAttribute('width', String(Math.round(rect.width)));
  if (!clone.getAttribute('height') && rect.height >= 1) clone.setAttribute('height', String(Math.round(rect.height)));
  if (!clone.getAttribute('xmlns')) clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const text = new XMLSerializer().serializeToString(clone);
  const url = bytesDataUrl('image/svg+xml', new TextEncoder().encode(text));
  if (url.length > MAX_CAPTURE_CHARS) throw new CaptureError('too-large', t('capSvgTooLarge'));
  return {
    kind: 'url',
    url,
    element: 'svg',
    svg: true,
    displayWidth: Math.max(1, Math.round(rect.width)),
    displayHeight: Math.max(1, Math.round(rect.height)),
  };
}

/** Answers the worker's capture request for the last right-click in this frame. */
export async function capture(
  click: ContextClick | null,
  request: CaptureRequest,
  onElement?: (element: Element) => void,
): Promise<CaptureReply> {
  const pageUrl = location.href;
  try {
    const found = resolve(click, request.srcUrl);
    if (!found) {
      return {
        ok: false,
        error: {
          code: 'no-image',
          message: t('capNothing'),
        },
      };
    }
    const source = await found.make();
    if (found.el) onElement?.(found.el);
    return { ok: true, source, pageUrl };
  } catch (error) {
    if (error instanceof CaptureError) return { ok: false, error: { code: error.code, message: error.message } };
    return {
      ok: false,
      error: { code: 'internal', message: t('capFailed', (error as Error).message) },
    };
  }
}

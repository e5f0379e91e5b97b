/**
 * SVG → PNG where the background has a DOM to draw it in: a service worker cannot decode SVG
 * (createImageBitmap throws InvalidStateError, docs/platform.md, "Offscreen documents and SVG"),
 * an <img> in a document can.
 *
 * - Chrome (a service worker, no DOM): through the offscreen document, which exists only while an
 *   SVG is being rasterized.
 * - Firefox (an event page, with a DOM; no offscreen documents): in the page itself.
 */

import { rasterize } from '../offscreen/rasterize.js';
import { t } from '../shared/i18n.js';
import type { RasterizeReply, RasterizeRequest } from '../shared/messages.js';
import { parseRasterizeReply } from '../shared/parse-messages.js';
import { ImageFetchError } from './decode-sw.js';

/** An event page (Firefox) has a document; a service worker (Chrome) has none. */
export const hasOwnDom = (): boolean => typeof document !== 'undefined' && typeof Image === 'function';

const OFFSCREEN_URL = 'offscreen.html';
let creating: Promise<void> | null = null;
let users = 0;

async function ensureDocument(): Promise<void> {
  const existing = await chrome.runtime.getContexts({ contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT] });
  if (existing.length) return;
  creating ??= chrome.offscreen
    .createDocument({
      url: OFFSCREEN_URL,
      reasons: [chrome.offscreen.Reason.DOM_PARSER],
      justification: 'Rasterize SVG images (service workers cannot decode SVG).',
    })
    .finally(() => {
      creating = null;
    });
  await creating;
}

async function blobOf(reply: RasterizeReply | null): Promise<Blob> {
  if (!reply) throw new ImageFetchError(t('errSvgNoAnswer'), 'internal');
  if (!reply.ok) throw new ImageFetchError(reply.error.message, reply.error.code);
  return await (await fetch(reply.dataUrl)).blob();
}

export async function rasterizeSvg(request: Omit<RasterizeRequest, 'type' | 'target'>): Promise<Blob> {
  // esbuild.config.ts defines process.env.SQUEEZELENS_BROWSER ('chrome' / 'firefox'): in the
  // Firefox bundle this branch is dead and esbuild drops it and viaOffscreenDocument (no
  // `chrome.offscreen` in the Firefox package for `web-ext lint` to flag).
  if (process.env.SQUEEZELENS_BROWSER !== 'firefox' && !hasOwnDom()) return viaOffscreenDocument(request);
  return blobOf(await rasterize(request));
}

async function viaOffscreenDocument(request: Omit<RasterizeRequest, 'type' | 'target'>): Promise<Blob> {
  users++;
  try {
    await ensureDocument();
    const raw: unknown = await chrome.runtime.sendMessage({
      type: 'squeezelens/rasterize-svg',
      target: 'offscreen',
      ...request,
    } satisfies RasterizeRequest);
    return await blobOf(parseRasterizeReply(raw));
  } finally {
    if (--users === 0) await chrome.offscreen.closeDocument().catch(() => {});
  }
}

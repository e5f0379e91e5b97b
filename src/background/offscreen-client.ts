/**
 * SVG → PNG through the offscreen document: a service worker cannot decode SVG
 * (createImageBitmap throws InvalidStateError, docs/platform.md, "Offscreen documents and SVG"),
 * an <img> in a document can.
 * The document exists only while an SVG is being rasterized.
 */
import { t } from '../shared/i18n.js';
import { parseRasterizeReply, type RasterizeRequest } from '../shared/messages.js';
import { ImageFetchError } from './decode-sw.js';

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

export async function rasterizeSvg(request: Omit<RasterizeRequest, 'type' | 'target'>): Promise<Blob> {
  users++;
  try {
    await ensureDocument();
    const raw: unknown = await chrome.runtime.sendMessage({
      type: 'squeezelens/rasterize-svg',
      target: 'offscreen',
      ...request,
    } satisfies RasterizeRequest);
    const reply = parseRasterizeReply(raw);
    if (!reply) throw new ImageFetchError(t('errSvgNoAnswer'), 'internal');
    if (!reply.ok) throw new ImageFetchError(reply.error.message, reply.error.code);
    return await (await fetch(reply.dataUrl)).blob();
  } finally {
    if (--users === 0) await chrome.offscreen.closeDocument().catch(() => {});
  }
}

/**
 * SVG → PNG in a document: the SVG is drawn through an <img> (SVG in an image context cannot run
 * scripts or load other resources) onto a canvas, at its intrinsic size, or its size on the page,
 * scaled so its short side is at least 256 px (the network's resize target: vector images need not
 * be blurry) and its area at most maxPixels.
 *
 * Runs wherever there is a DOM: Chrome's offscreen document (./offscreen.ts, for the service
 * worker, which has none) and Firefox's event page itself (../background/offscreen-client.ts).
 * Importing this module touches no DOM API.
 */
import type { RasterizeReply, RasterizeRequest } from '../shared/messages.js';

const MIN_SHORT_SIDE = 256;
const DEFAULT_SIZE = 512;

function load(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    // img.decode() never settles here for some images (docs/platform.md, "Offscreen documents and
    // SVG"): use onload.
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('not a valid SVG image'));
    img.src = url;
  });
}

export async function rasterize(req: Omit<RasterizeRequest, 'type' | 'target'>): Promise<RasterizeReply> {
  let img: HTMLImageElement;
  try {
    img = await load(req.dataUrl);
  } catch {
    return {
      ok: false,
      error: { code: 'undecodable', message: 'The SVG image could not be decoded (it is not valid SVG).' },
    };
  }
  let w = img.naturalWidth || req.fallbackWidth || DEFAULT_SIZE;
  let h = img.naturalHeight || req.fallbackHeight || DEFAULT_SIZE;
  const up = Math.max(1, MIN_SHORT_SIDE / Math.min(w, h));
  const down = Math.min(1, Math.sqrt(req.maxPixels / (w * h * up * up)));
  w = Math.max(1, Math.round(w * up * down));
  h = Math.max(1, Math.round(h * up * down));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return { ok: false, error: { code: 'internal', message: 'No 2D canvas to rasterize the SVG.' } };
  ctx.drawImage(img, 0, 0, w, h);
  return { ok: true, dataUrl: canvas.toDataURL('image/png'), width: w, height: h };
}

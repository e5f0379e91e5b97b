/**
 * Offscreen document (Chrome): rasterizes SVG images for the service worker, which cannot decode
 * them (./rasterize.ts does the drawing).
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { isFromExtensionPage, type RasterizeReply } from '../shared/messages.js';
import { parseRasterizeRequest } from '../shared/parse-messages.js';
import { rasterize } from './rasterize.js';

const origin = browser.runtime.getURL('').replace(/\/$/, '');
browser.runtime.onMessage.addListener(
  (message: unknown, sender: Runtime.MessageSender): Promise<RasterizeReply> | undefined => {
    const request = parseRasterizeRequest(message);
    if (!request || !isFromExtensionPage(sender, browser.runtime.id, origin)) return undefined;
    return rasterize(request);
  },
);

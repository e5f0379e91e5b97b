/**
 * Content script (every http/https frame, document_start). It does nothing until asked: it only
 * remembers where the last right-click happened, and answers the worker's `capture` request with
 * what was under the pointer (./locate.ts). Later, when the user asks in the popup, it draws a
 * saliency overlay over that element (./page-overlay.ts) or swaps in a fooled image
 * (./replace-image.ts) — the only DOM changes it ever makes, each removable. It never talks to
 * the page (no window.postMessage), and accepts requests only from this extension's worker and
 * pages.
 */

import browser, { type Runtime } from 'webextension-polyfill';
import { t } from '../shared/i18n.js';
import { isFromWorker, type PageReply, type PageRequest } from '../shared/messages.js';
import { parseCaptureRequest, parsePageRequest } from '../shared/parse-messages.js';
import { type ContextClick, capture, recordClick } from './locate.js';
import { removeOverlay, showOverlay } from './page-overlay.js';
import { replaceImage, restoreImage } from './replace-image.js';

let lastClick: ContextClick | null = null;

addEventListener(
  'contextmenu',
  (event) => {
    // Only the user's own right-click: a page's synthetic event must not choose what is analysed.
    lastClick = recordClick(event) ?? lastClick;
  },
  { capture: true, passive: true },
);

/** The element each job captured in this frame (weakly: a removed element may be collected). */
const captured = new Map<string, WeakRef<Element>>();
const MAX_REMEMBERED = 50;

function remember(jobId: string, element: Element): void {
  captured.set(jobId, new WeakRef(element));
  while (captured.size > MAX_REMEMBERED) captured.delete(captured.keys().next().value!);
}

const GONE = t('pageGone');

function onPageRequest(request: PageRequest): PageReply {
  const element = captured.get(request.jobId)?.deref();
  switch (request.type) {
    case 'squeezelens/remove-overlay':
      return removeOverlay(request.jobId) ? { ok: true } : { ok: false, reason: t('pageNoOverlay') };
    case 'squeezelens/restore-image':
      return restoreImage(request.jobId) ? { ok: true } : { ok: false, reason: t('pageNotReplaced') };
    case 'squeezelens/show-overlay':
      if (!element?.isConnected) return { ok: false, reason: GONE };
      showOverlay(request.jobId, element, request.png, request.geometry, { label: t('overlayLabel') });
      return { ok: true };
    case 'squeezelens/replace-image':
      if (!element?.isConnected) return { ok: false, reason: GONE };
      return replaceImage(request.jobId, element, request.png, { cover: request.cover });
  }
}

const origin = browser.runtime.getURL('').replace(/\/$/, '');

browser.runtime.onMessage.addListener(
  (message: unknown, sender: Runtime.MessageSender): Promise<unknown> | undefined => {
    if (!isFromWorker(sender, browser.runtime.id, origin)) return undefined;
    const request = parseCaptureRequest(message);
    if (request) return capture(lastClick, request, (element) => remember(request.jobId, element));
    const pageRequest = parsePageRequest(message);
    if (pageRequest) return Promise.resolve(onPageRequest(pageRequest));
    return undefined; // not ours or malformed: no answer
  },
);

/**
 * What the Chromium (product.ts) and Firefox (firefox.ts) harnesses share: what a browser passes to
 * the context-menu listener for a right-click on an element (`mediaOf` runs in the page — pass it
 * to `page.$eval` — and `clickData` builds the OnClickData from its answer), and what the popup
 * shows (`popupSnapshot` runs in the popup page, `popupView` names its parts).
 */
import { MENU_IDS, type MenuJobKind } from '../../src/shared/jobs.js';

export type ClickedMedia = { mediaType: 'image' | 'video'; srcUrl: string } | null;

/** In the page: the image or video the browser would report for a right-click on `el`. */
export function mediaOf(el: Element): ClickedMedia {
  if (el instanceof HTMLImageElement) return { mediaType: 'image', srcUrl: el.currentSrc || el.src };
  if (el instanceof HTMLVideoElement) return { mediaType: 'video', srcUrl: el.currentSrc || el.src };
  return null;
}

export function clickData(kind: MenuJobKind, pageUrl: string, media: ClickedMedia): chrome.contextMenus.OnClickData {
  return {
    menuItemId: MENU_IDS[kind],
    editable: false,
    pageUrl,
    frameId: 0,
    ...(media ?? {}),
  } as chrome.contextMenus.OnClickData;
}

export interface PopupView {
  jobId: string;
  state: string;
  top1Label: string | null;
  top1Prob: string | null;
  backend: string | null;
  error: string | null;
  errorCode: string | null;
  notice: string | null;
  source: string | null;
  time: string | null;
}

const POPUP_TEXTS = ['top1-label', 'top1-prob', 'backend', 'error', 'notice', 'source', 'time'] as const;

/** In the popup page (pass it to `evaluate`, with POPUP_TEXTS): the job shown and its texts. */
export function popupSnapshot(ids: readonly string[]) {
  const view = document.getElementById('view')!;
  return {
    jobId: view.dataset.jobId ?? '',
    state: view.dataset.state ?? '',
    errorCode: document.querySelector('[data-testid="error"]')?.getAttribute('data-code') ?? null,
    texts: ids.map((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null),
  };
}

export function popupView(raw: ReturnType<typeof popupSnapshot>): PopupView {
  const [top1Label, top1Prob, backend, error, notice, source, time] = raw.texts;
  return {
    jobId: raw.jobId,
    state: raw.state,
    errorCode: raw.errorCode,
    top1Label,
    top1Prob,
    backend,
    error,
    notice,
    source,
    time,
  };
}

export { POPUP_TEXTS };

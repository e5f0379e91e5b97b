/**
 * What a browser passes to the context-menu listener for a right-click on an element, shared by
 * the Chromium (product.ts) and Firefox (firefox.ts) harnesses: `mediaOf` runs in the page (pass it
 * to `page.$eval`), `clickData` builds the OnClickData from its answer.
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

/**
 * The Firefox test build's background entry (dist/firefox-test/background.js): the Chrome test
 * entry (./index.ts: the product plus `self.__squeezelens`) and what a WebDriver BiDi harness needs
 * on Firefox, where it can evaluate code in tabs but neither open moz-extension:// pages itself nor
 * reach the event page (docs/platform.md, "Firefox"):
 *
 * - on install, the add-on opens its own popup page in a tab (the harness's handle on the extension:
 *   from there it reaches this page through `runtime.getBackgroundPage()`);
 * - `menuClick(info, tab)` runs the context-menu listener's body (src/background/product.ts,
 *   onMenuClicked) with the data Firefox would pass: native menus cannot be clicked headless, and
 *   Firefox events have no `dispatch()` as Chrome's do.
 */
import './index.js';
import { onMenuClicked } from '../product.js';
import type { SqueezeLensHook } from './index.js';

export interface FirefoxHook extends SqueezeLensHook {
  menuClick(info: chrome.contextMenus.OnClickData, tab: chrome.tabs.Tab): Promise<void>;
}

const hook = (globalThis as unknown as { __squeezelens: FirefoxHook }).__squeezelens;
hook.menuClick = (info, tab) => onMenuClicked(info, tab);

chrome.runtime.onInstalled.addListener(() => {
  void chrome.tabs.create({ url: chrome.runtime.getURL('popup.html'), active: false });
});

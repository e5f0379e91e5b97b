/**
 * Launches Debian's Firefox ESR headless over WebDriver BiDi (puppeteer-core) with the Firefox test
 * build (dist/firefox-test, rebuilt first when stale) installed as a temporary add-on, and drives
 * SqueezeLens as test/helpers/product.ts does in Chromium.
 *
 * Facts this relies on (docs/platform.md, "Firefox"): Playwright cannot load add-ons into Firefox;
 * puppeteer-core's `browser.installExtension(dir)` can (it needs
 * `browser_specific_settings.gecko.id`). BiDi refuses to navigate to moz-extension:// pages, and
 * the event page is not a BiDi target; but a page the add-on opens itself (`tabs.create`) shows up
 * in `browser.pages()` and can be evaluated, and from there `runtime.getBackgroundPage()` reaches
 * the event page and its test hook. The Firefox test build opens popup.html in a tab when installed
 * (src/background/test-hook/firefox.ts): that tab is `ext.control`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { DIST_FIREFOX_TEST, ensureBuilt } from '../../esbuild.config.js';
import type { FirefoxHook } from '../../src/background/test-hook/firefox.js';
import type { MenuJobKind as JobKind } from '../../src/shared/jobs.js';
import { clickData, mediaOf, POPUP_TEXTS, type PopupView, popupSnapshot, popupView } from './menu-click.js';
import { FINAL, SCREENSHOTS } from './product.js';

export const FIREFOX = '/usr/bin/firefox-esr';

/** Firefox's own promise-based `browser` global, in code evaluated in extension tabs. */
declare const browser: import('webextension-polyfill').Browser;

export interface LaunchedFirefox {
  browser: Browser;
  /** the extension tab the add-on opened itself (popup.html): where extension APIs are evaluated */
  control: Page;
  /** moz-extension://<uuid> */
  origin: string;
  /** browser_specific_settings.gecko.id, as Firefox reports it */
  addonId: string;
  /** e.g. "firefox/153.8.0" */
  browserVersion: string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The real address of each open tab (a page opened by the add-on may report about:blank to BiDi). */
async function hrefs(browser: Browser): Promise<[Page, string][]> {
  const out: [Page, string][] = [];
  for (const page of await browser.pages()) {
    out.push([page, await page.evaluate(() => location.href).catch(() => '')]);
  }
  return out;
}

/** Waits for an extension tab whose address matches `matches` and is not one of `except`. */
export async function waitForExtensionPage(
  browser: Browser,
  matches: (href: string) => boolean,
  except: Page[] = [],
  timeoutMs = 30_000,
): Promise<Page> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const [page, href] of await hrefs(browser)) {
      if (href.startsWith('moz-extension://') && matches(href) && !except.includes(page)) {
        // A new tab can report its extension address while its realm is still the initial
        // about:blank one (seen once in CI: "browser is not defined" in the next evaluate).
        await page.waitForFunction(() => location.protocol === 'moz-extension:' && typeof browser !== 'undefined', {
          timeout: Math.max(1_000, deadline - Date.now()),
          polling: 50,
        });
        return page;
      }
    }
    await sleep(100);
  }
  throw new Error(`no extension tab appeared within ${timeoutMs} ms`);
}

export async function launchFirefox(
  options: {
    dir?: string;
    /** Firefox preferences, e.g. { 'extensions.background.idle.timeout': 3000 } */
    prefs?: Record<string, unknown>;
  } = {},
): Promise<LaunchedFirefox> {
  const dir =
    options.dir ??
    ((await ensureBuilt({ variant: 'test', log: (m) => console.log(`[build] ${m}`) })) && DIST_FIREFOX_TEST);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    protocolTimeout: 180_000,
    extraPrefsFirefox: options.prefs,
  });
  try {
    const addonId = await browser.installExtension(dir);
    const control = await waitForExtensionPage(browser, (href) => href.includes('/popup.html'));
    const origin = new URL(await control.evaluate(() => location.href)).origin;
    const browserVersion = await browser.version();
    return {
      browser,
      control,
      origin,
      addonId,
      browserVersion,
      async close() {
        await browser.close().catch(() => {});
      },
    };
  } catch (error) {
    await browser.close().catch(() => {});
    throw error;
  }
}

/**
 * Calls a method of the event page's test hook (`__squeezelens`, with Firefox's `menuClick`) from
 * the control tab. Arguments and results cross as JSON-like values.
 */
export async function callHook<M extends keyof FirefoxHook>(
  ext: LaunchedFirefox,
  method: M,
  ...args: Parameters<FirefoxHook[M]>
): Promise<Awaited<ReturnType<FirefoxHook[M]>>> {
  const result = await ext.control.evaluate(
    async (name, callArgs) => {
      const bg = (await browser.runtime.getBackgroundPage()) as unknown as {
        __squeezelens?: Record<string, (...a: unknown[]) => Promise<unknown>>;
      } | null;
      const hook = bg?.__squeezelens;
      if (!hook) throw new Error('the SqueezeLens test hook (__squeezelens) is not installed in the event page');
      // Structured clone: hand back plain data, not objects of the event page's window.
      return JSON.parse(JSON.stringify((await hook[name](...JSON.parse(callArgs))) ?? null));
    },
    method as string,
    JSON.stringify(args),
  );
  return result as Awaited<ReturnType<FirefoxHook[M]>>;
}

/** A new tab with popup.html, opened by the add-on (BiDi may not navigate to it), sized like a popup. */
export async function openPopup(ext: LaunchedFirefox, query = ''): Promise<Page> {
  const before = (await hrefs(ext.browser)).map(([p]) => p);
  await ext.control.evaluate(async (q) => {
    await browser.tabs.create({ url: browser.runtime.getURL(`popup.html${q}`), active: true });
  }, query);
  const popup = await waitForExtensionPage(ext.browser, (href) => href.includes('/popup.html'), before);
  await popup.setViewport({ width: 380, height: 600 });
  return popup;
}

export async function openFixturePage(
  ext: LaunchedFirefox,
  url: string,
  viewport = { width: 1000, height: 900 },
): Promise<Page> {
  const page = await ext.browser.newPage();
  await page.setViewport(viewport);
  await page.goto(url);
  await page.waitForFunction(
    () =>
      (window as unknown as { fixturesReady?: boolean }).fixturesReady ||
      (window as unknown as { fixturesError?: string }).fixturesError,
    { timeout: 30_000, polling: 100 },
  );
  const fixturesError = await page.evaluate(() => (window as unknown as { fixturesError?: string }).fixturesError);
  if (fixturesError !== undefined) throw new Error(`the fixture page's script failed: ${fixturesError}`);
  return page;
}

/** What Firefox passes to the menu listener for a right-click on this element. */
async function clickInfo(page: Page, selector: string, kind: JobKind): Promise<chrome.contextMenus.OnClickData> {
  return clickData(kind, page.url(), await page.$eval(selector, mediaOf));
}

/**
 * Right-clicks `selector` (a real `contextmenu` event through BiDi input, which the content script
 * records) and runs the menu listener's body with what Firefox would pass; resolves with the new
 * job's id.
 */
export async function menuAction(
  ext: LaunchedFirefox,
  page: Page,
  selector: string,
  kind: JobKind = 'classify',
): Promise<string> {
  await page.bringToFront();
  await page.click(selector, { button: 'right' });
  await page.keyboard.press('Escape').catch(() => {}); // close the native menu, if one opened
  const info = await clickInfo(page, selector, kind);
  return ext.control.evaluate(
    async (infoJson, pageUrl) => {
      const info = JSON.parse(infoJson);
      const before = new Set(
        (((await browser.storage.session.get('jobs')).jobs ?? []) as { id: string }[]).map((j) => j.id),
      );
      const tab = (await browser.tabs.query({})).find((t) => t.url === pageUrl);
      if (!tab) throw new Error(`no tab shows ${pageUrl}`);
      const bg = (await browser.runtime.getBackgroundPage()) as unknown as {
        __squeezelens: { menuClick(i: unknown, t: unknown): Promise<void> };
      };
      void bg.__squeezelens.menuClick(info, JSON.parse(JSON.stringify(tab)));
      for (let i = 0; i < 400; i++) {
        const jobs = ((await browser.storage.session.get('jobs')).jobs ?? []) as { id: string }[];
        const fresh = jobs.find((j) => !before.has(j.id));
        if (fresh) return fresh.id;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('the menu action created no job');
    },
    JSON.stringify(info),
    page.url(),
  );
}

export async function readPopup(popup: Page): Promise<PopupView> {
  return popupView(await popup.evaluate(popupSnapshot, POPUP_TEXTS));
}

/** Waits until the popup shows job `jobId` in one of `states` (default: any final state). */
export async function waitForJob(
  popup: Page,
  jobId: string,
  states: string[] = FINAL,
  timeout = 90_000,
): Promise<PopupView> {
  await popup.waitForFunction(
    (jobId, states) => {
      const v = document.getElementById('view');
      return v?.dataset.jobId === jobId && states.includes(v.dataset.state ?? '');
    },
    { timeout, polling: 50 },
    jobId,
    states,
  );
  return readPopup(popup);
}

/** test-results/screenshots/firefox-<name>.png, of the whole popup page. */
export async function screenshot(popup: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `firefox-${name}.png`);
  await popup.bringToFront();
  await popup.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}

/**
 * Driving SqueezeLens as a user would, in headless Chromium: right-click an element (a real
 * `contextmenu` event, which the content script records), then run the real context-menu listener
 * with the data Chrome would pass (native menus cannot be clicked headless: docs/platform.md,
 * "Driving Chromium headless"), and read the answer from the popup (popup.html open in a tab).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { ROOT } from '../../esbuild.config.js';
import type { MenuJobKind as JobKind } from '../../src/shared/jobs.js';
import { clickData, mediaOf, POPUP_TEXTS, type PopupView, popupSnapshot, popupView } from './menu-click.js';

export type { PopupView };

export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

export async function openPopup(context: BrowserContext, extensionId: string): Promise<Page> {
  const popup = await context.newPage();
  await popup.setViewportSize({ width: 380, height: 600 });
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  return popup;
}

/**
 * Opens the fixture page (test/helpers/fixture-server.ts) in a new tab and waits until its script
 * has built every case; a failure of that script fails the caller, naming it.
 */
export async function openFixturePage(
  context: BrowserContext,
  url: string,
  viewport = { width: 1000, height: 900 },
): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  await page.goto(url);
  await page.waitForFunction(
    () =>
      (window as unknown as { fixturesReady?: boolean; fixturesError?: string }).fixturesReady ||
      (window as unknown as { fixturesError?: string }).fixturesError,
    null,
    { timeout: 30_000 },
  );
  const fixturesError = await page.evaluate(() => (window as unknown as { fixturesError?: string }).fixturesError);
  if (fixturesError !== undefined) throw new Error(`the fixture page's script failed: ${fixturesError}`);
  return page;
}

export async function readPopup(popup: Page): Promise<PopupView> {
  return popupView(await popup.evaluate(popupSnapshot, POPUP_TEXTS));
}

/** What Chrome passes to the menu listener for a right-click on this element. */
async function clickInfo(page: Page, selector: string, kind: JobKind): Promise<chrome.contextMenus.OnClickData> {
  return clickData(kind, page.url(), await page.$eval(selector, mediaOf));
}

/**
 * Right-clicks `selector` and runs the menu item; resolves with the new job's id. `beforeDispatch`
 * runs between the right-click (what the browser reports is read then) and the menu action: what a
 * page can do in that moment.
 */
export async function menuAction(
  sw: Worker,
  page: Page,
  selector: string,
  kind: JobKind = 'classify',
  options: { rightClick?: boolean; beforeDispatch?: () => Promise<unknown> } = {},
): Promise<string> {
  if (options.rightClick ?? true) await page.click(selector, { button: 'right' });
  const info = await clickInfo(page, selector, kind);
  await options.beforeDispatch?.();
  return sw.evaluate(
    async ({ info, pageUrl }) => {
      // (No named inner functions here: tsx would wrap them in a __name helper that does not exist in the worker.)
      const before = new Set(
        (((await chrome.storage.session.get('jobs')).jobs ?? []) as { id: string }[]).map((j) => j.id),
      );
      const tab = (await chrome.tabs.query({})).find((t) => t.url === pageUrl);
      if (!tab) throw new Error(`no tab shows ${pageUrl}`);
      (chrome.contextMenus.onClicked as unknown as { dispatch(i: unknown, t: unknown): void }).dispatch(info, tab);
      for (let i = 0; i < 200; i++) {
        const jobs = ((await chrome.storage.session.get('jobs')).jobs ?? []) as { id: string }[];
        const fresh = jobs.find((j) => !before.has(j.id));
        if (fresh) return fresh.id;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('the menu action created no job');
    },
    { info, pageUrl: page.url() },
  );
}

export const FINAL = ['done', 'error', 'cancelled', 'interrupted'];

/** Waits until the popup shows job `jobId` in one of `states` (default: any final state). */
export async function waitForJob(
  popup: Page,
  jobId: string,
  states: string[] = FINAL,
  timeout = 60_000,
): Promise<PopupView> {
  await popup.waitForFunction(
    ({ jobId, states }) => {
      const v = document.getElementById('view');
      return v?.dataset.jobId === jobId && states.includes(v.dataset.state ?? '');
    },
    { jobId, states },
    // Poll by time: the popup tab is in the background, where requestAnimationFrame is throttled.
    { timeout, polling: 50 },
  );
  return readPopup(popup);
}

export async function screenshot(popup: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await popup.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

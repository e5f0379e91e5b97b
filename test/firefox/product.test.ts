/**
 * SqueezeLens end to end in a real Firefox (Debian's firefox-esr, headless, WebDriver BiDi through
 * puppeteer-core; test/helpers/firefox.ts): the Firefox build (dist/firefox-test: event page, its own
 * manifest) installed as an add-on, the fixture page on one 127.0.0.1 port and its images on another
 * (real cross-origin, no CORS headers), a real right-click recorded by the content script, the menu
 * listener's body, and the answers read from the popup page (opened in a tab by the add-on).
 * One browser for the whole file.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_FIREFOX, GECKO_ID, GECKO_MIN_VERSION } from '../../esbuild.config.js';
import { MENU_IDS } from '../../src/shared/jobs.js';
import {
  callHook,
  type LaunchedFirefox,
  launchFirefox,
  menuAction,
  openFixturePage,
  openPopup,
  screenshot,
  waitForJob,
} from '../helpers/firefox.js';
import { type FixtureServers, PHOTO, startFixtureServers } from '../helpers/fixture-server.js';

/** Firefox's own promise-based `browser` global, in code evaluated in extension tabs. */
declare const browser: import('webextension-polyfill').Browser;

let ext: LaunchedFirefox;
let servers: FixtureServers;
let page: Page;
let popup: Page;

const GORILLA = 366;

beforeAll(async () => {
  servers = await startFixtureServers();
  ext = await launchFirefox();
  popup = await openPopup(ext);
  page = await openFixturePage(ext, servers.page);
});

afterAll(async () => {
  await ext?.close();
  await servers?.close();
});

/** The stored job (chrome.storage.session), read from the popup tab. */
async function storedJob<T>(id: string): Promise<T> {
  return popup.evaluate(async (id) => {
    const jobs = (await browser.storage.session.get('jobs')).jobs as { id: string }[];
    return jobs.find((j) => j.id === id);
  }, id) as Promise<T>;
}

describe('the Firefox package', () => {
  it('has a Firefox manifest: event page, gecko settings, no offscreen document or key', async () => {
    const manifest = JSON.parse(await readFile(join(DIST_FIREFOX, 'manifest.json'), 'utf8'));
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.background).toEqual({ scripts: ['background.js'], type: 'module' });
    expect(manifest.permissions).toEqual(['contextMenus', 'storage']);
    expect(manifest.host_permissions).toEqual(['http://*/*', 'https://*/*']);
    expect(manifest.key).toBeUndefined();
    expect(manifest.minimum_chrome_version).toBeUndefined();
    expect(manifest.browser_specific_settings.gecko).toEqual({
      id: GECKO_ID,
      strict_min_version: GECKO_MIN_VERSION,
      data_collection_permissions: { required: ['none'] },
    });
    expect(manifest.content_security_policy.extension_pages).toBe(
      "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';",
    );
  });

  it('installs in Firefox, with the host permissions granted and the seven menu items', async () => {
    expect(ext.browserVersion).toMatch(/^firefox\/\d+/);
    expect(ext.addonId).toBe(GECKO_ID);
    const state = await ext.control.evaluate(async (ids) => {
      const menus: Record<string, string> = {};
      for (const id of ids) {
        menus[id] = await browser.contextMenus.update(id, {}).then(
          () => 'ok',
          (e: Error) => e.message,
        );
      }
      const bg = (await browser.runtime.getBackgroundPage()) as unknown as Window | null;
      return {
        permissions: await browser.permissions.getAll(),
        menus,
        // The background is an event page with a DOM (SVG is rasterized there), no WebGPU here.
        backgroundHasDocument: typeof bg?.document?.createElement === 'function',
        // What the menu listener calls to open the popup on the job (src/background/product.ts).
        openPopup: typeof (bg as unknown as { chrome: typeof chrome } | null)?.chrome.action.openPopup,
        gpu: 'gpu' in navigator,
      };
    }, Object.values(MENU_IDS));
    expect(state.permissions.origins).toEqual(['http://*/*', 'https://*/*']);
    expect(state.permissions.permissions).toEqual(['contextMenus', 'storage']);
    expect(state.menus).toEqual({
      'squeezelens-classify': 'ok',
      'squeezelens-saliency': 'ok',
      'squeezelens-fool': 'ok',
      'squeezelens-style': 'ok',
      'squeezelens-stylize': 'ok',
      'squeezelens-invert': 'ok',
      'squeezelens-segment': 'ok',
    });
    expect(state.backgroundHasDocument).toBe(true);
    expect(state.openPopup).toBe('function');
    expect(state.gpu).toBe(false);
  });

  it('shows an empty popup before any action', async () => {
    await popup.waitForSelector('[data-testid="empty"]');
    await screenshot(popup, '00-empty');
  });
});

describe('classification in Firefox', () => {
  it('a cross-origin image without CORS (the monarch from the other port) is classified right', async () => {
    const src = `${servers.b}/photos/${encodeURIComponent(PHOTO.monarch)}`;
    await page.$eval(
      '#slow',
      (img, src) =>
        new Promise<void>((resolve, reject) => {
          const i = img as HTMLImageElement;
          i.onload = () => resolve();
          i.onerror = () => reject(new Error('the photo did not load in the page'));
          i.src = src;
        }),
      src,
    );
    const id = await menuAction(ext, page, '#slow');
    const view = await waitForJob(popup, id);
    expect(view.error).toBeNull();
    expect(view.state).toBe('done');
    expect(view.top1Label).toBe('monarch');
    expect(view.top1Prob).toMatch(/^\d+\.\d ?%$/); // Intl in the UI language: "100.0%" in English
    // navigator.gpu is undefined in this Firefox: WASM ran, and the popup says so.
    expect(view.backend).toBe('wasm (SIMD, 1 thread)');
    expect(view.source).toContain(servers.b);
    await screenshot(popup, 'done-cross-origin-monarch');
  });

  it('another cross-origin image under a transparent overlay (the padlock)', async () => {
    const id = await menuAction(ext, page, '#cross-overlay');
    const view = await waitForJob(popup, id);
    expect(view.error).toBeNull();
    expect(view.top1Label).toBe('padlock');
  });

  it('an SVG image, rasterized in the event page itself (no offscreen document in Firefox)', async () => {
    const id = await menuAction(ext, page, '#svg');
    const view = await waitForJob(popup, id);
    expect(view.error).toBeNull();
    expect(view.state).toBe('done');
    expect(view.top1Label).toBe('great grey owl');
    await screenshot(popup, 'done-svg');
  });
});

describe('saliency map in Firefox', () => {
  it('"Show saliency map" computes the map and the popup draws it', async () => {
    const id = await menuAction(ext, page, '#same', 'saliency');
    const view = await waitForJob(popup, id);
    expect(view.error).toBeNull();
    expect(view.top1Label).toBe('monarch');
    await popup.waitForSelector('[data-testid="saliency-canvas"][data-ready="true"]', { timeout: 60_000 });
    const job = await storedJob<{ results: { saliency: { method: string; label: string } } }>(id);
    expect(job.results.saliency).toMatchObject({ method: 'vanilla', label: 'monarch' });
    const canvas = await popup.evaluate(async (id) => {
      const c = document.querySelector('[data-testid="saliency-canvas"]') as HTMLCanvasElement;
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      const colours = new Set<number>();
      for (let p = 0; p < data.length; p += 4) colours.add((data[p] << 16) | (data[p + 1] << 8) | data[p + 2]);
      const key = `saliency:${id}`;
      const stored = (await browser.storage.session.get(key))[key] as { size: number; map: string };
      const bin = atob(stored.map);
      let min = 255;
      let max = 0;
      for (let i = 0; i < bin.length; i++) {
        min = Math.min(min, bin.charCodeAt(i));
        max = Math.max(max, bin.charCodeAt(i));
      }
      return { width: c.width, height: c.height, colours: colours.size, size: stored.size, min, max };
    }, id);
    expect([canvas.width, canvas.height, canvas.size]).toEqual([224, 224, 224]);
    expect(canvas.colours).toBeGreaterThan(1000); // drawn, not blank
    expect(canvas.max - canvas.min).toBeGreaterThan(100); // a map with hot and cold parts
    await screenshot(popup, 'saliency');
  });
});

describe('fooling image in Firefox', () => {
  it('makes a fooling image for "gorilla" that re-classifies as the target', async () => {
    const id = await menuAction(ext, page, '#same', 'fool');
    const view = await waitForJob(popup, id);
    expect(view.top1Label).toBe('monarch');
    await popup.setViewport({ width: 380, height: 900 });
    await popup.waitForSelector('[data-testid="fool-target-search"]');
    await popup.type('[data-testid="fool-target-search"]', 'gorilla');
    await popup.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="fool-target-results"] button')].some(
          (b) => b.textContent === 'gorilla',
        ),
      { polling: 50, timeout: 10_000 },
    );
    await popup.evaluate(() => {
      const b = [...document.querySelectorAll('[data-testid="fool-target-results"] button')].find(
        (b) => b.textContent === 'gorilla',
      ) as HTMLButtonElement;
      b.click();
    });
    await popup.waitForFunction(
      () => document.querySelector('[data-testid="fool-target"]')?.textContent === 'gorilla',
      { polling: 50, timeout: 10_000 },
    );
    await screenshot(popup, 'fool-form');
    await popup.click('[data-testid="fool-start"]');
    await popup.waitForSelector('[data-testid="fool-result"]', { timeout: 120_000 });
    const result = await popup.$eval('[data-testid="fool-result"]', (el) => ({
      text: el.textContent,
      success: el.getAttribute('data-success'),
      label: el.getAttribute('data-label'),
    }));
    expect(result.success).toBe('true');
    expect(result.label).toBe('gorilla');
    expect(result.text).toMatch(/^Fooled: SqueezeNet now sees “gorilla”/);
    await popup.waitForSelector('[data-testid="fool-difference-10x"][data-ready="true"]');
    const stored = await storedJob<{
      results: {
        fool?: { success: boolean; target: { index: number }; reclassified: { index: number; prob: number } };
      };
    }>(id);
    expect(stored.results.fool?.success).toBe(true);
    expect(stored.results.fool?.target.index).toBe(GORILLA);
    // Re-classified from the PNG's own bytes, in Firefox: the target, confidently.
    expect(stored.results.fool?.reclassified.index).toBe(GORILLA);
    expect(stored.results.fool?.reclassified.prob).toBeGreaterThanOrEqual(0.9);
    // And the PNG the popup offers, classified again by the extension's own image path.
    const href = await popup.$eval('[data-testid="fool-download"]', (a) => (a as HTMLAnchorElement).href);
    expect(href.startsWith('data:image/png;base64,')).toBe(true);
    const again = await callHook(ext, 'classifyUrl', { url: href });
    expect(again.top[0].index).toBe(GORILLA);
    expect(again.top[0].prob).toBeGreaterThanOrEqual(0.9);
    await screenshot(popup, 'fool-result');
    await popup.setViewport({ width: 380, height: 600 });
  });
});

describe('a bad input in Firefox is a specific message', () => {
  const cases: [string, string, string, RegExp][] = [
    ['HTML served as an image', '#html', 'not-image', /did not return an image: the server sent text\/html/],
    ['HTML bytes labelled image/jpeg', '#fake', 'undecodable', /could not be decoded as an image \(image\/jpeg/],
    ['404', '#missing', 'http', /HTTP 404/],
  ];
  for (const [name, selector, code, message] of cases) {
    it(name, async () => {
      const id = await menuAction(ext, page, selector);
      const view = await waitForJob(popup, id);
      expect(view.state).toBe('error');
      expect(view.errorCode).toBe(code);
      expect(view.error).toMatch(message);
      expect(view.top1Label).toBeNull();
      await screenshot(popup, `error-${code}`);
    });
  }
});

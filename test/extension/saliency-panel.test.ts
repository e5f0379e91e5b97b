/**
 * The popup's saliency panel end to end: "Show saliency map" on a photo (the real context-menu
 * listener), the worker classifies then computes a vanilla-gradient map (state `explaining`), and
 * the popup (popup.html in a tab) draws it over the 224×224 view; its controls change the pixels
 * and "Download PNG" saves a PNG.
 */
import { readFile } from 'node:fs/promises';
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedExtension, launchExtension } from '../helpers/browser.js';
import { type FixtureServers, startFixtureServers } from '../helpers/fixture-server.js';
import { menuAction, openFixturePage, openPopup, screenshot, waitForJob } from '../helpers/product.js';

let ext: LaunchedExtension;
let sw: Worker;
let servers: FixtureServers;
let page: Page;
let popup: Page;

beforeAll(async () => {
  servers = await startFixtureServers();
  ext = await launchExtension({ webgpu: false });
  sw = ext.sw;
  popup = await openPopup(ext.context, ext.extensionId);
  await popup.setViewportSize({ width: 380, height: 800 });
  page = await openFixturePage(ext.context, servers.page);
});

afterAll(async () => {
  await ext?.close();
  await servers?.close();
});

/** Canvas pixels, and the stored map's hottest/coldest pixels' mean luminance on the canvas. */
async function canvasStats(popup: Page, jobId: string) {
  return popup.evaluate(async (jobId) => {
    const canvas = document.querySelector('[data-testid="saliency-canvas"]') as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const key = `saliency:${jobId}`;
    const stored = (await chrome.storage.session.get(key))[key] as { size: number; map: string };
    const bin = atob(stored.map);
    const order = Array.from({ length: bin.length }, (_, i) => i).sort((a, b) => bin.charCodeAt(b) - bin.charCodeAt(a));
    const hot = order.slice(0, Math.round(order.length * 0.05));
    const cold = order.slice(Math.round(order.length * 0.5));
    const colours = new Set<number>();
    for (let p = 0; p < data.length; p += 4) colours.add((data[p] << 16) | (data[p + 1] << 8) | data[p + 2]);
    return {
      width: canvas.width,
      height: canvas.height,
      cssWidth: canvas.clientWidth,
      size: stored.size,
      colours: colours.size,
      hot,
      cold,
      pixels: Array.from(data),
    };
  }, jobId);
}

const difference = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
/** mean |a − b| over the RGB of the given pixels */
const differenceAt = (a: number[], b: number[], pixels: number[]) =>
  pixels.reduce(
    (s, p) =>
      s + Math.abs(a[p * 4] - b[p * 4]) + Math.abs(a[p * 4 + 1] - b[p * 4 + 1]) + Math.abs(a[p * 4 + 2] - b[p * 4 + 2]),
    0,
  ) /
  (3 * pixels.length);

describe('saliency panel', () => {
  it('"Show saliency map" computes the map in the worker and the popup draws it', async () => {
    await popup.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenStates: string[] }).seenStates = seen;
      chrome.storage.onChanged.addListener((changes) => {
        const jobs = changes.jobs?.newValue as { state: string }[] | undefined;
        const last = jobs?.[jobs.length - 1];
        if (last && seen[seen.length - 1] !== last.state) seen.push(last.state);
      });
    });
    const id = await menuAction(sw, page, '#same', 'saliency');
    const view = await waitForJob(popup, id);
    expect(view.error).toBeNull();
    expect(view.state).toBe('done');
    expect(view.top1Label).toBe('monarch');
    expect(view.notice).toBeNull(); // the "not available yet" notice is gone
    const states = await popup.evaluate(() => (window as unknown as { seenStates: string[] }).seenStates);
    expect(states).toContain('explaining');
    expect(states.indexOf('explaining')).toBeGreaterThan(states.indexOf('classifying'));

    await popup.waitForSelector('[data-testid="saliency-canvas"][data-ready="true"]');
    expect(await popup.textContent('[data-testid="saliency-method"]')).toBe('Vanilla gradient');
    expect(await popup.textContent('[data-testid="saliency-class"]')).toBe('monarch');
    const job = await sw.evaluate(
      async (id) =>
        ((await chrome.storage.session.get('jobs')).jobs as { id: string; results: { saliency: unknown } }[]).find(
          (j) => j.id === id,
        )!.results.saliency,
      id,
    );
    expect(job).toMatchObject({ method: 'vanilla', label: 'monarch' });

    const s = await canvasStats(popup, id);
    expect(s.width).toBe(224);
    expect(s.height).toBe(224);
    expect(s.size).toBe(224);
    expect(s.colours).toBeGreaterThan(1000); // not blank
    await screenshot(popup, 'saliency-done');

    // Smoothing changes the picture; the checks below use the raw map (as stored).
    await popup.uncheck('[data-testid="saliency-smooth"]');
    const raw = await canvasStats(popup, id);
    expect(difference(raw.pixels, s.pixels)).toBeGreaterThan(1);

    // The opacity slider changes the pixels: 0 shows the plain view, 100 the map at full strength.
    await popup.locator('[data-testid="saliency-opacity"]').fill('100');
    const full = await canvasStats(popup, id);
    expect(difference(full.pixels, s.pixels)).toBeGreaterThan(2);
    await popup.locator('[data-testid="saliency-opacity"]').fill('0');
    const none = await canvasStats(popup, id);
    expect(difference(none.pixels, s.pixels)).toBeGreaterThan(2);
    // The hot region (top 5 % of the map) is coloured far more than the cold half.
    const hot = differenceAt(full.pixels, none.pixels, s.hot);
    const cold = differenceAt(full.pixels, none.pixels, s.cold);
    expect(hot).toBeGreaterThan(40);
    expect(hot).toBeGreaterThan(3 * cold);

    // Colormap and mask change the picture too.
    await popup.locator('[data-testid="saliency-opacity"]').fill('70');
    await popup.check('[data-testid="saliency-smooth"]');
    await popup.selectOption('[data-testid="saliency-colormap"]', 'viridis');
    const viridis = await canvasStats(popup, id);
    expect(difference(viridis.pixels, s.pixels)).toBeGreaterThan(3);
    await popup.check('[data-testid="saliency-mask"]');
    const masked = await canvasStats(popup, id);
    expect(difference(masked.pixels, viridis.pixels)).toBeGreaterThan(3);
    await screenshot(popup, 'saliency-viridis-mask');
    await popup.uncheck('[data-testid="saliency-mask"]');
    await popup.selectOption('[data-testid="saliency-colormap"]', 'inferno');
  });

  it('"Download PNG" saves the picture as a PNG', async () => {
    const [download] = await Promise.all([
      popup.waitForEvent('download'),
      popup.click('[data-testid="saliency-download"]'),
    ]);
    expect(download.suggestedFilename()).toBe('squeezelens-saliency-vanilla-monarch.png');
    const bytes = await readFile((await download.path())!);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.readUInt32BE(16)).toBe(224); // IHDR width
    expect(bytes.readUInt32BE(20)).toBe(224); // IHDR height
  });

  it('the method picker recomputes the map in the worker (Grad-CAM), and a re-run can be cancelled', async () => {
    const id = await popup.evaluate(() => document.getElementById('view')!.dataset.jobId!);
    const before = await canvasStats(popup, id);
    await popup.selectOption('[data-testid="saliency-method-picker"]', 'gradcam');
    await popup.waitForFunction(
      () =>
        document.querySelector('[data-testid="saliency-method"]')?.textContent === 'Grad-CAM' &&
        document.querySelector('[data-testid="saliency-canvas"]')?.getAttribute('data-ready') === 'true',
      null,
      { timeout: 60_000, polling: 50 },
    );
    const stored = await sw.evaluate(
      async (id) =>
        (
          (await chrome.storage.session.get('jobs')).jobs as {
            id: string;
            results: { saliency: { method: string } };
            runs: { saliency?: unknown };
          }[]
        ).find((j) => j.id === id)!,
      id,
    );
    expect(stored.results.saliency.method).toBe('gradcam');
    expect(stored.runs.saliency).toBeUndefined();
    const after = await canvasStats(popup, id);
    expect(difference(after.pixels, before.pixels)).toBeGreaterThan(3);
    expect(await popup.inputValue('[data-testid="saliency-method-picker"]')).toBe('gradcam');
    await screenshot(popup, 'saliency-gradcam');

    // A signed method: only its positive part is shown, and the panel says so.
    await popup.selectOption('[data-testid="saliency-method-picker"]', 'gradxinput');
    await popup.waitForFunction(
      () =>
        document.querySelector('[data-testid="saliency-method"]')?.textContent === 'Gradient × input' &&
        document.querySelector('[data-testid="saliency-canvas"]')?.getAttribute('data-ready') === 'true',
      null,
      { timeout: 60_000, polling: 50 },
    );
    expect(await popup.textContent('.panel-saliency .meta')).toContain('positive part');
    const gxi = await canvasStats(popup, id);
    expect(gxi.colours).toBeGreaterThan(1000);

    // SmoothGrad takes seconds: cancel it at once; the previous map stays. (Nothing slow between
    // "running" and the click: a screenshot there took long enough on CI for SmoothGrad to end first.)
    await popup.bringToFront();
    await popup.selectOption('[data-testid="saliency-method-picker"]', 'smoothgrad');
    await popup.waitForSelector('[data-testid="saliency-running"]', { timeout: 10_000 });
    // (A direct click: the panel is re-rendered on every progress update, several times a second,
    // so Playwright's wait for a stable element can outlast the run.)
    await popup.$eval('[data-testid="saliency-cancel"]', (b) => (b as HTMLButtonElement).click());
    await popup.waitForSelector('[data-testid="saliency-running"]', { state: 'detached', timeout: 20_000 });
    expect(await popup.textContent('[data-testid="saliency-method"]')).toBe('Gradient × input');
    expect(await popup.locator('[data-testid="saliency-run-error"]').count()).toBe(0);

    // Run it again and let it finish: the progress screenshot, then the SmoothGrad map.
    await popup.selectOption('[data-testid="saliency-method-picker"]', 'smoothgrad');
    await popup.waitForSelector('[data-testid="saliency-running"]', { timeout: 10_000 });
    await screenshot(popup, 'saliency-running');
    await popup.waitForFunction(
      () =>
        document.querySelector('[data-testid="saliency-method"]')?.textContent === 'SmoothGrad' &&
        document.querySelector('[data-testid="saliency-canvas"]')?.getAttribute('data-ready') === 'true',
      null,
      { timeout: 60_000, polling: 50 },
    );
    expect(await popup.locator('[data-testid="saliency-run-error"]').count()).toBe(0);
    await page.bringToFront();
  });

  it('cancelling a saliency job still works', async () => {
    await page.$eval(
      '#slow',
      (img, src) => ((img as HTMLImageElement).src = src),
      `${servers.b}/slow.jpg?id=sal-cancel`,
    );
    const id = await menuAction(sw, page, '#slow', 'saliency');
    await waitForJob(popup, id, ['fetching']);
    await popup.click('[data-testid="cancel"]');
    const view = await waitForJob(popup, id, ['cancelled']);
    expect(view.error).toBe('Cancelled.');
    expect(await popup.locator('[data-testid="saliency-canvas"]').count()).toBe(0);
    servers.release('sal-cancel');
  });
});

/**
 * Images from features in the extension, end to end in Chromium with the built extension and the
 * real context-menu listener: "Stylize with the style image" before there is one (a specific
 * error), "Use as style image" (kept in storage.local, shown in the tools, cleared from there),
 * "Stylize with the style image" (the picture forms, then view | result, its numbers, a re-run with
 * another preset), "Reconstruct from features…" (fire2, then another layer from the picker). The
 * options page's synthesis steps are set low (12) so each run takes seconds, not minutes: the
 * numbers checked are that the loss fell and the pictures are real images that differ, at the
 * picture's aspect ratio with its smallest side at 192 (the monarch 500×351: 273×192; the square
 * fixtures: 192×192).
 */
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/decode-node.js';
import { type LaunchedExtension, launchExtension } from '../helpers/browser.js';
import { type FixtureServers, startFixtureServers } from '../helpers/fixture-server.js';
import { menuAction, openFixturePage, openPopup, screenshot, waitForJob } from '../helpers/product.js';

let ext: LaunchedExtension;
let sw: Worker;
let servers: FixtureServers;
let page: Page;
let popup: Page;

const STEPS = 30; // the options page's least (SYNTHESIS_ITERATION_RANGE)

beforeAll(async () => {
  servers = await startFixtureServers();
  ext = await launchExtension({ webgpu: false });
  sw = ext.sw;
  await sw.evaluate((steps) => chrome.storage.local.set({ settings: { synthesisIterations: steps } }), STEPS);
  popup = await openPopup(ext.context, ext.extensionId);
  await popup.setViewportSize({ width: 380, height: 900 });
  page = await openFixturePage(ext.context, servers.page, { width: 1000, height: 800 });
});

afterAll(async () => {
  await ext?.close();
  await servers?.close();
});

/** A stored value of the job's (storage.session), as the worker wrote it. */
function stored<T>(key: string): Promise<T | undefined> {
  return sw.evaluate(async (key) => (await chrome.storage.session.get(key))[key] as T | undefined, key);
}

interface Loss {
  total: number;
  content: number;
  style: number;
  tv: number;
}

interface StoredJob {
  id: string;
  state: string;
  results: Record<string, unknown> & {
    invert?: { layer: string; iterations: number; start: Loss; end: Loss; backend: string };
    stylize?: { preset: string; strength: number; iterations: number; start: Loss; end: Loss };
    texture?: { iterations: number; start: Loss; end: Loss };
  };
  runs: Record<string, unknown>;
}

async function job(id: string): Promise<StoredJob> {
  return sw.evaluate(
    async (id) => ((await chrome.storage.session.get('jobs')).jobs as StoredJob[]).find((j) => j.id === id)!,
    id,
  );
}

/** Decodes a stored PNG data: URL in Node: its size and RGB bytes. */
async function pngOf(url: string | undefined): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  expect(url).toMatch(/^data:image\/png;base64,/);
  const image = decodeImage(Buffer.from(url!.slice(url!.indexOf(',') + 1), 'base64'), 'stored.png');
  const rgb = new Uint8Array(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++)
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = image.data[p * 4 + c];
  return { width: image.width, height: image.height, rgb };
}

const meanAbsDifference = (a: Uint8Array, b: Uint8Array) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
};

describe('images from features', () => {
  it('"Stylize with the style image" before any style image fails with a sentence saying how to choose one', async () => {
    const id = await menuAction(sw, page, '#same', 'stylize');
    const view = await waitForJob(popup, id);
    expect(view.state).toBe('error');
    expect(view.errorCode).toBe('no-style');
    expect(view.error).toMatch(/^There is no style image yet.*Use as style image/);
    await screenshot(popup, 'stylize-no-style');
  });

  it('"Use as style image" keeps the picture in storage.local and shows it in the tools', async () => {
    const id = await menuAction(sw, page, '#srcset', 'style');
    const view = await waitForJob(popup, id);
    expect(view.state).toBe('done');
    await popup.waitForSelector('[data-testid="style-kept"]');
    await popup.waitForSelector('[data-testid="style-tool"]');
    expect(await popup.textContent('[data-testid="style-label"]')).toBe(view.top1Label);
    const kept = await sw.evaluate(async () => (await chrome.storage.local.get('styleImage')).styleImage);
    const png = await pngOf((kept as { png: string }).png);
    expect([png.width, png.height]).toEqual([192, 192]); // the golf ball (224×224), whole at 192
    await screenshot(popup, 'style-kept');
  });

  it('"Stylize with the style image" shows the picture forming, then view | result; a re-run with another preset', async () => {
    const id = await menuAction(sw, page, '#same', 'stylize');
    await waitForJob(popup, id, ['synthesizing']);
    const view = await waitForJob(popup, id, ['done', 'error'], 120_000);
    expect(view.error).toBeNull();
    expect(view.top1Label).toBe('monarch');
    await popup.waitForSelector('[data-testid="stylize-image"]');
    const first = (await job(id)).results.stylize!;
    expect(first).toMatchObject({ preset: 'composition-vii', strength: 1, iterations: STEPS });
    expect(first.end.style).toBeLessThan(first.start.style / 1.5);
    const original = await pngOf(await stored<string>(`view:${id}`));
    const styled = await pngOf(await stored<string>(`stylize:${id}`));
    // the monarch (500×351) whole at its aspect ratio, smallest side 192; the result has its size
    expect([original.width, original.height]).toEqual([273, 192]);
    expect([styled.width, styled.height]).toEqual([273, 192]);
    // It changed the picture, and not into noise: the mean change is a few to some tens of levels.
    const change = meanAbsDifference(original.rgb, styled.rgb);
    console.log(
      `style transfer, ${STEPS} steps: style loss ${first.start.style.toPrecision(4)} → ${first.end.style.toPrecision(4)}, mean |Δ| ${change.toFixed(1)}`,
    );
    expect(change).toBeGreaterThan(2);
    expect(change).toBeLessThan(80);
    expect(await stored(`preview:${id}`)).toBeUndefined(); // the live preview went with the run
    expect(await popup.textContent('[data-testid="stylize-result"]')).toContain('Composition VII ×1');
    await screenshot(popup, 'stylize-result');

    await popup.selectOption('[data-testid="stylize-preset"]', 'scream');
    await popup.fill('[data-testid="stylize-strength"]', '2');
    await popup.click('[data-testid="stylize-start"]');
    await popup.waitForSelector('[data-testid="stylize-running"]', { timeout: 10_000 });
    await popup.waitForSelector('[data-testid="stylize-running"]', { state: 'detached', timeout: 120_000 });
    const again = (await job(id)).results.stylize!;
    expect(again).toMatchObject({ preset: 'scream', strength: 2 });
    expect(again.end.style).toBeLessThan(again.start.style);
    expect(await popup.locator('[data-testid="stylize-error"]').count()).toBe(0);
    expect(await popup.textContent('[data-testid="stylize-result"]')).toContain('The Scream ×2');
  });

  it('"Reconstruct from features…" rebuilds the view from fire2, then from the layer picked', async () => {
    const id = await menuAction(sw, page, '#picture', 'invert');
    const view = await waitForJob(popup, id, ['done', 'error'], 120_000);
    expect(view.error).toBeNull();
    await popup.waitForSelector('[data-testid="invert-image"]');
    const first = (await job(id)).results.invert!;
    expect(first).toMatchObject({ layer: 'fire2', iterations: STEPS });
    expect(first.end.content).toBeLessThan(first.start.content / 2); // 2.9× measured at 30 steps
    expect(first.backend).toMatch(/wasm/);
    await screenshot(popup, 'invert-fire2');

    await popup.selectOption('[data-testid="invert-layer"]', 'fire6');
    await popup.click('[data-testid="invert-start"]');
    await popup.waitForSelector('[data-testid="invert-running"]', { timeout: 10_000 });
    await popup.waitForSelector('[data-testid="invert-running"]', { state: 'detached', timeout: 120_000 });
    const again = (await job(id)).results.invert!;
    expect(again.layer).toBe('fire6');
    expect(again.end.content).toBeLessThan(again.start.content / 1.5); // 2.2× measured at 30 steps
    const image = await pngOf(await stored<string>(`invert:${id}`));
    expect([image.width, image.height]).toEqual([192, 192]); // the tench (224×224), whole at 192
    expect(await popup.textContent('[data-testid="invert-result"]')).toMatch(/^fire6 · 30 steps · content loss/);
  });

  it("the style image's texture: a job of its own from the tools, from noise to the style's Gram matrices", async () => {
    const before = await sw.evaluate(
      async () => ((await chrome.storage.session.get('jobs')).jobs as { id: string }[]).length,
    );
    await popup.click('[data-testid="texture-start"]');
    const id = await sw.evaluate(async (n) => {
      for (let i = 0; i < 200; i++) {
        const jobs = (await chrome.storage.session.get('jobs')).jobs as { id: string; kind: string }[];
        if (jobs.length > n && jobs[jobs.length - 1].kind === 'texture') return jobs[jobs.length - 1].id;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('no texture job');
    }, before);
    const view = await waitForJob(popup, id, ['done', 'error'], 180_000);
    expect(view.error).toBeNull();
    await popup.waitForSelector('[data-testid="texture-image"]');
    const info = (await job(id)).results.texture!;
    expect(info.iterations).toBe(STEPS);
    console.log(
      `texture, ${STEPS} steps: style loss ${info.start.style.toPrecision(4)} → ${info.end.style.toPrecision(4)}`,
    );
    expect(info.end.style).toBeLessThan(info.start.style / 3);
    const image = await pngOf(await stored<string>(`texture:${id}`));
    expect([image.width, image.height]).toEqual([192, 192]); // the style image's size
    await screenshot(popup, 'texture');
  });

  it("the options page's picture size: 256 → the next inversion works on the whole picture at smallest side 256", async () => {
    const options = await ext.context.newPage();
    await options.goto(`chrome-extension://${ext.extensionId}/options.html`);
    expect(await options.isChecked('input[name="synthesisSize"][value="192"]')).toBe(true); // the default
    await options.check('input[name="synthesisSize"][value="256"]');
    await options.waitForFunction(
      async () =>
        ((await chrome.storage.local.get('settings')).settings as { synthesisSize?: number } | undefined)
          ?.synthesisSize === 256,
      null,
      { polling: 50 },
    );
    // the steps set at the start survived the change (the page saves every setting it shows)
    const settings = await sw.evaluate(async () => (await chrome.storage.local.get('settings')).settings);
    expect(settings).toMatchObject({ synthesisIterations: STEPS, synthesisSize: 256 });
    await screenshot(options, 'options-size');
    await options.close();
    await page.bringToFront();
    const id = await menuAction(sw, page, '#same', 'invert');
    const view = await waitForJob(popup, id, ['done', 'error'], 120_000);
    expect(view.error).toBeNull();
    const original = await pngOf(await stored<string>(`view:${id}`));
    const rebuilt = await pngOf(await stored<string>(`invert:${id}`));
    // the monarch (500×351) whole at smallest side 256: ⌊500·256/351⌋ × 256
    expect([original.width, original.height]).toEqual([364, 256]);
    expect([rebuilt.width, rebuilt.height]).toEqual([364, 256]);
    const info = (await job(id)).results.invert!;
    expect(info.end.content).toBeLessThan(info.start.content / 2);
    await sw.evaluate((steps) => chrome.storage.local.set({ settings: { synthesisIterations: steps } }), STEPS);
  });

  it('the style image is cleared from the tools', async () => {
    await popup.click('[data-testid="style-clear"]');
    await popup.waitForSelector('[data-testid="style-tool"]', { state: 'detached' });
    const kept = await sw.evaluate(async () => (await chrome.storage.local.get('styleImage')).styleImage);
    expect(kept).toBeUndefined();
  });
});

/**
 * "What does each layer keep?" in the extension, end to end in Chromium with the built extension:
 * "Reconstruct from features…" on a page image (the real menu listener), then the panel's
 * "Compare layers": one queued task with one progress line naming the layer, the picture forming,
 * Cancel (which leaves the job as it was), and a full run that shows the five reconstructions side
 * by side under their names, each downloadable, with each layer's content loss lower than at the
 * start. The options' synthesis steps are set to their least (30) so the five runs take seconds.
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
const LAYERS = ['conv1', 'fire2', 'fire4', 'fire6', 'fire8'];

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

function stored<T>(key: string): Promise<T | undefined> {
  return sw.evaluate(async (key) => (await chrome.storage.session.get(key))[key] as T | undefined, key);
}

interface LayersInfo {
  iterations: number;
  ms: number;
  backend: string;
  layers: { layer: string; start: number; end: number }[];
}

interface StoredJob {
  id: string;
  results: { invert?: { layer: string }; layers?: LayersInfo };
  runs: Record<string, { state: string; progress?: string } | undefined>;
}

async function job(id: string): Promise<StoredJob> {
  return sw.evaluate(
    async (id) => ((await chrome.storage.session.get('jobs')).jobs as StoredJob[]).find((j) => j.id === id)!,
    id,
  );
}

/** A stored PNG data: URL decoded in Node: its size and RGB bytes. */
function rgbOf(url: string | undefined): { width: number; height: number; rgb: Uint8Array } {
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

describe('"Compare layers" (what does each layer keep?)', () => {
  let id: string;

  it('starts from a finished reconstruction; Cancel stops it and leaves the job as it was', async () => {
    id = await menuAction(sw, page, '#same', 'invert'); // the monarch, 500×351: not square
    const view = await waitForJob(popup, id, ['done', 'error'], 120_000);
    expect(view.error).toBeNull();
    await popup.waitForSelector('[data-testid="invert-image"]');
    expect(await popup.locator('[data-testid="layers-pictures"]').count()).toBe(0);

    await popup.click('[data-testid="layers-start"]');
    await popup.waitForSelector('[data-testid="layers-running"]', { timeout: 10_000 });
    // one progress line naming the layer being rebuilt, and the picture as it forms
    await popup.waitForFunction(
      () =>
        // any layer's line: conv1's 30 steps can end between two throttled progress writes
        /^(conv1|fire2|fire4|fire6|fire8): step \d+ of 30$/.test(
          document.querySelector('[data-testid="layers-progress"]')?.textContent ?? '',
        ),
      undefined,
      { timeout: 60_000 },
    );
    await popup.waitForSelector('[data-testid="layers-preview"]:not([hidden])', { timeout: 60_000 });
    expect(await popup.isDisabled('[data-testid="invert-start"]')).toBe(true); // one thing at a time on a job
    const cancel = await popup.$('[data-testid="layers-cancel"]');
    await popup.waitForTimeout(600); // several progress writes: Cancel must stay the same element
    expect(await cancel!.evaluate((el) => el.isConnected)).toBe(true);
    await screenshot(popup, 'layers-running');
    await cancel!.click();
    await popup.waitForSelector('[data-testid="layers-running"]', { state: 'detached', timeout: 30_000 });
    const after = await job(id);
    expect(after.runs.layers).toBeUndefined();
    expect(after.results.layers).toBeUndefined();
    expect(after.results.invert?.layer).toBe('fire2');
    expect(await stored(`layers:${id}`)).toBeUndefined();
    expect(await popup.locator('[data-testid="layers-error"]').count()).toBe(0);
  });

  it('shows the five reconstructions side by side, named, each downloadable, each content loss lower', async () => {
    await popup.click('[data-testid="layers-start"]');
    await popup.waitForSelector('[data-testid="layers-running"]', { timeout: 10_000 });
    const seen = new Set<string>();
    // progress names each layer in turn (sampled: the line is written at most 4 times a second)
    const deadline = Date.now() + 240_000;
    while ((await popup.locator('[data-testid="layers-running"]').count()) && Date.now() < deadline) {
      const line = (await popup.textContent('[data-testid="layers-progress"]').catch(() => '')) ?? '';
      const m = /^(\w+): step (\d+) of 30$/.exec(line);
      if (m) seen.add(m[1]);
      await popup.waitForTimeout(200);
    }
    expect([...seen].every((l) => LAYERS.includes(l))).toBe(true);
    expect(seen.size).toBeGreaterThanOrEqual(3);
    await popup.waitForSelector('[data-testid="layers-pictures"]', { timeout: 10_000 });

    const info = (await job(id)).results.layers!;
    expect(info.iterations).toBe(STEPS);
    expect(info.backend).toMatch(/wasm/);
    expect(info.layers.map((l) => l.layer)).toEqual(LAYERS);
    for (const l of info.layers) {
      console.log(`${l.layer}: content loss ${l.start.toPrecision(4)} → ${l.end.toPrecision(4)}`);
      expect(l.end).toBeLessThan(l.start);
    }
    expect(await stored(`preview:${id}`)).toBeUndefined(); // the live preview went with the run

    // Shown side by side, in order, under their names, each with its own download.
    const captions = await popup.$$eval('[data-testid="layers-pictures"] figcaption', (els) =>
      els.map((e) => e.textContent),
    );
    expect(captions).toEqual(LAYERS);
    const boxes = await Promise.all(LAYERS.map((l) => popup.locator(`[data-testid="layers-${l}"] img`).boundingBox()));
    for (let k = 1; k < boxes.length; k++) {
      expect(boxes[k]!.y).toBeCloseTo(boxes[0]!.y, 0); // one row
      expect(boxes[k]!.x).toBeGreaterThan(boxes[k - 1]!.x + boxes[k - 1]!.width - 1);
    }
    const pictures = await stored<Record<string, string>>(`layers:${id}`);
    // Five noisy PNGs in storage.session (10 MB for the last 20 jobs): they must leave room for others.
    const chars = Object.values(pictures ?? {}).reduce((sum, url) => sum + url.length, 0);
    console.log(`stored pictures: ${(chars / 2 ** 20).toFixed(2)} MB of data: URLs`);
    expect(chars).toBeLessThan(2 * 2 ** 20);
    const viewRgb = rgbOf(await stored<string>(`view:${id}`)).rgb;
    const images = LAYERS.map((l) => rgbOf(pictures?.[l]));
    for (const [k, l] of LAYERS.entries()) {
      expect([images[k].width, images[k].height]).toEqual([273, 192]); // whole, smallest side 192
      const link = popup.locator(`[data-testid="layers-download-${l}"]`);
      expect(await link.getAttribute('href')).toBe(pictures![l]);
      expect(await link.getAttribute('download')).toMatch(new RegExp(`-from-${l}\\.png$`));
    }
    // Deeper layers keep less of the picture: conv1's reconstruction is the closest to the view.
    const distances = images.map((im) => meanAbsDifference(im.rgb, viewRgb));
    console.log(`mean |Δ| from the view: ${distances.map((d) => d.toFixed(1)).join(', ')}`);
    expect(Math.min(...distances)).toBe(distances[0]);
    expect(distances[4]).toBeGreaterThan(distances[0] * 1.5);
    expect(await popup.textContent('[data-testid="layers-result"]')).toMatch(/^30 steps per layer · content loss down/);
    await popup.locator('[data-testid="layers-pictures"]').scrollIntoViewIfNeeded();
    await screenshot(popup, 'layers-done');
  });
});

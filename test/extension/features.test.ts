/**
 * More images from features in the extension, end to end in Chromium with the built extension:
 * channel visualization from the tools (a job of its own; the channel's activation rises), a fooling
 * image from noise beside a class visualization (≥ 99 % on the saved 8-bit image, which the Node
 * engine confirms independently), and "Cut out the object" (the cut-out's transparency is the mask;
 * "Show on page" dims the rest of the image on the page).
 */
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/decode-node.js';
import { loadEngineNode } from '../../src/engine/node.js';
import { normalize } from '../../src/engine/preprocess.js';
import { argmax } from '../../src/shared/numeric.js';
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
  await popup.setViewportSize({ width: 380, height: 900 });
  page = await openFixturePage(ext.context, servers.page, { width: 1000, height: 800 });
});

afterAll(async () => {
  await ext?.close();
  await servers?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: job records read back from storage in tests
async function job(id: string): Promise<any> {
  return sw.evaluate(
    async (id) => ((await chrome.storage.session.get('jobs')).jobs as { id: string }[]).find((j) => j.id === id)!,
    id,
  );
}

function stored<T>(key: string): Promise<T | undefined> {
  return sw.evaluate(async (key) => (await chrome.storage.session.get(key))[key] as T | undefined, key);
}

const pngBytes = (url: string) => new Uint8Array(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));

/** The newest job's id once a job of `kind` newer than `count` jobs appears. */
async function newJob(kind: string, count: number): Promise<string> {
  return sw.evaluate(
    async ({ kind, count }) => {
      for (let i = 0; i < 400; i++) {
        const jobs = (await chrome.storage.session.get('jobs')).jobs as { id: string; kind: string }[] | undefined;
        const last = jobs?.[jobs.length - 1];
        if (jobs && jobs.length > count && last?.kind === kind) return last.id;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no ${kind} job`);
    },
    { kind, count },
  );
}

const jobCount = () =>
  sw.evaluate(async () => (((await chrome.storage.session.get('jobs')).jobs ?? []) as unknown[]).length);

describe('channel visualization, fooling from noise, cut-out', () => {
  it('the channel tool starts a job whose picture raises the channel', async () => {
    const before = await jobCount();
    await popup.click('[data-testid="channel-tool"] summary');
    await popup.selectOption('[data-testid="channel-layer"]', 'fire6');
    await popup.fill('[data-testid="channel-index"]', '17');
    await popup.fill('[data-testid="channel-steps"]', '24');
    await popup.click('[data-testid="channel-start"]');
    const id = await newJob('channel', before);
    await waitForJob(popup, id, ['done', 'error'], 180_000);
    await popup.waitForSelector('[data-testid="channel-image"]');
    const info = (await job(id)).results.channel;
    expect(info).toMatchObject({ layer: 'fire6', channel: 17, neuron: false, steps: 24 });
    console.log(`fire6 channel 17, 24 steps: ${info.objectiveStart.toFixed(1)} → ${info.objectiveEnd.toFixed(1)}`);
    expect(info.objectiveEnd).toBeGreaterThan(info.objectiveStart + 20);
    expect(await popup.textContent('[data-testid="channel-result"]')).toMatch(/^24 steps · activation/);
    await screenshot(popup, 'channel');
    // A channel the layer does not have: refused by the worker, saying the layer's range; no job.
    await popup.fill('[data-testid="channel-index"]', '999');
    const before2 = await jobCount();
    await popup.click('[data-testid="channel-start"]');
    await popup.waitForSelector('[data-testid="channel-start-error"]');
    expect(await popup.textContent('[data-testid="channel-start-error"]')).toMatch(/fire6 has 384 channels \(0–383\)/);
    expect(await jobCount()).toBe(before2);
    await popup.fill('[data-testid="channel-index"]', '17');
  });

  it('beside a class visualization, noise SqueezeNet calls the class at ≥ 99 % (checked again in Node)', async () => {
    const before = await jobCount();
    await popup.click('[data-testid="visualize-tool"] summary');
    await popup.fill('[data-testid="visualize-search"]', 'gorilla');
    await popup.click('[data-testid="visualize-results"] button:text-is("gorilla")');
    await popup.fill('[data-testid="visualize-iterations"]', '20');
    await popup.click('[data-testid="visualize-start"]');
    const id = await newJob('visualize', before);
    await waitForJob(popup, id, ['done'], 120_000);
    await popup.click('[data-testid="noise-start"]');
    await popup.waitForSelector('[data-testid="noise-image"]', { timeout: 180_000 });
    const info = (await job(id)).results.noise;
    expect(info.success).toBe(true);
    expect(info.probability).toBeGreaterThanOrEqual(0.99);
    const png = (await stored<string>(`noise:${id}`))!;
    const image = decodeImage(pngBytes(png), 'noise.png');
    const rgb = new Uint8ClampedArray(224 * 224 * 3);
    for (let p = 0; p < 224 * 224; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = image.data[p * 4 + c];
    const engine = await loadEngineNode({ backend: 'wasm' });
    try {
      const probs = await engine.classifier.probabilities(normalize(rgb));
      console.log(`noise → p(gorilla) ${probs[366].toFixed(4)} in Node (worker: ${info.probability.toFixed(4)})`);
      expect(argmax(probs)).toBe(366);
      expect(probs[366]).toBeGreaterThanOrEqual(0.99);
    } finally {
      engine.model.dispose();
    }
    await screenshot(popup, 'noise-fool');
  });

  it('"Cut out the object": a cut-out transparent outside the mask, and the rest dimmed on the page', async () => {
    const id = await menuAction(sw, page, '#same', 'segment');
    const view = await waitForJob(popup, id, ['done', 'error'], 120_000);
    expect(view.error).toBeNull();
    await popup.waitForSelector('[data-testid="segment-cutout"]');
    const info = (await job(id)).results.segment;
    expect(info.label).toBe('monarch');
    expect(info.foregroundFraction).toBeGreaterThan(0.05);
    expect(info.foregroundFraction).toBeLessThan(0.95);
    const data = (await stored<{ cutout: string; overlay: string; view: string }>(`segment:${id}`))!;
    const cut = decodeImage(pngBytes(data.cutout), 'cut.png');
    expect([cut.width, cut.height]).toEqual([224, 224]);
    let opaque = 0;
    for (let p = 0; p < 224 * 224; p++) if (cut.data[p * 4 + 3] === 255) opaque++;
    expect(opaque / (224 * 224)).toBeCloseTo(info.foregroundFraction, 3);
    await screenshot(popup, 'segment');
    await popup.click('[data-testid="segment-show-on-page"]');
    await page.waitForSelector('[data-squeezelens-overlay]', { state: 'attached' });
    expect(await popup.textContent('[data-testid="segment-show-on-page"]')).toBe('Remove from page');
    await popup.click('[data-testid="segment-show-on-page"]');
    await page.waitForSelector('[data-squeezelens-overlay]', { state: 'detached' });
  });
});

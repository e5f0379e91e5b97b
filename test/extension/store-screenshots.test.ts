/**
 * The store screenshots (1280×800, the Chrome Web Store's and AMO's size), made from the demo page
 * through the real product: the page as the user sees it, with the popup laid over its right side.
 * Four: classification, a saliency map shown on the page, a fooling image replaced on the page,
 * and a style transfer. Written to test-results/store/*.png (docs/store.md lists them); each is
 * checked to be 1280×800 and not blank. `npm run screenshots` (SQUEEZELENS_README_SHOTS=1) also
 * writes them as JPEG (quality 80, ~1/5 of the PNG's bytes) to docs/screenshots/, the README's
 * pictures, which are committed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../esbuild.config.js';
import { type DemoServer, startDemoServer } from '../../scripts/demo-server.js';
import { decodeImage } from '../../src/engine/decode-node.js';
import { type LaunchedExtension, launchExtension } from '../helpers/browser.js';
import { menuAction, openPopup, waitForJob } from '../helpers/product.js';

const STORE = join(ROOT, 'test-results', 'store');
const README_SHOTS = process.env.SQUEEZELENS_README_SHOTS ? join(ROOT, 'docs', 'screenshots') : null;
const WIDTH = 1280;
const HEIGHT = 800;

let ext: LaunchedExtension;
let sw: Worker;
let demo: DemoServer;
let page: Page;
let popup: Page;
let frame: Page;

beforeAll(async () => {
  demo = await startDemoServer();
  ext = await launchExtension({ webgpu: false });
  sw = ext.sw;
  // Style transfer in the screenshot: 60 steps (a minute here), enough for the style to show.
  await sw.evaluate(() => chrome.storage.local.set({ settings: { synthesisIterations: 60 } }));
  page = await ext.context.newPage();
  await page.setViewportSize({ width: WIDTH, height: HEIGHT });
  await page.goto(demo.url);
  popup = await openPopup(ext.context, ext.extensionId);
  await popup.setViewportSize({ width: 380, height: 760 });
  frame = await ext.context.newPage();
  await frame.setViewportSize({ width: WIDTH, height: HEIGHT });
  await mkdir(STORE, { recursive: true });
  if (README_SHOTS) await mkdir(README_SHOTS, { recursive: true });
});

afterAll(async () => {
  await ext?.close();
  await demo?.close();
});

const photo = (name: string) => `img[alt*="${name}"]`;

/** The page, with the popup (scrolled to `anchor`) over its right side, as one 1280×800 PNG. */
async function storeShot(name: string, anchor: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await popup.evaluate((sel) => document.querySelector(sel)?.scrollIntoView({ block: 'start' }), anchor);
  const pageShot = (await page.screenshot()).toString('base64');
  const popupShot = (await popup.screenshot()).toString('base64');
  await frame.setContent(
    `<body style="margin:0;width:${WIDTH}px;height:${HEIGHT}px;overflow:hidden;position:relative;background:#fff">` +
      `<img src="data:image/png;base64,${pageShot}" style="position:absolute;left:0;top:0">` +
      `<img src="data:image/png;base64,${popupShot}" style="position:absolute;right:24px;top:20px;` +
      'border-radius:10px;box-shadow:0 8px 28px #0006,0 0 0 1px #0002"></body>',
  );
  await frame.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
  const path = join(STORE, `${name}.png`);
  await writeFile(path, await frame.screenshot());
  if (README_SHOTS)
    await writeFile(join(README_SHOTS, `${name}.jpg`), await frame.screenshot({ type: 'jpeg', quality: 80 }));
  const image = decodeImage(new Uint8Array(await readFile(path)), path);
  expect([image.width, image.height]).toEqual([WIDTH, HEIGHT]);
  let min = 255;
  let max = 0;
  for (let i = 0; i < image.data.length; i += 4 * 97) {
    min = Math.min(min, image.data[i]);
    max = Math.max(max, image.data[i]);
  }
  expect(max - min).toBeGreaterThan(100);
}

describe('store screenshots (1280×800)', () => {
  it('classification', async () => {
    // (Photos in the left three columns: the popup covers the fourth.)
    const id = await menuAction(sw, page, photo('padlock'), 'classify');
    expect((await waitForJob(popup, id)).top1Label).toBe('padlock');
    await storeShot('1-classification', '#view');
  });

  it('a saliency map on the page', async () => {
    const id = await menuAction(sw, page, photo('great_grey_owl'), 'saliency');
    await waitForJob(popup, id);
    await popup.waitForSelector('[data-testid="saliency-canvas"][data-ready="true"]');
    await popup.click('[data-testid="saliency-show-on-page"]');
    await page.waitForSelector('[data-squeezelens-overlay]', { state: 'attached' });
    await storeShot('2-saliency-on-page', '[data-testid="saliency"]');
    await popup.click('[data-testid="saliency-remove-from-page"]');
    await page.waitForSelector('[data-squeezelens-overlay]', { state: 'detached' });
  });

  it('a fooling image, replaced on the page', async () => {
    const id = await menuAction(sw, page, photo('airliner'), 'fool');
    await waitForJob(popup, id);
    await popup.fill('[data-testid="fool-target-search"]', 'gorilla');
    await popup.click('[data-testid="fool-target-results"] button:text-is("gorilla")');
    await popup.click('[data-testid="fool-start"]');
    await popup.waitForSelector('[data-testid="fool-result"]', { timeout: 120_000 });
    await popup.click('[data-testid="fool-replace"]');
    await popup.waitForSelector('[data-testid="fool-restore"]');
    await storeShot('3-fooling-image', '[data-testid="fool-result"]');
  });

  it('a style transfer', async () => {
    const style = await menuAction(sw, page, photo('church'), 'style');
    await waitForJob(popup, style);
    const id = await menuAction(sw, page, photo('golden_retriever'), 'stylize');
    await waitForJob(popup, id, ['done', 'error'], 240_000);
    await popup.waitForSelector('[data-testid="stylize-image"]');
    await storeShot('4-style-transfer', '[data-testid="stylize"]');
  });
});

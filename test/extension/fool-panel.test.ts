/**
 * The popup's fooling panel, in-page actions and tools, end to end in Chromium with the built
 * extension: "Make a fooling image…" on a photo (the real context-menu listener) → pick a target by
 * searching the 1000 classes → the worker's attack, with progress → original / fooled / differences
 * and the numbers → the downloadable PNG re-classifies as the target (in Node, independently) →
 * "Replace on page", and right-clicking the page image again gives the target. Also: a long attack's
 * Cancel button stays the same element while progress arrives (the popup updates panels in place);
 * "show on page" for a saliency map, aligned with the image through scrolling and resizing; the
 * sanity check's flag; DeepDream; class visualization with live progress.
 */
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/decode-node.js';
import { loadEngineNode, type NodeEngine } from '../../src/engine/node.js';
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

const GORILLA = 366;

async function pickTarget(popup: Page, query: string, label: string): Promise<void> {
  await popup.fill('[data-testid="fool-target-search"]', query);
  await popup.click(`[data-testid="fool-target-results"] button:text-is("${label}")`);
  await popup.waitForFunction(
    (label) => document.querySelector('[data-testid="fool-target"]')?.textContent === label,
    label,
    { polling: 50 },
  );
}

describe('fooling panel', () => {
  let fooledPng = '';

  const makesFoolingImage =
    'makes a fooling image for a searched target; the four pictures, the numbers ' +
    'and a PNG that re-classifies as the target';
  it(makesFoolingImage, async () => {
    const id = await menuAction(sw, page, '#same', 'fool');
    const view = await waitForJob(popup, id);
    expect(view.state).toBe('done');
    expect(view.top1Label).toBe('monarch');
    await popup.waitForSelector('[data-testid="fool-target-search"]');
    expect(await popup.isDisabled('[data-testid="fool-start"]')).toBe(true); // no target yet
    await screenshot(popup, 'fool-form');

    // The search ranks whole-label matches first and shows the class names.
    await popup.fill('[data-testid="fool-target-search"]', 'gorill');
    const offered = await popup.$$eval('[data-testid="fool-target-results"] button', (bs) =>
      bs.map((b) => b.textContent),
    );
    expect(offered).toContain('gorilla');
    await popup.fill('[data-testid="fool-target-search"]', 'no such thing at all');
    expect(await popup.textContent('[data-testid="fool-target-results"]')).toMatch(/No ImageNet class matches/);
    await pickTarget(popup, 'gorilla', 'gorilla');
    // A real popup is at most 600 px tall: the result arrives below the fold and is scrolled to.
    await popup.setViewportSize({ width: 380, height: 600 });
    await popup.evaluate(() => window.scrollTo(0, 0));
    expect(await popup.inputValue('[data-testid="fool-method"]')).toBe('cs231n');
    expect(await popup.inputValue('[data-testid="fool-confidence"]')).toBe('0.9');
    await popup.click('[data-testid="fool-start"]');

    await popup.waitForSelector('[data-testid="fool-result"]', { timeout: 60_000 });
    await popup.waitForFunction(
      () => {
        const r = document.querySelector('[data-testid="fool-result"]')!.getBoundingClientRect();
        return r.top >= -1 && r.bottom <= innerHeight + 1; // ±1 px: scrolling snaps to whole pixels
      },
      null,
      { polling: 50, timeout: 5_000 },
    );
    await popup.setViewportSize({ width: 380, height: 900 });
    const result = await popup.$eval('[data-testid="fool-result"]', (el) => ({
      text: el.textContent,
      success: el.getAttribute('data-success'),
      label: el.getAttribute('data-label'),
    }));
    expect(result.success).toBe('true');
    expect(result.label).toBe('gorilla');
    expect(result.text).toMatch(/^Fooled: SqueezeNet now sees “gorilla”/);
    const numbers = await popup.textContent('[data-testid="fool-numbers"]');
    expect(numbers).toMatch(/\d+ steps? · L∞ \d+\/255 · L2 \d+ · \d+\s?% of pixels changed · P\(gorilla\)/);
    await popup.waitForSelector('[data-testid="fool-difference-10x"][data-ready="true"]');
    const pictures = await popup.evaluate(() => {
      const fooled = document.querySelector('[data-testid="fooled-image"]') as HTMLImageElement;
      const stats = (sel: string) => {
        const c = document.querySelector(sel) as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let off = 0;
        for (let i = 0; i < d.length; i += 4)
          off = Math.max(off, Math.abs(d[i] - 128), Math.abs(d[i + 1] - 128), Math.abs(d[i + 2] - 128));
        return off;
      };
      return {
        src: fooled.src,
        complete: fooled.complete && fooled.naturalWidth === 224,
        diff: stats('[data-testid="fool-difference"]'),
        diff10: stats('[data-testid="fool-difference-10x"]'),
        href: (document.querySelector('[data-testid="fool-download"]') as HTMLAnchorElement).href,
      };
    });
    expect(pictures.complete).toBe(true);
    expect(pictures.href).toBe(pictures.src); // the download is the verified image
    // The difference is small (within L∞) and the ×10 view magnifies it.
    const linf = Number(/L∞ (\d+)\/255/.exec(numbers!)![1]);
    expect(pictures.diff).toBe(Math.min(linf, 127));
    expect(pictures.diff10).toBeGreaterThan(pictures.diff);
    fooledPng = pictures.src;
    await screenshot(popup, 'fool-result');

    const stored = await sw.evaluate(
      async (id) =>
        (
          (await chrome.storage.session.get('jobs')).jobs as {
            id: string;
            results: {
              fool?: {
                success: boolean;
                confidence: number;
                target: { index: number };
                reclassified: { index: number; prob: number };
              };
            };
          }[]
        ).find((j) => j.id === id)!.results.fool!,
      id,
    );
    expect(stored.success).toBe(true);
    // The popup asks for a confident answer by default: ≥ 90 % for the target, from the PNG's bytes.
    expect(stored.confidence).toBe(0.9);
    expect(stored.reclassified.prob).toBeGreaterThanOrEqual(0.9);
    expect(stored.target.index).toBe(GORILLA);
    expect(stored.reclassified.index).toBe(GORILLA);
  });

  const nodeReclassifies =
    'the downloaded PNG is classified as the target by the Node engine too (an independent decoder and backend)';
  it(nodeReclassifies, async () => {
    expect(fooledPng.startsWith('data:image/png;base64,')).toBe(true);
    const image = decodeImage(Buffer.from(fooledPng.slice(fooledPng.indexOf(',') + 1), 'base64'), 'fooled.png');
    expect([image.width, image.height]).toEqual([224, 224]);
    let engine: NodeEngine | undefined;
    try {
      engine = await loadEngineNode({ backend: 'wasm' });
      const rgb = new Uint8ClampedArray(224 * 224 * 3);
      for (let p = 0; p < 224 * 224; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = image.data[p * 4 + c];
      const probs = await engine.classifier.probabilities(normalize(rgb));
      expect(engine.labels[argmax(probs)]).toBe('gorilla');
    } finally {
      engine?.model.dispose();
    }
  });

  const replaceAndRestore =
    '"Replace on page" swaps the page image; right-clicking it again gives the target; ' +
    '"Restore" brings the original back';
  it(replaceAndRestore, async () => {
    const before = await page.$eval('#same', (img) => ({
      src: (img as HTMLImageElement).currentSrc,
      w: img.getBoundingClientRect().width,
      h: img.getBoundingClientRect().height,
    }));
    await popup.click('[data-testid="fool-replace"]');
    await popup.waitForSelector('[data-testid="fool-restore"]');
    expect(await popup.textContent('[data-testid="fool-page-status"]')).toMatch(/page now shows the fooled image/);
    await page.waitForFunction(
      () => (document.querySelector('#same') as HTMLImageElement).currentSrc.startsWith('data:image/png'),
      null,
      { polling: 50 },
    );
    const after = await page.$eval('#same', (img) => ({
      src: (img as HTMLImageElement).currentSrc,
      w: img.getBoundingClientRect().width,
      h: img.getBoundingClientRect().height,
    }));
    expect(after.src).toBe(fooledPng);
    expect(Math.abs(after.w - before.w)).toBeLessThan(1); // the layout does not move
    expect(Math.abs(after.h - before.h)).toBeLessThan(1);
    await page.screenshot({ path: 'test-results/screenshots/page-replaced.png' });

    const again = await menuAction(sw, page, '#same', 'classify');
    const view = await waitForJob(popup, again);
    expect(view.error).toBeNull();
    expect(view.top1Label).toBe('gorilla');
    await screenshot(popup, 'fool-reclassified');

    // Back to the fooling job, restore.
    await popup.evaluate(() => (document.querySelector('#history button') as HTMLButtonElement).click());
    await popup.waitForSelector('[data-testid="fool-restore"]');
    await popup.click('[data-testid="fool-restore"]');
    await popup.waitForSelector('[data-testid="fool-replace"]');
    await page.waitForFunction(
      (src) => (document.querySelector('#same') as HTMLImageElement).currentSrc === src,
      before.src,
      { polling: 50 },
    );
  });

  const cancelStaysPut =
    "a long attack's Cancel button stays the same element while progress arrives, and cancelling leaves no result";
  it(cancelStaysPut, async () => {
    const id = await menuAction(sw, page, '#srcset', 'fool');
    await waitForJob(popup, id);
    // In a background tab every click and screenshot waits 1–2 s for a frame, about half the attack.
    await popup.bringToFront();
    await popup.waitForSelector('[data-testid="fool-least-likely"]');
    await popup.click('[data-testid="fool-least-likely"]');
    // PGD with the smallest budget toward the least likely class does not succeed: it runs all 40 steps (~3 s).
    await popup.selectOption('[data-testid="fool-method"]', 'pgd');
    await popup.fill('[data-testid="fool-budget"]', '0.5');
    await popup.click('[data-testid="fool-start"]');
    const cancel = await popup.waitForSelector('[data-testid="fool-cancel"]', { timeout: 20_000 });
    await popup.waitForFunction(
      () => /step \d+ of 40/.test(document.querySelector('[data-testid="fool-progress"]')?.textContent ?? ''),
      null,
      { polling: 50, timeout: 20_000 },
    );
    const first = await popup.textContent('[data-testid="fool-progress"]');
    await popup.waitForFunction(
      (first) => document.querySelector('[data-testid="fool-progress"]')?.textContent !== first,
      first,
      { polling: 50, timeout: 20_000 },
    );
    await screenshot(popup, 'fool-running');
    // Several progress writes later, the button the user aims at is still in the document.
    expect(await cancel.evaluate((b) => b.isConnected)).toBe(true);
    await cancel.evaluate((b) => (b as HTMLButtonElement).click()); // that very element
    await page.bringToFront();
    await popup.waitForSelector('[data-testid="fool-running"]', { state: 'detached', timeout: 20_000 });
    expect(await popup.locator('[data-testid="fool-result"]').count()).toBe(0);
    expect(await popup.locator('[data-testid="fool-run-error"]').count()).toBe(0);
    const job = await sw.evaluate(
      async (id) =>
        (
          (await chrome.storage.session.get('jobs')).jobs as {
            id: string;
            results: { fool?: unknown };
            runs: { fool?: unknown };
          }[]
        ).find((j) => j.id === id)!,
      id,
    );
    expect(job.results.fool).toBeUndefined();
    expect(job.runs.fool).toBeUndefined();
  });

  it('the worker refuses malformed fooling requests (unknown method, budget out of range, bad target)', async () => {
    const replies = await popup.evaluate(async () => {
      const jobs = ((await chrome.storage.session.get('jobs')).jobs ?? []) as { id: string; kind: string }[];
      const id = jobs.find((j) => j.kind === 'fool')!.id;
      const bad = [
        { type: 'squeezelens/fool', jobId: id, target: { kind: 'index', index: 366 }, method: 'deepfool', budget: 10 },
        { type: 'squeezelens/fool', jobId: id, target: { kind: 'index', index: 366 }, method: 'pgd', budget: 100 },
        { type: 'squeezelens/fool', jobId: id, target: { kind: 'index', index: 1000 }, method: 'cs231n', budget: 10 },
        { type: 'squeezelens/fool', jobId: id, target: { kind: 'name', query: 'x' }, method: 'cs231n', budget: 10 },
      ];
      const out: unknown[] = [];
      for (const m of bad) out.push(await chrome.runtime.sendMessage(m).catch((e: Error) => `rejected: ${e.message}`));
      return out;
    });
    // Not a request the worker knows: no answer at all (undefined), no work started.
    for (const r of replies) expect(r === undefined || (typeof r === 'string' && r.startsWith('rejected'))).toBe(true);
  });
});

describe('saliency on the page, and its sanity check', () => {
  let id = '';
  const overlayRect = () =>
    page.evaluate(
      () =>
        document.querySelector('[data-squeezelens-overlay]')?.getBoundingClientRect().toJSON() as DOMRect | undefined,
    );
  /**
   * Where the photo is drawn: the fixture's images are `object-fit: cover` in a 150×100 box (no
   * border or padding).
   */
  const imageRect = () =>
    page.$eval('#same', (el) => {
      const img = el as HTMLImageElement;
      const box = img.getBoundingClientRect();
      const s = Math.max(box.width / img.naturalWidth, box.height / img.naturalHeight);
      const w = img.naturalWidth * s;
      const h = img.naturalHeight * s;
      return {
        left: box.left + (box.width - w) / 2,
        top: box.top + (box.height - h) / 2,
        width: w,
        height: h,
      } as DOMRect;
    });

  it('"Show on page" draws the map over the image, aligned through scroll and resize, and removes it', async () => {
    id = await menuAction(sw, page, '#same', 'saliency');
    await waitForJob(popup, id);
    await popup.waitForSelector('[data-testid="saliency-canvas"][data-ready="true"]');
    await popup.click('[data-testid="saliency-show-on-page"]');
    await popup.waitForSelector('[data-testid="saliency-remove-from-page"]');
    await page.waitForSelector('[data-squeezelens-overlay]', { state: 'attached' });
    const geometry = await sw.evaluate(
      async (id) =>
        (
          (await chrome.storage.session.get('jobs')).jobs as {
            id: string;
            results: {
              classify: {
                geometry: {
                  sourceWidth: number;
                  sourceHeight: number;
                  region: { x: number; y: number; width: number; height: number };
                };
              };
            };
          }[]
        ).find((j) => j.id === id)!.results.classify.geometry,
      id,
    );
    const expected = (img: DOMRect) => ({
      left: img.left + (geometry.region.x / geometry.sourceWidth) * img.width,
      top: img.top + (geometry.region.y / geometry.sourceHeight) * img.height,
      width: (geometry.region.width / geometry.sourceWidth) * img.width,
      height: (geometry.region.height / geometry.sourceHeight) * img.height,
    });
    const check = async () => {
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const o = (await overlayRect())!;
      const e = expected(await imageRect());
      expect(Math.abs(o.left - e.left)).toBeLessThan(1.5);
      expect(Math.abs(o.top - e.top)).toBeLessThan(1.5);
      expect(Math.abs(o.width - e.width)).toBeLessThan(1.5);
      expect(Math.abs(o.height - e.height)).toBeLessThan(1.5);
    };
    await check();
    await page.screenshot({ path: 'test-results/screenshots/page-overlay-shown.png' });
    await page.evaluate(() => window.scrollBy(0, 120));
    await check();
    await page.setViewportSize({ width: 760, height: 700 });
    await check();
    await page.evaluate(() => ((document.querySelector('#same') as HTMLElement).style.height = '180px'));
    await check();
    await page.evaluate(() => ((document.querySelector('#same') as HTMLElement).style.height = ''));
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));

    await popup.click('[data-testid="saliency-remove-from-page"]');
    await popup.waitForSelector('[data-testid="saliency-show-on-page"]');
    await page.waitForSelector('[data-squeezelens-overlay]', { state: 'detached' });
  });

  it('"Can I trust this map?" runs model randomization and flags the vanilla gradient as model-sensitive', async () => {
    await popup.click('[data-testid="saliency-sanity"]');
    await popup.waitForSelector('[data-testid="saliency-sanity-flag"]', { timeout: 60_000 });
    const flag = await popup.$eval('[data-testid="saliency-sanity-flag"]', (el) => ({
      sensitive: el.getAttribute('data-model-sensitive'),
      text: el.textContent,
    }));
    expect(flag.sensitive).toBe('true');
    expect(flag.text).toMatch(/Model-sensitive/);
    await screenshot(popup, 'saliency-sanity');
    const sanity = await sw.evaluate(
      async (id) =>
        (
          (await chrome.storage.session.get('jobs')).jobs as {
            id: string;
            results: { sanity: { correlation: number; steps: { block: string; spearman: number }[] } };
          }[]
        ).find((j) => j.id === id)!.results.sanity,
      id,
    );
    expect(sanity.steps.map((s) => s.block)).toEqual(['classifier', 'fire9', 'fire8']);
    expect(sanity.correlation).toBeLessThan(0.7);
    expect(sanity.correlation).toBe(sanity.steps[2].spearman);
  });
});

describe('DeepDream and class visualization from the popup', () => {
  it('DeepDream of a classified image, with progress, then the dream', async () => {
    const id = await menuAction(sw, page, '#srcset', 'classify');
    await waitForJob(popup, id);
    await popup.click('[data-testid="dream-start"]');
    const cancel = await popup.waitForSelector('[data-testid="dream-cancel"]', { timeout: 20_000 });
    // The dream so far appears while it runs, swapped in place: Cancel stays the same element.
    await popup.waitForSelector('[data-testid="dream-preview"]:not([hidden])', { timeout: 60_000 });
    expect(
      await popup.$eval('[data-testid="dream-preview"]', (img) =>
        (img as HTMLImageElement).src.startsWith('data:image/png'),
      ),
    ).toBe(true);
    expect(await cancel.evaluate((b) => b.isConnected)).toBe(true);
    await screenshot(popup, 'dream-running');
    await popup.waitForSelector('[data-testid="dream-image"]', { timeout: 120_000 });
    expect(await popup.locator('[data-testid="dream-preview"]').count()).toBe(0);
    const leftover = await sw.evaluate(
      async (id) => Object.keys(await chrome.storage.session.get(null)).filter((k) => k === `preview:${id}`),
      id,
    );
    expect(leftover).toEqual([]);
    const dream = await popup.$eval('[data-testid="dream-image"]', (img) => ({
      w: (img as HTMLImageElement).naturalWidth,
      h: (img as HTMLImageElement).naturalHeight,
    }));
    expect(dream.w).toBeGreaterThan(100);
    expect(await popup.textContent('[data-testid="dream-result"]')).toMatch(/fire5 · \d+×\d+ · objective ×\d/);
    await screenshot(popup, 'dream');
  });

  it('"What does SqueezeNet think a … looks like?" draws the class with live previews', async () => {
    await popup.click('[data-testid="visualize-tool"] summary');
    await popup.fill('[data-testid="visualize-search"]', 'tarantula');
    await popup.click('[data-testid="visualize-results"] button:text-is("tarantula")');
    await popup.fill('[data-testid="visualize-iterations"]', '60');
    await popup.click('[data-testid="visualize-start"]');
    await popup.waitForSelector('[data-testid="visual-image"]', { timeout: 60_000 });
    await popup.waitForFunction(() => document.getElementById('view')?.dataset.state === 'done', null, {
      polling: 100,
      timeout: 120_000,
    });
    expect(await popup.textContent('[data-testid="visual-class"]')).toBe('tarantula');
    const text = await popup.textContent('[data-testid="visual-result"]');
    const p = Number(/gives this image ([\d.]+)\s?%/.exec(text!)![1]);
    expect(p).toBeGreaterThan(50);
    await screenshot(popup, 'visualize');
  });
});

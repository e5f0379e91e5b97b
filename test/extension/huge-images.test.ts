/**
 * Huge images in the extension (issue 12 §4): the worker refuses an image whose header declares
 * more than 100 MP (the CLI's limit) with its specific, translated error before decoding it —
 * Chromium would decode it whole, ~4 bytes per pixel and more (bench/memory.ts) — and answers an
 * image of exactly 100 MP. Flat PNGs and JPEGs generated at run time (test/helpers/flat-images.ts),
 * served from a local page with one <img> each.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedExtension, launchExtension } from '../helpers/browser.js';
import { flatJpeg, flatPng } from '../helpers/flat-images.js';
import { chromiumProcesses, memoryOf, resetPeaks } from '../helpers/process-memory.js';
import { menuAction, openPopup, screenshot, waitForJob } from '../helpers/product.js';

let ext: LaunchedExtension;
let server: Server;
let page: Page;
let popup: Page;

const images: Record<string, { type: string; make: () => Promise<Buffer> }> = {
  'at-limit.png': { type: 'image/png', make: () => flatPng(10000, 10000, [90, 140, 60]) },
  'over.png': { type: 'image/png', make: () => flatPng(10001, 10000, [90, 140, 60]) },
  'over.jpg': { type: 'image/jpeg', make: async () => flatJpeg(15000, 15000) },
};

beforeAll(async () => {
  const bodies = new Map<string, Buffer>();
  for (const [name, { make }] of Object.entries(images)) bodies.set(name, await make());
  server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    if (name === '') {
      res.writeHead(200, { 'content-type': 'text/html' });
      const imgs = Object.keys(images).map((n, i) => `<img id="i${i}" src="/${n}" width="200" height="200">`);
      return res.end(`<!doctype html><body>${imgs.join('')}</body>`);
    }
    const body = bodies.get(name);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': images[name].type, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ext = await launchExtension({ webgpu: false });
  popup = await openPopup(ext.context, ext.extensionId);
  page = await ext.context.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.evaluate(() => Promise.all([...document.images].map((i) => i.decode().catch(() => {}))));
});

afterAll(async () => {
  await ext?.close();
  await new Promise((r) => server?.close(r));
});

const selector = (name: string) => `#i${Object.keys(images).indexOf(name)}`;

describe('images over the pixel limit', () => {
  it('a PNG one pixel column over 100 MP gets the specific error, without being decoded', async () => {
    // Peak memory of the extension's process (its worker): a decode would add ≥ 400 MB (4 bytes a pixel).
    const extension = chromiumProcesses().filter((p) => p.type === 'extension');
    expect(extension.length).toBeGreaterThan(0);
    resetPeaks(extension);
    const before = Math.max(...extension.map((p) => memoryOf(p.pid)?.rssMb ?? 0));
    const id = await menuAction(ext.sw, page, selector('over.png'));
    const view = await waitForJob(popup, id);
    expect(view.state).toBe('error');
    expect(view.errorCode).toBe('too-large');
    expect(view.error).toBe('The image is too large to analyse: 10001×10000 pixels (the limit is 100 megapixels).');
    const peak = Math.max(...extension.map((p) => memoryOf(p.pid)?.peakMb ?? 0));
    expect(peak - before).toBeLessThan(200);
    await screenshot(popup, 'error-too-many-pixels');
  });

  it('a 15000×15000 JPEG gets the same error', async () => {
    const id = await menuAction(ext.sw, page, selector('over.jpg'));
    const view = await waitForJob(popup, id);
    expect(view.errorCode).toBe('too-large');
    expect(view.error).toMatch(/15000×15000 pixels \(the limit is 100 megapixels\)/);
  });

  it('a PNG of exactly 100 MP is answered, decoded at a bounded size', async () => {
    const id = await menuAction(ext.sw, page, selector('at-limit.png'));
    const view = await waitForJob(popup, id, undefined, 120_000);
    expect(view.error).toBeNull();
    expect(view.state).toBe('done');
    expect(view.top1Label).not.toBeNull();
    const image = await ext.sw.evaluate(
      async (id) =>
        (
          (await chrome.storage.session.get('jobs')).jobs as { id: string; results: { classify: { image: unknown } } }[]
        ).find((j) => j.id === id)!.results.classify.image,
      id,
    );
    expect(image).toEqual({ width: 4096, height: 4096, originalWidth: 10000, originalHeight: 10000 });
  });
});

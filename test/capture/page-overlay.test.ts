/**
 * src/capture/page-overlay.ts and src/capture/replace-image.ts in real Chromium, without the
 * extension: both modules are bundled with esbuild into one IIFE (`window.__overlay`) and injected
 * into a page served from 127.0.0.1.
 * Every element sits at known absolute coordinates (body margin 0, no scrollbars taking space),
 * so the expected overlay rectangles below are computed by hand from the page's CSS.
 */

import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as esbuild from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type * as Overlay from '../../src/capture/page-overlay.js';
import type * as Replace from '../../src/capture/replace-image.js';
import type { OverlayGeometry } from '../../src/shared/messages.js';
import { CHROMIUM } from '../helpers/browser.js';

declare global {
  interface Window {
    __overlay: typeof Overlay & typeof Replace;
  }
}

/** One bundle entry that re-exports both modules the page needs. */
const ENTRY = ["export * from './src/capture/page-overlay.ts';", "export * from './src/capture/replace-image.ts';"];

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

type Rgba = (x: number, y: number) => [number, number, number, number];

function png(width: number, height: number, color: Rgba): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const [r, g, b, a] = color(x, y);
      image.data[i] = r;
      image.data[i + 1] = g;
      image.data[i + 2] = b;
      image.data[i + 3] = a;
    }
  }
  return PNG.sync.write(image);
}

const dataUrl = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;

/** 300×200 photos stand-ins: a blue/grey checkerboard (a), plain blue (b), plain yellow (c). */
const IMAGES: Record<string, Buffer> = {
  '/a.png': png(300, 200, (x, y) =>
    (Math.floor(x / 25) + Math.floor(y / 25)) % 2 ? [70, 110, 170, 255] : [200, 205, 215, 255],
  ),
  '/b.png': png(300, 200, () => [40, 60, 200, 255]),
  '/c.png': png(300, 200, () => [230, 200, 40, 255]),
};

/** A saliency-like map: a red-to-yellow blob with alpha, inside a 3 px opaque magenta frame. */
const MAP = dataUrl(
  png(224, 224, (x, y) => {
    if (x < 3 || y < 3 || x > 220 || y > 220) return [255, 0, 255, 255];
    const d = Math.hypot(x - 112, y - 112) / 112;
    const heat = Math.max(0, 1 - d);
    return [255, Math.round(255 * heat), 0, Math.round(40 + 180 * heat)];
  }),
);

/** The fooling image stand-in: green, half the size of the 300×200 original, same aspect. */
const GREEN = dataUrl(png(150, 100, () => [30, 180, 60, 255]));

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>page-overlay</title>
<style>
  /* scrollbar-width: none keeps the viewport width exactly what setViewportSize says */
  html { scrollbar-width: none; }
  body { margin: 0; height: 3000px; position: relative; font: 13px sans-serif; }
  img, canvas, div.box { position: absolute; display: block; }
  #bp { left: 20px; top: 30px; width: 300px; height: 200px; border: 5px solid #000; padding: 10px; }
  #contain { left: 400px; top: 30px; width: 300px; height: 300px; border: 2px solid #000; object-fit: contain;
    background: #eee; }
  #cover { left: 750px; top: 30px; width: 300px; height: 300px; object-fit: cover; }
  #none { left: 20px; top: 380px; width: 400px; height: 300px; object-fit: none; object-position: 10px 20px;
    background: #eee; }
  #scroller { position: absolute; left: 450px; top: 380px; width: 320px; height: 200px; overflow: auto;
    scrollbar-width: none; }
  #scroller > .inner { height: 1000px; position: relative; }
  #nested { left: 0; top: 50px; width: 300px; height: 200px; }
  #bg { left: 800px; top: 380px; width: 400px; height: 200px; border: 4px solid #000;
    background: url(/a.png) center / cover no-repeat; }
  #multi { left: 800px; top: 620px; width: 100px; height: 100px; border: 4px solid #000; padding: 6px;
    background: url(/a.png) 0 0 / 50px 50px, url(/b.png) center / cover; }
  #centered { left: calc(50% - 100px); top: 620px; width: 200px; height: 100px; }
  #growing { left: 20px; top: 720px; width: 200px; height: 100px; }
  #pic { position: absolute; left: 20px; top: 1000px; }
  #pic img { position: static; }
  #boxed { left: 400px; top: 1000px; box-sizing: border-box; width: 200px; padding: 10px; border: 3px solid #000; }
  #bgr { left: 700px; top: 1000px; width: 300px; height: 200px; background-image: url(/a.png); background-size: cover; }
  #canvas { left: 20px; top: 1300px; }
</style></head><body>
<img id="bp" src="/a.png" alt="">
<img id="contain" src="/a.png" alt="">
<img id="cover" src="/a.png" alt="">
<img id="none" src="/a.png" alt="">
<div id="scroller"><div class="inner"><img id="nested" src="/a.png" alt=""></div></div>
<div class="box" id="bg"></div>
<div class="box" id="multi"></div>
<img id="centered" src="/a.png" alt="">
<img id="growing" src="/a.png" alt="">
<picture id="pic"><source srcset="/b.png" media="(min-width: 1px)"><img id="picimg" src="/a.png" srcset="/c.png 1x"
  alt=""></picture>
<img id="boxed" src="/a.png" alt="">
<div class="box" id="bgr"></div>
<canvas id="canvas" width="300" height="200"></canvas>
</body></html>`;

const FULL = { sourceWidth: 300, sourceHeight: 200, region: { x: 0, y: 0, width: 300, height: 200 } };
/** The product's center square crop of a 300×200 image. */
const CENTER = { sourceWidth: 300, sourceHeight: 200, region: { x: 50, y: 0, width: 200, height: 200 } };

let server: Server;
let origin: string;
let browser: Browser;
let page: Page;
let bundle: string;

beforeAll(async () => {
  const built = await esbuild.build({
    stdin: { contents: ENTRY.join('\n'), resolveDir: process.cwd(), sourcefile: 'overlay-entry.ts', loader: 'ts' },
    bundle: true,
    format: 'iife',
    globalName: '__overlay',
    write: false,
    logLevel: 'silent',
  });
  bundle = built.outputFiles[0].text;
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const image = IMAGES[path];
    if (image) res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(image);
    else if (path === '/page.html') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

beforeEach(async () => {
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.goto(`${origin}/page.html`);
  await page.addScriptTag({ content: bundle });
  await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0));
  // No fallback timer unless a test asks for it: alignment must come from the events themselves.
  await page.evaluate(() => window.__overlay.__setFallbackIntervalForTests(60_000));
});

/**
 * Three animation frames: enough for an event → requestAnimationFrame update, far less than the
 * 500 ms fallback timer.
 */
const settle = () =>
  page.evaluate(
    () =>
      new Promise<void>((r) =>
        requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
      ),
  );

/**
 * Shows an overlay and returns handle.rect(). Then lets a few frames pass, so the
 * ResizeObserver's first (always delivered) notification is spent and cannot mask a missing
 * update in the checks that follow.
 */
async function show(key: string, selector: string, geometry: OverlayGeometry, label?: string): Promise<Box | null> {
  const rect = await page.evaluate(
    ([k, sel, map, g, l]) => {
      const handle = window.__overlay.showOverlay(k, document.querySelector(sel)!, map, g, l ? { label: l } : {});
      const r = handle.rect();
      return r && { x: r.x, y: r.y, width: r.width, height: r.height };
    },
    [key, selector, MAP, geometry, label] as const,
  );
  await settle();
  return rect;
}

interface HostState extends Box {
  display: string;
  approximate: string | null;
}

function host(key: string): Promise<HostState | null> {
  return page.evaluate((k) => {
    const h = document.querySelector(`[data-squeezelens-overlay="${k}"]`);
    if (!h) return null;
    const r = h.getBoundingClientRect();
    return {
      x: r.x,
      y: r.y,
      width: r.width,
      height: r.height,
      display: getComputedStyle(h).display,
      approximate: h.getAttribute('data-approximate'),
    };
  }, key);
}

function expectBox(actual: Box | null, expected: Box, what: string): void {
  expect(actual, `${what}: no overlay`).not.toBeNull();
  for (const k of ['x', 'y', 'width', 'height'] as const) {
    expect(
      Math.abs(actual![k] - expected[k]),
      `${what}.${k}: got ${actual![k]}, want ${expected[k]}`,
    ).toBeLessThanOrEqual(1);
  }
}

const hostCount = () => page.evaluate(() => document.querySelectorAll('[data-squeezelens-overlay]').length);
const liveCallbacks = () => page.evaluate(() => window.__overlay.__activeListenersForTests());

describe('showOverlay placement', () => {
  it('maps the region onto the content box of an <img> with border and padding (object-fit: fill)', async () => {
    // content box: 20 + 5 border + 10 padding = 35, 30 + 15 = 45, 300×200, image drawn 1:1
    const handleRect = await show('k', '#bp', CENTER);
    expectBox(await host('k'), { x: 85, y: 45, width: 200, height: 200 }, 'center crop');
    expectBox(handleRect, { x: 85, y: 45, width: 200, height: 200 }, 'handle.rect()');
    expect((await host('k'))!.approximate).toBeNull();
    await show('k', '#bp', FULL); // same key: replaced, not added
    expect(await hostCount()).toBe(1);
    expectBox(await host('k'), { x: 35, y: 45, width: 300, height: 200 }, 'full image');
  });

  it('honours object-fit contain, cover and none with object-position', async () => {
    // contain: content box (402, 32) 300×300, image scale 1 → 300×200 centered vertically: y 32 + 50
    await show('contain', '#contain', FULL);
    expectBox(await host('contain'), { x: 402, y: 82, width: 300, height: 200 }, 'contain');
    await page.evaluate(() => document.getElementById('contain')!.style.setProperty('object-position', '0% 100%'));
    await show('contain', '#contain', FULL);
    expectBox(await host('contain'), { x: 402, y: 132, width: 300, height: 200 }, 'contain, object-position 0% 100%');
    // cover: scale 1.5 → 450×300 at x = 750 − 75; the center square crop is exactly the element
    await show('cover', '#cover', CENTER);
    expectBox(await host('cover'), { x: 750, y: 30, width: 300, height: 300 }, 'cover, center crop');
    // the same crop in a source twice the natural size maps to the same place (only the aspect counts)
    await show('cover2', '#cover', {
      sourceWidth: 600,
      sourceHeight: 400,
      region: { x: 100, y: 0, width: 400, height: 400 },
    });
    expectBox(await host('cover2'), { x: 750, y: 30, width: 300, height: 300 }, 'cover, 600×400 source');
    // none + object-position 10px 20px: natural size at (20 + 10, 380 + 20)
    await show('none', '#none', FULL);
    expectBox(await host('none'), { x: 30, y: 400, width: 300, height: 200 }, 'none, 10px 20px');
  });

  it('follows window scrolling and a nested scroller', async () => {
    await show('k', '#bp', CENTER);
    await show('nested', '#nested', FULL);
    expectBox(await host('nested'), { x: 450, y: 430, width: 300, height: 200 }, 'nested before scrolling');
    await page.evaluate(() => window.scrollBy(0, 100));
    await settle();
    expectBox(await host('k'), { x: 85, y: -55, width: 200, height: 200 }, 'after window.scrollBy(0, 100)');
    expectBox(await host('nested'), { x: 450, y: 330, width: 300, height: 200 }, 'nested after window scroll');
    await page.evaluate(() => {
      document.getElementById('scroller')!.scrollTop = 40;
    });
    await settle();
    expectBox(
      await host('nested'),
      { x: 450, y: 290, width: 300, height: 200 },
      'after the nested scroller scrolled 40 px',
    );
  });

  it('follows viewport resizes and element size changes (ResizeObserver)', async () => {
    // left: calc(50% − 100px) of a 1200 px viewport
    await show('centered', '#centered', FULL);
    expectBox(await host('centered'), { x: 500, y: 620, width: 200, height: 100 }, 'centered at 1200 px');
    await page.setViewportSize({ width: 900, height: 700 });
    await settle();
    expectBox(await host('centered'), { x: 350, y: 620, width: 200, height: 100 }, 'centered at 900 px');
    await show('growing', '#growing', CENTER);
    expectBox(
      await host('growing'),
      { x: 20 + 50 * (200 / 300), y: 720, width: 200 * (200 / 300), height: 100 },
      'growing, 200 px',
    );
    await page.evaluate(() => document.getElementById('growing')!.style.setProperty('width', '260px'));
    await settle();
    expectBox(
      await host('growing'),
      { x: 20 + 50 * (260 / 300), y: 720, width: 200 * (260 / 300), height: 100 },
      'growing, 260 px',
    );
  });

  it('catches moves that fire no event with the ~500 ms fallback timer', async () => {
    await page.evaluate(() => window.__overlay.__setFallbackIntervalForTests(0)); // 0: the default
    await show('k', '#bp', FULL);
    await show('contain', '#contain', FULL);
    await page.evaluate(() => {
      // a move (no size change: no ResizeObserver) and an object-position change: no event at all
      document.getElementById('bp')!.style.setProperty('top', '80px');
      document.getElementById('contain')!.style.setProperty('object-position', '0% 100%');
    });
    const started = Date.now();
    await page.waitForFunction(
      () => {
        const top = (k: string) =>
          document.querySelector(`[data-squeezelens-overlay="${k}"]`)!.getBoundingClientRect().top;
        return Math.abs(top('k') - 95) <= 1 && Math.abs(top('contain') - 132) <= 1;
      },
      undefined,
      { timeout: 2_000, polling: 'raf' },
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expectBox(await host('k'), { x: 35, y: 95, width: 300, height: 200 }, 'moved by 50 px');
  });

  it('hides while the element is display: none and shows again after', async () => {
    await show('k', '#bp', FULL);
    await page.evaluate(() => document.getElementById('bp')!.style.setProperty('display', 'none'));
    await settle();
    expect((await host('k'))!.display).toBe('none');
    expect(
      await page.evaluate(() =>
        window.__overlay
          .showOverlay('x', document.getElementById('bp')!, 'data:image/png;base64,AA==', {
            sourceWidth: 1,
            sourceHeight: 1,
            region: { x: 0, y: 0, width: 1, height: 1 },
          })
          .rect(),
      ),
    ).toBeNull();
    await page.evaluate(() => document.getElementById('bp')!.style.removeProperty('display'));
    await settle();
    expectBox(await host('k'), { x: 35, y: 45, width: 300, height: 200 }, 'shown again');
  });

  it('maps onto a CSS background (cover) and marks layered backgrounds approximate', async () => {
    // padding box (804, 384) 400×200; cover: scale 4/3 → 400×266.67 at y = 384 − 33.33
    await show('bg', '#bg', CENTER);
    const s = 4 / 3;
    expectBox(
      await host('bg'),
      { x: 804 + 50 * s, y: 384 - (200 * s - 200) / 2, width: 200 * s, height: 200 * s },
      'background cover, center crop',
    );
    expect((await host('bg'))!.approximate).toBeNull();
    // two layers: the padding box, flagged as approximate
    await show('multi', '#multi', FULL);
    expectBox(await host('multi'), { x: 804, y: 624, width: 112, height: 112 }, 'two backgrounds');
    expect((await host('multi'))!.approximate).toBe('true');
  });
});

describe('showOverlay controls and cleanup', () => {
  it('lets clicks through, and its × button removes it without the page seeing the click', async () => {
    await page.evaluate(() => {
      (window as unknown as { pageClicks: number }).pageClicks = 0;
      document.addEventListener('click', () => (window as unknown as { pageClicks: number }).pageClicks++);
    });
    await show('cover', '#cover', CENTER); // 750..1050 × 30..330
    // pointer-events: none: the image under the overlay is what the page hit-tests
    expect(await page.evaluate(() => document.elementFromPoint(900, 180)?.id)).toBe('cover');
    // the × is 20 px square, 2 px inside the top-right corner of the visible part
    expect(
      await page.evaluate(() => document.elementFromPoint(1038, 42)?.getAttribute('data-squeezelens-overlay')),
    ).toBe('cover');
    await page.mouse.click(1038, 42);
    expect(await host('cover')).toBeNull();
    expect(await page.evaluate(() => (window as unknown as { pageClicks: number }).pageClicks)).toBe(0);
    expect(await liveCallbacks()).toBe(0);
  });

  it('removeOverlay / removeAllOverlays, and 50 show/remove cycles leave nothing behind', async () => {
    await show('a', '#bp', FULL);
    await show('b', '#cover', CENTER);
    expect(await liveCallbacks()).toBeGreaterThan(0);
    expect(await page.evaluate(() => window.__overlay.removeOverlay('a'))).toBe(true);
    expect(await page.evaluate(() => window.__overlay.removeOverlay('a'))).toBe(false);
    expect(await host('a')).toBeNull();
    expect(await hostCount()).toBe(1);
    expect(await page.evaluate(() => window.__overlay.removeAllOverlays())).toBe(1);
    expect(await hostCount()).toBe(0);
    expect(await liveCallbacks()).toBe(0);

    const counts = await page.evaluate(
      async ([map, g]) => {
        const o = window.__overlay;
        const el = document.getElementById('bg')!;
        const seen: number[] = [];
        for (let i = 0; i < 50; i++) {
          const h = o.showOverlay(`cycle${i % 3}`, el, map, g);
          o.showOverlay(`cycle${i % 3}`, el, map, g); // replaces the first
          window.scrollBy(0, i % 2 ? 5 : -5); // leaves a frame pending sometimes
          seen.push(document.querySelectorAll('[data-squeezelens-overlay]').length);
          if (i % 2) h.remove(); // stale handle: the replacement stays
          if (i % 2 === 0) o.removeOverlay(`cycle${i % 3}`);
          else o.removeAllOverlays();
          await new Promise((r) => requestAnimationFrame(r));
        }
        return {
          max: Math.max(...seen),
          hosts: document.querySelectorAll('[data-squeezelens-overlay]').length,
          live: o.__activeListenersForTests(),
        };
      },
      [MAP, FULL] as const,
    );
    expect(counts).toEqual({ max: 1, hosts: 0, live: 0 });
  });

  it('screenshot: overlays sit on their images', async () => {
    await show('bp', '#bp', CENTER, 'saliency: tabby cat');
    await show('cover', '#cover', FULL);
    await show('bg', '#bg', CENTER);
    await show('nested', '#nested', FULL);
    await page.evaluate(() => {
      document.getElementById('scroller')!.scrollTop = 120; // half out of its scroller: clipped there
    });
    await settle();
    mkdirSync('test-results/screenshots', { recursive: true });
    await page.screenshot({ path: 'test-results/screenshots/page-overlay.png' });
  });
});

describe('replaceImage / restoreImage', () => {
  const size = (sel: string) =>
    page.evaluate((s) => {
      const r = document.querySelector(s)!.getBoundingClientRect();
      return { width: r.width, height: r.height };
    }, sel);

  it('swaps the displayed candidate of an <img srcset> inside <picture> and restores it', async () => {
    const before = await page.evaluate(() => (document.getElementById('picimg') as HTMLImageElement).currentSrc);
    expect(before).toBe(`${origin}/b.png`); // the <source> wins
    const sizeBefore = await size('#picimg');
    expect(sizeBefore).toEqual({ width: 300, height: 200 }); // sized by its image: must be pinned
    const boxedBefore = await size('#boxed');

    expect(
      await page.evaluate(
        (url) => window.__overlay.replaceImage('fool', document.getElementById('picimg')!, url),
        GREEN,
      ),
    ).toEqual({ ok: true });
    expect(
      await page.evaluate(
        (url) => window.__overlay.replaceImage('boxed', document.getElementById('boxed')!, url),
        GREEN,
      ),
    ).toEqual({ ok: true });
    await page.waitForFunction((url) => {
      const img = document.getElementById('picimg') as HTMLImageElement;
      return img.complete && img.currentSrc === url && img.naturalWidth === 150;
    }, GREEN);
    expect(await size('#picimg')).toEqual(sizeBefore);
    expect(await size('#boxed')).toEqual(boxedBefore);

    expect(await page.evaluate(() => window.__overlay.restoreImage('fool'))).toBe(true);
    expect(await page.evaluate(() => window.__overlay.restoreImage('fool'))).toBe(false);
    await page.waitForFunction((want) => {
      const img = document.getElementById('picimg') as HTMLImageElement;
      return img.complete && img.currentSrc === want;
    }, `${origin}/b.png`);
    const attrs = await page.evaluate(() => {
      const img = document.getElementById('picimg')!;
      return {
        src: img.getAttribute('src'),
        srcset: img.getAttribute('srcset'),
        style: img.getAttribute('style'),
        source: document.querySelector('#pic source')!.getAttribute('srcset'),
      };
    });
    expect(attrs).toEqual({ src: '/a.png', srcset: '/c.png 1x', style: null, source: '/b.png' });
    expect(await size('#picimg')).toEqual(sizeBefore);
  });

  const stretchedCover =
    'with cover, a stretched (object-fit: fill) <img> crops the replacement to its box, and restore undoes it';
  it(stretchedCover, async () => {
    const objectFit = () => page.evaluate(() => getComputedStyle(document.getElementById('picimg')!).objectFit);
    expect(await objectFit()).toBe('fill');
    expect(
      await page.evaluate(
        (url) => window.__overlay.replaceImage('cover', document.getElementById('picimg')!, url, { cover: true }),
        GREEN,
      ),
    ).toEqual({ ok: true });
    expect(await objectFit()).toBe('cover');
    expect(await page.evaluate(() => window.__overlay.restoreImage('cover'))).toBe(true);
    expect(await objectFit()).toBe('fill');
    expect(await page.evaluate(() => document.getElementById('picimg')!.getAttribute('style'))).toBeNull();
  });

  it('swaps a CSS background image and restores it; refuses a canvas with a reason', async () => {
    const computed = () => page.evaluate(() => getComputedStyle(document.getElementById('bgr')!).backgroundImage);
    expect(await computed()).toBe(`url("${origin}/a.png")`);
    expect(
      await page.evaluate((url) => window.__overlay.replaceImage('bg', document.getElementById('bgr')!, url), GREEN),
    ).toEqual({ ok: true });
    expect(await computed()).toBe(`url("${GREEN}")`);
    expect(await size('#bgr')).toEqual({ width: 300, height: 200 });
    expect(await page.evaluate(() => window.__overlay.restoreImage('bg'))).toBe(true);
    expect(await computed()).toBe(`url("${origin}/a.png")`);
    expect(await page.evaluate(() => document.getElementById('bgr')!.getAttribute('style'))).toBeNull();

    const canvas = await page.evaluate(
      (url) => window.__overlay.replaceImage('c', document.getElementById('canvas')!, url),
      GREEN,
    );
    expect(canvas.ok).toBe(false);
    expect(!canvas.ok && canvas.reason).toMatch(/<canvas>.*script/);
    const plain = await page.evaluate(
      (url) => window.__overlay.replaceImage('p', document.getElementById('scroller')!, url),
      GREEN,
    );
    expect(!plain.ok && plain.reason).toMatch(/no image of its own/);
  });
});

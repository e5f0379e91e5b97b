/** Message validation and header sniffing, in Node (no browser). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageSize } from '../../src/background/image-size.js';
import { isFromExtensionPage, isFromWorker } from '../../src/shared/messages.js';
import {
  parseCaptureReply,
  parseCaptureRequest,
  parsePageRequest,
  parseRasterizeRequest,
  parseWorkerRequest,
} from '../../src/shared/parse-messages.js';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/shared/settings.js';
import { parseStyleImage } from '../../src/shared/task-results.js';
import { jpegWithOrientation } from '../fixtures/decode/variants.js';
import { PHOTOS } from '../helpers/data.js';
import { upscaledPng } from '../helpers/huge-png.js';

const ID = 'bdjbfpioiegjohjihknepeppagacbljo';
const ORIGIN = `chrome-extension://${ID}`;

describe('senders', () => {
  it("accepts only this extension's own pages for worker requests", () => {
    expect(isFromExtensionPage({ id: ID, url: `${ORIGIN}/popup.html` }, ID, ORIGIN)).toBe(true);
    // popup opened in a tab
    expect(isFromExtensionPage({ id: ID, url: `${ORIGIN}/popup.html`, tab: { id: 3 } }, ID, ORIGIN)).toBe(true);
    // our content script
    expect(isFromExtensionPage({ id: ID, url: 'https://evil.example/', tab: { id: 3 } }, ID, ORIGIN)).toBe(false);
    expect(
      isFromExtensionPage(
        { id: 'otherextensionidaaaaaaaaaaaaaaaa', url: 'chrome-extension://otherextensionidaaaaaaaaaaaaaaaa/x.html' },
        ID,
        ORIGIN,
      ),
    ).toBe(false);
    expect(isFromExtensionPage({ url: `${ORIGIN}/popup.html` }, ID, ORIGIN)).toBe(false);
    expect(isFromExtensionPage({ id: ID }, ID, ORIGIN)).toBe(false);
  });
  it('content scripts accept only the worker', () => {
    expect(isFromWorker({ id: ID }, ID, ORIGIN)).toBe(true);
    expect(isFromWorker({ id: ID, url: `${ORIGIN}/background.js` }, ID, ORIGIN)).toBe(true);
    expect(isFromWorker({ id: ID, url: 'https://a.example/', tab: {} }, ID, ORIGIN)).toBe(false);
    expect(isFromWorker({ id: 'x' }, ID, ORIGIN)).toBe(false);
  });
});

describe('shapes', () => {
  it('worker requests', () => {
    expect(parseWorkerRequest({ type: 'squeezelens/hello' })).toEqual({ type: 'squeezelens/hello' });
    expect(parseWorkerRequest({ type: 'squeezelens/cancel', jobId: 'abc-1-x' })).toEqual({
      type: 'squeezelens/cancel',
      jobId: 'abc-1-x',
    });
    expect(parseWorkerRequest({ type: 'squeezelens/cancel', jobId: '<img onerror=x>' })).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/cancel', jobId: 'a', extra: 1 })).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/hello', x: 1 })).toBeNull();
    expect(parseWorkerRequest('squeezelens/hello')).toBeNull();
    expect(parseWorkerRequest(null)).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/saliency', jobId: 'abc-1-x', method: 'gradcam' })).toEqual({
      type: 'squeezelens/saliency',
      jobId: 'abc-1-x',
      method: 'gradcam',
    });
    expect(parseWorkerRequest({ type: 'squeezelens/saliency', jobId: 'abc-1-x', method: 'toString' })).toBeNull();
    expect(
      parseWorkerRequest({ type: 'squeezelens/saliency', jobId: 'abc-1-x', method: 'ig', options: {} }),
    ).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/saliency', jobId: '../x', method: 'ig' })).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/saliency', jobId: 'abc' })).toBeNull();
  });
  it('capture requests and replies', () => {
    expect(
      parseCaptureRequest({ type: 'squeezelens/capture', jobId: 'j1', srcUrl: 'https://a/b.png', mediaType: 'image' }),
    ).not.toBeNull();
    expect(parseCaptureRequest({ type: 'squeezelens/capture', jobId: 'j1', srcUrl: 5 })).toBeNull();
    const ok = { ok: true, pageUrl: 'https://a/', source: { kind: 'url', url: 'https://a/b.png', element: 'img' } };
    expect(parseCaptureReply(ok)).toEqual({
      ok: true,
      pageUrl: 'https://a/',
      source: {
        kind: 'url',
        url: 'https://a/b.png',
        element: 'img',
        svg: undefined,
        displayWidth: undefined,
        displayHeight: undefined,
      },
    });
    // Only http(s) and data: addresses may reach the worker's fetch.
    for (const url of ['file:///etc/passwd', 'chrome-extension://x/y', 'javascript:alert(1)', 'blob:https://a/1']) {
      expect(parseCaptureReply({ ...ok, source: { ...ok.source, url } }), url).toBeNull();
    }
    expect(
      parseCaptureReply({
        ok: true,
        pageUrl: 'x',
        source: { kind: 'pixels', dataUrl: 'data:image/png;base64,AA', element: 'canvas', width: 2, height: 2 },
      }),
    ).not.toBeNull();
    expect(
      parseCaptureReply({
        ok: true,
        pageUrl: 'x',
        source: { kind: 'pixels', dataUrl: 'data:text/html,hi', element: 'canvas', width: 2, height: 2 },
      }),
    ).toBeNull();
    expect(
      parseCaptureReply({
        ok: true,
        pageUrl: 'x',
        source: { kind: 'pixels', dataUrl: 'data:image/png;base64,AA', element: 'canvas', width: 0, height: 2 },
      }),
    ).toBeNull();
    expect(parseCaptureReply({ ok: false, error: { code: 'tainted', message: 'm' } })).toEqual({
      ok: false,
      error: { code: 'tainted', message: 'm' },
    });
    expect(parseCaptureReply({ ok: false, error: { code: 'made-up', message: 'm' } })).toBeNull();
  });
  it('fooling, sanity, dream and visualize requests: only well-formed ones with budgets in range', () => {
    const fool = {
      type: 'squeezelens/fool',
      jobId: 'a-1',
      target: { kind: 'index', index: 366 },
      method: 'cs231n',
      budget: 100,
      confidence: 0.9,
    };
    expect(parseWorkerRequest(fool)).toEqual(fool);
    expect(parseWorkerRequest({ ...fool, target: { kind: 'least-likely' } })).not.toBeNull();
    expect(parseWorkerRequest({ ...fool, target: { kind: 'random', seed: 7 } })).not.toBeNull();
    expect(parseWorkerRequest({ ...fool, method: 'pgd', budget: 2.5 })).not.toBeNull();
    for (const bad of [
      { ...fool, method: 'deepfool' },
      { ...fool, budget: 0 },
      { ...fool, budget: 100.5 }, // cs231n: whole steps
      { ...fool, budget: 501 },
      { ...fool, method: 'pgd', budget: 33 },
      { ...fool, budget: Number.NaN },
      { ...fool, confidence: 0.7 },
      { ...fool, confidence: undefined },
      { ...fool, budget: '100' },
      { ...fool, target: { kind: 'index', index: 1000 } },
      { ...fool, target: { kind: 'index', index: 1.5 } },
      { ...fool, target: { kind: 'name', query: 'gorilla' } },
      { ...fool, target: { kind: 'random' } },
      { ...fool, target: { kind: 'least-likely', extra: 1 } },
      { ...fool, jobId: '../x' },
      { ...fool, extra: true },
    ]) {
      expect(parseWorkerRequest(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(parseWorkerRequest({ type: 'squeezelens/sanity', jobId: 'a-1' })).toEqual({
      type: 'squeezelens/sanity',
      jobId: 'a-1',
    });
    expect(parseWorkerRequest({ type: 'squeezelens/dream', jobId: 'a-1', layer: 'fire2' })).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/visualize', classIndex: 366, iterations: 200 })).not.toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/visualize', classIndex: 366, iterations: 5 })).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/visualize', classIndex: -1, iterations: 200 })).toBeNull();
  });
  it('page requests (popup → content script): PNG data: URLs and sane geometry only', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const geometry = {
      mode: 'crop',
      sourceWidth: 500,
      sourceHeight: 351,
      region: { x: 74.5, y: 0, width: 351, height: 351 },
    };
    expect(parsePageRequest({ type: 'squeezelens/show-overlay', jobId: 'a-1', png, geometry })).toEqual({
      type: 'squeezelens/show-overlay',
      jobId: 'a-1',
      png,
      geometry: { sourceWidth: 500, sourceHeight: 351, region: geometry.region },
    });
    expect(
      parsePageRequest({ type: 'squeezelens/show-overlay', jobId: 'a-1', png: 'https://evil/x.png', geometry }),
    ).toBeNull();
    expect(
      parsePageRequest({
        type: 'squeezelens/show-overlay',
        jobId: 'a-1',
        png: 'data:image/svg+xml;base64,AA',
        geometry,
      }),
    ).toBeNull();
    expect(
      parsePageRequest({
        type: 'squeezelens/show-overlay',
        jobId: 'a-1',
        png,
        geometry: { ...geometry, sourceWidth: 0 },
      }),
    ).toBeNull();
    expect(
      parsePageRequest({
        type: 'squeezelens/show-overlay',
        jobId: 'a-1',
        png,
        geometry: { ...geometry, region: { x: -1, y: 0, width: 1, height: 1 } },
      }),
    ).toBeNull();
    expect(parsePageRequest({ type: 'squeezelens/replace-image', jobId: 'a-1', png, cover: true })).toEqual({
      type: 'squeezelens/replace-image',
      jobId: 'a-1',
      png,
      cover: true,
    });
    expect(parsePageRequest({ type: 'squeezelens/replace-image', jobId: 'a-1', png })).toBeNull();
    expect(
      parsePageRequest({ type: 'squeezelens/replace-image', jobId: 'a-1', png: 'javascript:alert(1)', cover: false }),
    ).toBeNull();
    expect(parsePageRequest({ type: 'squeezelens/remove-overlay', jobId: 'a-1' })).not.toBeNull();
    expect(parsePageRequest({ type: 'squeezelens/restore-image', jobId: 'a-1', png })).toBeNull();
    expect(parsePageRequest({ type: 'squeezelens/capture', jobId: 'a-1' })).toBeNull();
  });
  it('rasterize requests', () => {
    expect(
      parseRasterizeRequest({
        type: 'squeezelens/rasterize-svg',
        target: 'offscreen',
        dataUrl: 'data:image/svg+xml;base64,AA',
        maxPixels: 100,
      }),
    ).not.toBeNull();
    expect(
      parseRasterizeRequest({
        type: 'squeezelens/rasterize-svg',
        target: 'offscreen',
        dataUrl: 'https://a/x.svg',
        maxPixels: 100,
      }),
    ).toBeNull();
  });
  it('settings fall back to defaults on anything malformed', () => {
    expect(parseSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings({ preprocess: 'fit', backend: 'tpu', fetchTimeoutSec: -5, openPopup: 'yes' })).toEqual({
      ...DEFAULT_SETTINGS,
      preprocess: 'fit',
      fetchTimeoutSec: 1,
    });
    expect(parseSettings({ backend: 'webgpu' }).backend).toBe('webgpu');
    // Synthesis steps: whole numbers, clamped to the range the options page offers.
    expect(parseSettings({ synthesisIterations: 5 }).synthesisIterations).toBe(30);
    expect(parseSettings({ synthesisIterations: 9999 }).synthesisIterations).toBe(400);
    expect(parseSettings({ synthesisIterations: 50.5 }).synthesisIterations).toBe(200);
    expect(parseSettings({ synthesisIterations: 60 }).synthesisIterations).toBe(60);
  });
  it('invert and stylize requests: a known layer or preset, a strength in range, nothing else', () => {
    expect(parseWorkerRequest({ type: 'squeezelens/invert', jobId: 'j-1', layer: 'fire6' })).toEqual({
      type: 'squeezelens/invert',
      jobId: 'j-1',
      layer: 'fire6',
    });
    expect(parseWorkerRequest({ type: 'squeezelens/invert', jobId: 'j-1', layer: 'classifier' })).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/invert', jobId: 'j-1', layer: 'fire6', iterations: 9 })).toBeNull();
    // "Compare layers": the job only (the layers are the catalog's, the steps the options')
    expect(parseWorkerRequest({ type: 'squeezelens/layers', jobId: 'j-1' })).toEqual({
      type: 'squeezelens/layers',
      jobId: 'j-1',
    });
    expect(parseWorkerRequest({ type: 'squeezelens/layers', jobId: 'j-1', layers: ['conv1'] })).toBeNull();
    expect(parseWorkerRequest({ type: 'squeezelens/layers', jobId: 7 })).toBeNull();
    const stylize = { type: 'squeezelens/stylize', jobId: 'j-1', preset: 'scream', strength: 2 };
    expect(parseWorkerRequest(stylize)).toEqual(stylize);
    expect(parseWorkerRequest({ ...stylize, preset: 'monet' })).toBeNull();
    expect(parseWorkerRequest({ ...stylize, strength: -1 })).toBeNull();
    expect(parseWorkerRequest({ ...stylize, strength: 11 })).toBeNull();
    expect(parseWorkerRequest({ ...stylize, strength: Number.NaN })).toBeNull();
    expect(parseWorkerRequest({ ...stylize, strength: '2' })).toBeNull();
  });
  it('the stored style image is read only when well formed', () => {
    const good = { png: 'data:image/png;base64,AAAA', label: 'owl', savedAt: 1, url: 'https://a/b.jpg' };
    expect(parseStyleImage(good)).toEqual({ ...good, pageUrl: undefined });
    expect(parseStyleImage({ ...good, png: 'javascript:alert(1)' })).toBeNull();
    expect(parseStyleImage({ ...good, png: `data:image/png;base64,${'A'.repeat(2 * 1024 * 1024)}` })).toBeNull();
    expect(parseStyleImage({ ...good, savedAt: 'yesterday' })).toBeNull();
    expect(parseStyleImage({ ...good, label: 5 })).toBeNull();
    expect(parseStyleImage(null)).toBeNull();
  });
});

describe('image size from the header', () => {
  it('reads JPEG and PNG sizes without decoding', () => {
    const jpeg = new Uint8Array(readFileSync(join(PHOTOS, 'eli_323_n02279972_monarch.JPEG')));
    expect(imageSize(jpeg)).toEqual({ width: 500, height: 351, format: 'jpeg', orientation: 1 });
    // EXIF orientation 6 (rotated): the size as shown, width and height swapped.
    expect(imageSize(jpegWithOrientation(jpeg, 6))).toEqual({
      width: 351,
      height: 500,
      format: 'jpeg',
      orientation: 6,
    });
    const png = upscaledPng({ width: 1, height: 1, data: new Uint8Array([1, 2, 3, 255]) }, 8000, 6000);
    expect(imageSize(new Uint8Array(png))).toEqual({ width: 8000, height: 6000, format: 'png', orientation: 1 });
    expect(imageSize(new TextEncoder().encode('<!doctype html>'))).toBeNull();
    expect(imageSize(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull();
  });
});

/**
 * The CLI's decoder (src/engine/decode-node.ts) against Chromium's, as the extension decodes: the
 * extension's own decodeImageBlob (src/background/decode-sw.ts: createImageBitmap with its
 * options, then an OffscreenCanvas) is bundled into a blank page of plain headless Chromium (no
 * extension) and given the same bytes. The pixels must be equal byte for byte — except where noted
 * per case: AVIF (Chromium's YUV→RGB conversion differs), CMYK JPEG (Chromium decodes it, the CLI
 * refuses it), and non-opaque pixels, which a 2D canvas stores premultiplied.
 */

import { readdirSync, readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodeError, decodeImage } from '../../src/engine/decode-node.js';
import type { RgbaImage } from '../../src/engine/preprocess.js';
import {
  bmpOf,
  bmpRle4,
  FIXTURES,
  fixture,
  jpeg12Bit,
  jpegWithOrientation,
  pngWithOrientation,
} from '../fixtures/decode/variants.js';
import { CHROMIUM } from '../helpers/browser.js';
import { photos } from '../helpers/data.js';

declare global {
  interface Window {
    __decode: typeof import('../../src/background/decode-sw.js');
  }
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
  const built = await esbuild.build({
    stdin: { contents: "export * from './src/background/decode-sw.ts';", resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    format: 'iife',
    globalName: '__decode',
    write: false,
    logLevel: 'silent',
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage();
  await page.goto('about:blank');
  await page.addScriptTag({ content: built.outputFiles[0].text });
});

afterAll(async () => {
  await browser?.close();
});

type Outcome = RgbaImage | { error: string };

/** The extension's decode of these bytes, in Chromium. */
async function chromiumDecode(bytes: Uint8Array): Promise<Outcome> {
  const result = await page.evaluate(async (base64) => {
    const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    try {
      const image = await window.__decode.decodeImageBlob(new Blob([raw]));
      let text = '';
      for (let i = 0; i < image.data.length; i += 0x8000)
        text += String.fromCharCode(...image.data.subarray(i, i + 0x8000));
      return { width: image.width, height: image.height, base64: btoa(text) };
    } catch (error) {
      return { error: String(error) };
    }
  }, Buffer.from(bytes).toString('base64'));
  if ('error' in result) return { error: String(result.error) };
  return { width: result.width, height: result.height, data: new Uint8Array(Buffer.from(result.base64, 'base64')) };
}

function nodeDecode(bytes: Uint8Array, name: string): Outcome {
  try {
    return decodeImage(bytes, name);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return { error: error.message };
  }
}

interface Comparison {
  /** largest difference over all channels of opaque pixels */
  opaque: number;
  /** alpha bytes that differ */
  alpha: number;
  /** largest difference from the premultiply round trip, over non-opaque pixels */
  translucent: number;
}

/**
 * Opaque pixels are compared exactly. A canvas keeps colour premultiplied by alpha, so Chromium's
 * non-opaque pixels are Node's after a round trip (round(v·a/255), then back), within one level
 * of it (Skia's fixed-point rounding), and black where alpha is 0.
 */
function compare(node: RgbaImage, chrome: RgbaImage): Comparison {
  expect([node.width, node.height]).toEqual([chrome.width, chrome.height]);
  const out = { opaque: 0, alpha: 0, translucent: 0 };
  for (let i = 0; i < node.data.length; i += 4) {
    const a = node.data[i + 3];
    if (a !== chrome.data[i + 3]) out.alpha++;
    for (let c = 0; c < 3; c++) {
      const n = node.data[i + c];
      if (a === 255) out.opaque = Math.max(out.opaque, Math.abs(n - chrome.data[i + c]));
      else {
        const roundTrip = a ? Math.min(255, Math.round((Math.round((n * a) / 255) * 255) / a)) : 0;
        out.translucent = Math.max(out.translucent, Math.abs(roundTrip - chrome.data[i + c]));
      }
    }
  }
  return out;
}

async function expectSame(bytes: Uint8Array, name: string, opaqueTolerance = 0) {
  const [node, chrome] = [nodeDecode(bytes, name), await chromiumDecode(bytes)];
  if ('error' in node || 'error' in chrome)
    throw new Error(
      `${name}: Node ${'error' in node ? node.error : 'ok'}, Chromium ${'error' in chrome ? chrome.error : 'ok'}`,
    );
  const result = compare(node, chrome);
  expect(result.alpha, name).toBe(0);
  expect(result.opaque, name).toBeLessThanOrEqual(opaqueTolerance);
  expect(result.translucent, name).toBeLessThanOrEqual(1);
  return result;
}

describe('Node decode = Chromium decode (the extension path)', () => {
  it('every JPEG photo in ../shared/testdata/photos, byte for byte', async () => {
    expect(photos()).toHaveLength(12);
    for (const p of photos()) {
      const bytes = readFileSync(p.path);
      const node = nodeDecode(bytes, p.file) as RgbaImage;
      const chrome = (await chromiumDecode(bytes)) as RgbaImage;
      expect([node.width, node.height], p.file).toEqual([chrome.width, chrome.height]);
      expect(Buffer.compare(Buffer.from(node.data), Buffer.from(chrome.data)), p.file).toBe(0);
    }
  });

  const exact = readdirSync(FIXTURES).filter((f) => /\.(jpg|png|webp|gif|bmp)$/.test(f) && f !== 'jpeg-cmyk.jpg');
  it.each(exact)('%s', async (name) => {
    await expectSame(fixture(name), name);
  });

  it('AVIF: same size and orientation (irot, imir); pixels within the measured YUV→RGB difference', async () => {
    // Measured: 4:4:4 within 1 level, 4:2:0 within 5, 10-bit 4:2:0 within 4 (chroma upsampling).
    const tolerance: Record<string, number> = {
      'avif-444.avif': 1,
      'avif-irot1.avif': 1,
      'avif-imir1.avif': 1,
      'avif-420.avif': 6,
      'avif-10bit.avif': 6,
    };
    for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith('.avif'))) {
      const result = await expectSame(fixture(name), name, tolerance[name]);
      console.log(`${name}: max opaque difference ${result.opaque}`);
    }
  });

  it('EXIF orientation 0–9 in JPEG, both byte orders, as Chromium applies it', async () => {
    const base = fixture('jpeg-420.jpg');
    for (const littleEndian of [false, true]) {
      for (let value = 0; value <= 9; value++)
        await expectSame(jpegWithOrientation(base, value, littleEndian), `orientation ${value}`);
    }
    const rotated = nodeDecode(fixture('jpeg-orient6.jpg'), 'jpeg-orient6.jpg') as RgbaImage;
    expect([rotated.width, rotated.height]).toEqual([37, 61]);
  });

  it('a photo too large to decode whole, rotated by EXIF, is bounded in its shown shape (not squashed)', async () => {
    // 6000×4000 as stored, orientation 6: shown 4000×6000; over the 4096² bound, so decoded smaller.
    const base64 = await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(6000, 4000);
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#c33';
      ctx.fillRect(0, 0, 3000, 4000);
      ctx.fillStyle = '#36c';
      ctx.fillRect(3000, 0, 3000, 4000);
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg' })).arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    });
    const rotated = jpegWithOrientation(new Uint8Array(Buffer.from(base64, 'base64')), 6);
    const shape = await page.evaluate(async (b64) => {
      const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const image = await window.__decode.decodeImageBlob(new Blob([raw]));
      return [image.width, image.height, image.originalWidth, image.originalHeight];
    }, rotated.toString('base64'));
    const [width, height, originalWidth, originalHeight] = shape;
    expect([originalWidth, originalHeight]).toEqual([4000, 6000]);
    expect(width * height).toBeLessThanOrEqual(4096 * 4096);
    expect(Math.abs(width / height - 4000 / 6000)).toBeLessThan(0.01);
    const node = nodeDecode(rotated, 'rotated.jpg') as RgbaImage;
    expect([node.width, node.height]).toEqual([4000, 6000]);
  });

  it('PNG eXIf orientation: honoured before IDAT only, and without an "Exif\\0\\0" prefix', async () => {
    const base = fixture('png-interlaced.png');
    const cases = {
      'before IDAT': [pngWithOrientation(base, 6, 'before-idat'), [37, 61]],
      'after IDAT': [pngWithOrientation(base, 6, 'after-idat'), [61, 37]],
      prefixed: [pngWithOrientation(base, 6, 'before-idat', true), [61, 37]],
      '180°': [pngWithOrientation(base, 3, 'before-idat'), [61, 37]],
    } as const;
    for (const [label, [bytes, size]] of Object.entries(cases)) {
      await expectSame(bytes, label);
      const node = nodeDecode(bytes, label) as RgbaImage;
      expect([node.width, node.height], label).toEqual(size);
    }
  });

  it('BMP layouts ImageMagick does not write: 5-6-5 and 5-5-5, top-down, 32-bit with zero alpha, RLE4', async () => {
    const source = nodeDecode(fixture('png-interlaced.png'), 'source') as RgbaImage;
    const layouts = {
      '565': bmpOf(source, { bpp: 16, masks: [0xf800, 0x7e0, 0x1f] }),
      '555 default': bmpOf(source, { bpp: 16 }),
      'top-down 24': bmpOf(source, { bpp: 24, topDown: true }),
      'zero alpha 32': bmpOf(source, { bpp: 32, zeroAlpha: true }),
      'rle4 with a delta': bmpRle4(),
    };
    for (const [label, bytes] of Object.entries(layouts)) await expectSame(bytes, label);
  });

  it('truncated and damaged files: refused by both', async () => {
    const photo = readFileSync(photos()[1].path);
    const cases: [string, Uint8Array][] = [
      ['JPEG cut at half', photo.subarray(0, photo.length >> 1)],
      ['JPEG without its last 2 bytes', photo.subarray(0, photo.length - 2)],
      ['PNG cut at half', fixture('png-rgb16.png').subarray(0, 4000)],
      ['WebP cut', fixture('webp-lossy.webp').subarray(0, 500)],
      ['GIF cut', fixture('gif-still.gif').subarray(0, 600)],
      ['BMP cut', fixture('bmp-24.bmp').subarray(0, 3000)],
      ['AVIF cut', fixture('avif-444.avif').subarray(0, 700)],
      ['12-bit JPEG', jpeg12Bit(fixture('jpeg-420.jpg'))],
    ];
    for (const [label, bytes] of cases) {
      const node = nodeDecode(bytes, label);
      const chrome = await chromiumDecode(bytes);
      expect('error' in node && node.error, label).toMatch(new RegExp(`^${label}: `));
      expect('error' in chrome, `${label}: Chromium decoded it`).toBe(true);
    }
  });

  it('CMYK JPEG: Chromium decodes it, the CLI refuses it with a specific error (known gap)', async () => {
    const bytes = fixture('jpeg-cmyk.jpg');
    expect(nodeDecode(bytes, 'cmyk.jpg')).toEqual({
      error: 'cmyk.jpg: CMYK JPEG is not supported on the command line (convert it to RGB first)',
    });
    const chrome = await chromiumDecode(bytes);
    expect('error' in chrome ? chrome.error : [chrome.width, chrome.height]).toEqual([61, 37]);
  });
});

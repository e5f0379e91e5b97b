import { mkdirSync, writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { adler32, crc32, encodePng, encodePngStored, hasCompressionStream, zlibStored } from '../../src/render/png.js';
import { contactSheet, drawText, textWidth } from '../../src/render/sheet.js';
import { pngDataUrl } from '../../src/shared/base64.js';
import { createRgba } from '../../src/shared/image.js';
import { rng } from '../helpers/data.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function decode(png: Uint8Array) {
  // pngjs checks every chunk CRC and the zlib stream; returns RGBA
  return PNG.sync.read(Buffer.from(png));
}

function rgbaFromRgb(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) out.set([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255], p * 4);
  return out;
}

/** Random pixels, smooth gradients and flat areas, so every filter type wins somewhere. */
function testImage(width: number, height: number, channels: 3 | 4, seed: number): Uint8Array {
  const r = rng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        const region = Math.floor((y * 4) / height);
        const v = region === 0 ? r() * 256 : region === 1 ? x * 3 + c * 40 : region === 2 ? (x + y) * 2 + c : 77 + c;
        data[(y * width + x) * channels + c] = c === 3 && region === 3 ? 128 : v;
      }
  return data;
}

describe('checksums', () => {
  it('CRC-32 and Adler-32 of known strings', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('IEND'))).toBe(0xae426082); // every PNG ends with this CRC
    expect(crc32(ascii('6789'), crc32(ascii('12345')))).toBe(0xcbf43926);
    expect(adler32(ascii('Wikipedia'))).toBe(0x11e60398);
    // long runs of 0xff: the deferred modulo must not overflow (reference: modulo every byte)
    const ff = new Uint8Array(100_000).fill(255);
    let a = 1;
    let b = 0;
    for (const v of ff) {
      a = (a + v) % 65521;
      b = (b + a) % 65521;
    }
    expect(adler32(ff)).toBe(((b << 16) | a) >>> 0);
    // stored zlib stream inflates with Node's zlib, across several 64 KiB blocks
    const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 255);
    expect(new Uint8Array(inflateSync(zlibStored(data)))).toEqual(data);
    expect(new Uint8Array(inflateSync(zlibStored(new Uint8Array(0))))).toEqual(new Uint8Array(0));
  });
});

describe('PNG encoder', () => {
  it('has CompressionStream in this Node', () => {
    expect(hasCompressionStream()).toBe(true);
  });

  for (const compression of ['deflate', 'none'] as const) {
    it(`round-trips exactly through pngjs (${compression}, RGBA and RGB, odd sizes)`, async () => {
      for (const [w, h, ch] of [
        [1, 1, 4],
        [7, 3, 3],
        [224, 224, 4],
        [301, 257, 3], // > 64 KiB of scanlines: several stored blocks
      ] as const) {
        const data = testImage(w, h, ch, w * 31 + h);
        const png = await encodePng({ width: w, height: h, data }, { compression });
        const decoded = decode(png);
        expect([decoded.width, decoded.height]).toEqual([w, h]);
        expect(new Uint8Array(decoded.data)).toEqual(ch === 4 ? data : rgbaFromRgb(data));
        // header: colour type 6 (RGBA) or 2 (RGB), 8 bits
        expect(png[24]).toBe(8);
        expect(png[25]).toBe(ch === 4 ? 6 : 2);
      }
    });
  }

  it('compresses smooth images and accepts floats and text chunks', async () => {
    const w = 224;
    const h = 224;
    const smooth = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) smooth.set([x + 0.4, y - 0.6, 300], (y * w + x) * 3);
    const deflated = await encodePng(
      { width: w, height: h, data: smooth },
      { text: { Software: 'SqueezeLens', Description: 'gorilla p=0.97' } },
    );
    const stored = encodePngStored({ width: w, height: h, data: smooth });
    expect(deflated.length).toBeLessThan(stored.length / 10);
    const a = decode(deflated);
    const b = decode(stored);
    expect(new Uint8Array(a.data)).toEqual(new Uint8Array(b.data));
    // 0.4 → 0, −0.6 → 0 (clamped), 300 → 255
    expect(Array.from(a.data.subarray(0, 4))).toEqual([0, 0, 255, 255]);
    // 5.4 → 5, 0.4 → 0
    expect(Array.from(a.data.subarray((1 * w + 5) * 4, (1 * w + 5) * 4 + 3))).toEqual([5, 0, 255]);
    expect(Buffer.from(deflated).includes('tEXtSoftware\0SqueezeLens')).toBe(true);
    expect(pngDataUrl(deflated)).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    await expect(encodePng({ width: 3, height: 3, data: new Uint8Array(10) })).rejects.toThrow(/expected 3×3×4/);
    await expect(encodePng({ width: 1, height: 1, data: new Uint8Array(4) }, { text: { é: 'x' } })).rejects.toThrow(
      /keyword/,
    );
  });
});

describe('contact sheet', () => {
  it('lays images out in a grid, centred in equal cells, with labels', async () => {
    const red = {
      width: 20,
      height: 10,
      data: new Uint8ClampedArray(20 * 10 * 4).fill(255).map((v, i) => (i % 4 === 1 || i % 4 === 2 ? 0 : v)),
    };
    const blue = {
      width: 10,
      height: 10,
      data: Float32Array.from({ length: 10 * 10 * 3 }, (_, i) => (i % 3 === 2 ? 255 : 0)),
    };
    const sheet = contactSheet([red, blue, red], { columns: 2, gap: 2, labels: ['ab 12%', undefined, 'x'] });
    const labelHeight = 7 * 2;
    expect([sheet.width, sheet.height]).toEqual([2 + 2 * 22, 2 + 2 * (10 + labelHeight + 2)]);
    const at = (x: number, y: number) =>
      Array.from(sheet.data.subarray((y * sheet.width + x) * 4, (y * sheet.width + x) * 4 + 4));
    expect(at(2, 2)).toEqual([255, 0, 0, 255]); // red, cell 0 top-left
    expect(at(1, 1)).toEqual([255, 255, 255, 255]); // gap
    // blue is 10 wide in a 20-wide cell starting at x = 24: columns 29…38
    expect(at(24 + 4, 2)).toEqual([255, 255, 255, 255]);
    expect(at(24 + 5, 2)).toEqual([0, 0, 255, 255]);
    expect(at(24 + 14, 2)).toEqual([0, 0, 255, 255]);
    expect(at(24 + 15, 2)).toEqual([255, 255, 255, 255]);
    // label ink under cell 0, none under cell 1
    let ink0 = 0;
    let ink1 = 0;
    for (let y = 12; y < 12 + labelHeight; y++)
      for (let x = 0; x < 22; x++) {
        if (at(x + 2, y)[0] === 0) ink0++;
        if (at(x + 24, y)[0] === 0) ink1++;
      }
    expect(ink0).toBeGreaterThan(20);
    expect(ink1).toBe(0);
    expect(textWidth('ab', 2)).toBe(14);
    const canvas = createRgba(8, 12, [255, 255, 255, 255]);
    drawText(canvas, '1', 0, 0, { scale: 2 });
    expect(canvas.data[(0 * 8 + 2) * 4]).toBe(0); // top of the "1" stroke (column 1 of the glyph)
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/render-sheet.png', await encodePng(sheet));
  });
});

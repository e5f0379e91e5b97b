import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeImage, readImageHeader } from '../../src/engine/decode-node.js';
import type { RgbaImage } from '../../src/engine/preprocess.js';
import { fixture, jpeg12Bit, jpegWithOrientation } from '../fixtures/decode/variants.js';
import { photos } from '../helpers/data.js';

/** Mean absolute difference over the RGB channels. */
function meanRgbDifference(a: RgbaImage, b: RgbaImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  for (let i = 0; i < a.data.length; i += 4) for (let c = 0; c < 3; c++) sum += Math.abs(a.data[i + c] - b.data[i + c]);
  return sum / ((a.data.length / 4) * 3);
}

const pixel = (image: RgbaImage, x: number, y: number) =>
  Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4));

describe('decodeImage (Node)', () => {
  it('decodes JPEG and PNG to RGBA', () => {
    const jpeg = decodeImage(readFileSync(photos()[0].path), 'owl.jpg');
    expect([jpeg.width, jpeg.height, jpeg.data.length]).toEqual([845, 563, 845 * 563 * 4]);
    const png = new PNG({ width: 3, height: 2 });
    png.data.fill(0);
    png.data.set([10, 20, 30, 255], 4);
    const decoded = decodeImage(PNG.sync.write(png), 'tiny.png');
    expect([decoded.width, decoded.height]).toEqual([3, 2]);
    expect(Array.from(decoded.data.subarray(4, 8))).toEqual([10, 20, 30, 255]);
  });

  it('decodes every new format to the right size with the same picture (lossless ones exactly)', () => {
    // The fixtures are one 61×37 picture (test/fixtures/decode/make-fixtures.sh). The lossless
    // encodings of it must decode to identical pixels; lossy and palette ones close to it.
    const reference = decodeImage(fixture('png-interlaced.png'), 'png-interlaced.png');
    expect([reference.width, reference.height]).toEqual([61, 37]);
    for (const name of ['webp-lossless.webp', 'bmp-24.bmp', 'png-rgb16.png']) {
      expect(
        Buffer.compare(Buffer.from(decodeImage(fixture(name), name).data), Buffer.from(reference.data)),
        name,
      ).toBe(0);
    }
    // Mean |difference| measured 4.4 (8-bit palette BMP) to 9.0 (32-colour GIF) on this noisy
    // picture; bounds ~1.4× that. A swapped channel or a mirrored image gives more than 30.
    const bounds: Record<string, number> = {
      'jpeg-444.jpg': 8,
      'jpeg-progressive.jpg': 11,
      'webp-lossy.webp': 10,
      'avif-420.avif': 10,
      'avif-444.avif': 8,
      'avif-10bit.avif': 10,
      'gif-still.gif': 13,
      'bmp-8bit.bmp': 6,
      'bmp-rle8.bmp': 6,
      'webp-anim.webp': 13,
    };
    for (const [name, bound] of Object.entries(bounds)) {
      const difference = meanRgbDifference(decodeImage(fixture(name), name), reference);
      expect(difference, name).toBeLessThan(bound);
    }
    // Alpha survives: the first pixel of the palette PNG is its transparent colour.
    expect(pixel(decodeImage(fixture('png-palette-trns.png'), 'p.png'), 0, 0)[3]).toBe(0);
    // A GIF frame at (9, 11) on a 61×37 screen: transparent outside it.
    const offset = decodeImage(fixture('gif-offset-interlaced.gif'), 'g.gif');
    expect([offset.width, offset.height, pixel(offset, 5, 5)[3], pixel(offset, 30, 20)[3]]).toEqual([61, 37, 0, 255]);
  });

  it('applies EXIF orientation as browsers do (6: rotate 90° clockwise)', () => {
    const stored = decodeImage(fixture('jpeg-420.jpg'), 'stored.jpg');
    const rotated = decodeImage(jpegWithOrientation(fixture('jpeg-420.jpg'), 6), 'rotated.jpg');
    expect([rotated.width, rotated.height]).toEqual([37, 61]);
    // Displayed (x, y) shows stored (y, h − 1 − x): the stored bottom-left corner is now top-left.
    for (const [x, y] of [
      [0, 0],
      [36, 0],
      [0, 60],
      [10, 25],
    ]) {
      expect(pixel(rotated, x, y), `${x},${y}`).toEqual(pixel(stored, y, stored.height - 1 - x));
    }
    expect(readImageHeader(fixture('jpeg-orient6.jpg'))).toMatchObject({
      format: 'jpeg',
      width: 37,
      height: 61,
      orientation: 6,
    });
    expect(readImageHeader(fixture('avif-irot1.avif'))).toMatchObject({ format: 'avif', width: 37, height: 61 });
  });

  it('names the file and the problem for bad input', () => {
    expect(() => decodeImage(new Uint8Array(0), 'a.jpg')).toThrow('a.jpg: empty file');
    expect(() => decodeImage(new TextEncoder().encode('<!doctype html><p>404'), 'b.jpg')).toThrow(
      'b.jpg: not an image (looks like HTML/XML text)',
    );
    expect(() => decodeImage(new TextEncoder().encode('GIF89a......'), 'c.gif')).toThrow(
      /^c\.gif: cannot decode GIF data/,
    );
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4, 5]), 'd.bin')).toThrow(
      /d\.bin: not an image \(unrecognised format; JPEG, PNG, WebP, GIF, AVIF and BMP are supported\)/,
    );
    const truncated = readFileSync(photos()[1].path).subarray(0, 2000);
    expect(() => decodeImage(truncated, 'e.jpg')).toThrow(DecodeError);
    expect(() => decodeImage(truncated, 'e.jpg')).toThrow(/e\.jpg: cannot decode JPEG data: the file is truncated/);
    expect(() => decodeImage(fixture('jpeg-cmyk.jpg'), 'f.jpg')).toThrow(
      'f.jpg: CMYK JPEG is not supported on the command line (convert it to RGB first)',
    );
    expect(() => decodeImage(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'g.svg')).toThrow(
      /^g\.svg: SVG is not supported/,
    );
    expect(() => decodeImage(new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]), 'h.tif')).toThrow(
      /^h\.tif: TIFF is not supported \(browsers do not decode it either/,
    );
    const cut: [string, Uint8Array, RegExp][] = [
      ['i.png', fixture('png-rgb16.png').subarray(0, 4000), /^i\.png: cannot decode PNG data: the file is truncated/],
      ['j.webp', fixture('webp-lossy.webp').subarray(0, 500), /^j\.webp: cannot decode WebP data/],
      ['k.gif', fixture('gif-still.gif').subarray(0, 600), /^k\.gif: cannot decode GIF data: the file is truncated/],
      ['l.bmp', fixture('bmp-24.bmp').subarray(0, 3000), /^l\.bmp: cannot decode BMP data: the file is truncated/],
      ['m.avif', fixture('avif-444.avif').subarray(0, 700), /^m\.avif: cannot decode AVIF data/],
      [
        'n.jpg',
        fixture('jpeg-progressive.jpg').subarray(0, 1400),
        /^n\.jpg: cannot decode JPEG data: the file is truncated/,
      ],
    ];
    for (const [name, bytes, message] of cut) expect(() => decodeImage(bytes, name), name).toThrow(message);
    // MozJPEG's own error (libjpeg's error_exit), after which its instance is replaced and works on.
    for (let i = 0; i < 2; i++) {
      expect(() => decodeImage(jpeg12Bit(fixture('jpeg-420.jpg')), 'o.jpg')).toThrow(
        'o.jpg: cannot decode JPEG data: Unsupported JPEG data precision 12',
      );
    }
    expect(decodeImage(fixture('jpeg-420.jpg'), 'p.jpg').width).toBe(61);
  });
});

import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, DecodeError } from '../../src/engine/decode-node.js';
import { photos } from '../helpers/data.js';

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

  it('names the file and the problem for bad input', () => {
    expect(() => decodeImage(new Uint8Array(0), 'a.jpg')).toThrow('a.jpg: empty file');
    expect(() => decodeImage(new TextEncoder().encode('<!doctype html><p>404'), 'b.jpg')).toThrow('b.jpg: not an image (looks like HTML/XML text)');
    expect(() => decodeImage(new TextEncoder().encode('GIF89a......'), 'c.gif')).toThrow(/c\.gif: GIF is not supported/);
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4, 5]), 'd.bin')).toThrow(/d\.bin: not an image \(unrecognised format/);
    const truncated = readFileSync(photos()[1].path).subarray(0, 2000);
    expect(() => decodeImage(truncated, 'e.jpg')).toThrow(DecodeError);
    expect(() => decodeImage(truncated, 'e.jpg')).toThrow(/e\.jpg: cannot decode JPEG/);
  });
});

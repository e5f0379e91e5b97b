/**
 * Bounded memory and fast refusal: every format's header is read before decoding, so a file that
 * declares more than 100 megapixels is refused before anything is allocated. Before this, a
 * 952-byte PNG declaring 30000×30000 cost 8.7 GB and 85 s before the same error.
 */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/decode-node.js';
import { fixture, jpegClaiming, jpegResized, pngClaiming } from '../fixtures/decode/variants.js';

/** Runs fn, returns how long it took (ms) and the message it threw. */
function refusal(fn: () => unknown): { ms: number; message: string } {
  const start = performance.now();
  try {
    fn();
  } catch (error) {
    return { ms: performance.now() - start, message: (error as Error).message };
  }
  throw new Error('no error was thrown');
}

/** The AVIF fixture with its ispe (image spatial extents) rewritten. */
function avifClaiming(width: number, height: number): Buffer {
  const bytes = Buffer.from(fixture('avif-444.avif'));
  const at = bytes.indexOf('ispe', 0, 'latin1');
  bytes.writeUInt32BE(width, at + 8);
  bytes.writeUInt32BE(height, at + 12);
  return bytes;
}

describe('decodeImage refuses oversized images from the header', () => {
  it('a PNG header + tiny IDAT claiming 30000×30000: the specific error, in well under a second', () => {
    const bomb = pngClaiming(30000, 30000);
    expect(bomb.length).toBeLessThan(2000);
    const rssBefore = process.memoryUsage().rss;
    const { ms, message } = refusal(() => decodeImage(bomb, 'bomb.png'));
    expect(message).toBe('bomb.png: 30000×30000 is larger than 100 megapixels');
    // A guard against the 85 s regression, kept generous: measured < 1 ms.
    expect(ms).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 2 ** 20);
  });

  it('every other format: a header over the limit is refused the same way', () => {
    const gif = Buffer.from('GIF89a\xff\xff\xff\xff\0\0\0\x2c\0\0\0\0\xff\xff\xff\xff\0\x08\x01\0\0\x3b', 'latin1');
    const webp = Buffer.alloc(30);
    webp.write('RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0\xff\x3f\0\xff\x3f\0', 0, 'latin1');
    const bmp = Buffer.alloc(54);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(20000, 18);
    bmp.writeInt32LE(-20000, 22);
    bmp.writeUInt16LE(24, 28);
    const cases: [string, Uint8Array, string][] = [
      ['big.jpg', jpegClaiming(65000, 65000), '65000×65000'],
      ['big.gif', gif, '65535×65535'],
      ['big.webp', webp, '16384×16384'],
      ['big.bmp', bmp, '20000×20000'],
      ['big.avif', avifClaiming(40000, 30000), '40000×30000'],
    ];
    for (const [name, bytes, size] of cases) {
      const { ms, message } = refusal(() => decodeImage(bytes, name));
      expect(message).toBe(`${name}: ${size} is larger than 100 megapixels`);
      expect(ms, name).toBeLessThan(1000);
    }
  });

  it('under the limit but with far too little data: refused as truncated before the pixels are allocated', () => {
    // 9000×9000 is 81 MP, inside the limit: without the checks pngjs allocated the full bitmap.
    const rssBefore = process.memoryUsage().rss;
    const png = refusal(() => decodeImage(pngClaiming(9000, 9000), 'short.png'));
    expect(png.message).toBe(
      'short.png: cannot decode PNG data: the file is truncated (not enough image data for its size)',
    );
    const jpeg = refusal(() => decodeImage(jpegClaiming(9000, 9000), 'short.jpg'));
    expect(jpeg.message).toMatch(/^short\.jpg: cannot decode JPEG data: the file is truncated/);
    // Complete (it ends with EOI) but 0.8 KB of scan data for 1.9 million blocks.
    const lying = refusal(() => decodeImage(jpegResized(fixture('jpeg-420.jpg'), 9000, 9000), 'lying.jpg'));
    expect(lying.message).toBe(
      'lying.jpg: cannot decode JPEG data: the file is truncated or damaged (0.8 KB of image data cannot fill it)',
    );
    expect(png.ms + jpeg.ms + lying.ms).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 2 ** 20);
  });
});

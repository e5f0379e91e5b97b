import { describe, expect, it } from 'vitest';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  ImageInputError,
  normalize,
  preprocess,
  preprocessWhole,
  type RgbaImage,
  resampleWindow,
  wholeSize,
} from '../../src/engine/preprocess.js';

function image(width: number, height: number, fill: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = fill(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return { width, height, data };
}

describe('preprocess', () => {
  it('crop: short side to 256, centred 224 crop, and the source region it shows', () => {
    const g = preprocess(
      image(500, 375, () => [0, 0, 0]),
      'crop',
    ).geometry;
    // 500×375 → 341×256 (int(256·500/375) = 341); crop left = round(58.5) = 58 (half to even), top = 16.
    expect(g.region.x).toBeCloseTo((58 * 500) / 341, 6);
    expect(g.region.y).toBeCloseTo((16 * 375) / 256, 6);
    expect(g.region.width).toBeCloseTo((224 * 500) / 341, 6);
    expect(g.region.height).toBeCloseTo((224 * 375) / 256, 6);
    const tall = preprocess(
      image(300, 500, () => [0, 0, 0]),
      'crop',
    ).geometry;
    expect(tall.region.width).toBeCloseTo((224 * 300) / 256, 6);
    expect(tall.region.x).toBeCloseTo((16 * 300) / 256, 6);
  });

  it('fit: the whole image, stretched', () => {
    const g = preprocess(
      image(640, 100, () => [0, 0, 0]),
      'fit',
    ).geometry;
    expect(g.region).toEqual({ x: 0, y: 0, width: 640, height: 100 });
  });

  it('whole: the whole image at its aspect ratio, smallest side = size (torchvision Resize(size))', () => {
    const img = image(500, 332, (x, y) => [x % 256, y % 256, 7]);
    const p = preprocessWhole(img, 192);
    // int(192 · 500 / 332) = 289, as the example
    expect([p.width, p.height]).toEqual([289, 192]);
    expect(p.pixels.length).toBe(289 * 192 * 3);
    expect(p.input.length).toBe(289 * 192 * 3);
    expect(p.geometry).toEqual({
      mode: 'whole',
      sourceWidth: 500,
      sourceHeight: 332,
      region: { x: 0, y: 0, width: 500, height: 332 },
    });
    // the same resampling as the other modes: Pillow's, the full resize with no window
    expect(p.pixels).toEqual(resampleWindow(img, 289, 192, 0, 0, 289, 192));
    expect(wholeSize(300, 500, 192)).toEqual({ width: 192, height: 320 });
    expect(wholeSize(224, 224, 192)).toEqual({ width: 192, height: 192 });
    expect(wholeSize(192, 100, 192)).toEqual({ width: 368, height: 192 }); // upscaled
    // a long side over the engine's 512 is brought to 512
    expect(wholeSize(1000, 300, 192)).toEqual({ width: 512, height: 153 });
    expect(() => wholeSize(1000, 100, 192)).toThrow(/too elongated/);
    expect(() => wholeSize(500, 500, 40)).toThrow(/64…512/);
    expect(() => preprocessWhole(img, 600)).toThrow(ImageInputError);
  });

  it('is the identity at 224×224 in fit mode, and normalizes with ImageNet mean/std', () => {
    const img = image(224, 224, (x, y) => [x, y, (x * y) % 256]);
    const { pixels, input } = preprocess(img, 'fit');
    for (let i = 0; i < 224 * 224; i++) for (let c = 0; c < 3; c++) expect(pixels[i * 3 + c]).toBe(img.data[i * 4 + c]);
    expect(input[3 * 5 + 1]).toBeCloseTo((img.data[4 * 5 + 1] / 255 - IMAGENET_MEAN[1]) / IMAGENET_STD[1], 6);
    expect(normalize(new Uint8Array([255, 0, 128]))[0]).toBeCloseTo((1 - 0.485) / 0.229, 6);
  });

  it('keeps constant images constant at any scale (weights sum to one, up or down)', () => {
    for (const [w, h] of [
      [1000, 700],
      [50, 30],
      [224, 300],
      [3, 3],
    ]) {
      const { pixels } = preprocess(
        image(w, h, () => [200, 17, 99]),
        'crop',
      );
      for (let i = 0; i < pixels.length; i += 3)
        expect([pixels[i], pixels[i + 1], pixels[i + 2]]).toEqual([200, 17, 99]);
    }
  });

  it('antialiases when downscaling: a 1-pixel checkerboard halves to its mean grey', () => {
    const board = image(448, 448, (x, y) => ((x + y) % 2 ? [255, 255, 255] : [0, 0, 0]));
    const out = resampleWindow(board, 224, 224, 0, 0, 224, 224);
    // Interior only: at the border the clipped filter is asymmetric (as in PIL).
    for (let y = 1; y < 223; y++)
      for (let x = 3; x < 221 * 3; x++) expect(Math.abs(out[y * 224 * 3 + x] - 127.5)).toBeLessThanOrEqual(0.5);
    // Without antialiasing (plain bilinear at 2×) the result would be all black or all white.
  });

  it('rejects broken images and unknown modes with specific errors', () => {
    expect(() => preprocess({ width: 0, height: 10, data: new Uint8Array(0) })).toThrow(/invalid size 0×10/);
    expect(() => preprocess({ width: 2, height: 2, data: new Uint8Array(15) })).toThrow(/15 bytes, expected 16/);
    expect(() =>
      preprocess(
        image(4, 4, () => [0, 0, 0]),
        'zoom' as never,
      ),
    ).toThrow(ImageInputError);
  });
});

describe('normalize and the tensor path agree bit for bit', () => {
  it('normalize(pixels) equals pixelsToInput(pixels) exactly on WASM and CPU', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { pixelsToInput } = await import('../../src/methods/common.js');
    const { engineFor } = await import('../helpers/engine.js');
    const pixels = Uint8Array.from({ length: 224 * 224 * 3 }, (_, i) => (i * 37 + (i >> 7)) % 256);
    const expected = normalize(pixels);
    for (const backend of ['wasm', 'cpu'] as const) {
      await engineFor(backend);
      const got = tf.tidy(() => pixelsToInput(tf.tensor4d(Float32Array.from(pixels), [1, 224, 224, 3])).dataSync());
      let differing = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) differing++;
      expect(differing, backend).toBe(0);
    }
    await engineFor('wasm');
  });
});

describe('images already at the input size', () => {
  it('are used exactly as they are, in crop mode too (so a saved fooling image round-trips)', () => {
    const img = image(224, 224, (x, y) => [(x * 7) % 256, (y * 3) % 256, (x + y) % 256]);
    const { pixels, geometry } = preprocess(img, 'crop');
    for (let i = 0; i < 224 * 224; i++) for (let c = 0; c < 3; c++) expect(pixels[i * 3 + c]).toBe(img.data[i * 4 + c]);
    expect(geometry.region).toEqual({ x: 0, y: 0, width: 224, height: 224 });
  });
});

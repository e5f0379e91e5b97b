import { describe, expect, it } from 'vitest';
import { preprocess, type RgbaImage } from '../../src/engine/preprocess.js';
import { colormap } from '../../src/render/colormap.js';
import {
  heatmap,
  keepMask,
  legend,
  mapToSource,
  maskImage,
  normalizeMap,
  overlay,
  overlayOnSource,
  quantile,
} from '../../src/render/overlay.js';
import { resize } from '../../src/shared/resample.js';
import { rng } from '../helpers/data.js';

function randomRgba(width: number, height: number, seed: number): RgbaImage {
  const r = rng(seed);
  return {
    width,
    height,
    data: Uint8ClampedArray.from({ length: width * height * 4 }, (_, i) => (i % 4 === 3 ? 255 : Math.floor(r() * 256))),
  };
}

/** grey picture with red squares at the given [x, y, size] positions */
function squares(width: number, height: number, spots: [number, number, number][]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([120, 120, 120, 255], p * 4);
  for (const [sx, sy, size] of spots)
    for (let y = sy; y < sy + size; y++)
      for (let x = sx; x < sx + size; x++) data.set([255, 0, 0, 255], (y * width + x) * 4);
  return { width, height, data };
}

/** "redness" of RGB pixels: a saliency-like map that is high exactly on the red squares */
function redness(rgb: ArrayLike<number>, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, p) => Math.max(0, rgb[p * 3] - (rgb[p * 3 + 1] + rgb[p * 3 + 2]) / 2));
}

function maxOf(v: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) if (v[i] > m) m = v[i];
  return m;
}

function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union ? inter / union : 0;
}

function truthMask(width: number, height: number, spots: [number, number, number][], scale = 1): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const sx = (x + 0.5) * scale;
      const sy = (y + 0.5) * scale;
      if (spots.some(([px, py, s]) => sx >= px && sx < px + s && sy >= py && sy < py + s)) m[y * width + x] = 1;
    }
  return m;
}

describe('normalizeMap', () => {
  it('implements each mode', () => {
    const v = [-2, 0, 1, 2, 6];
    expect(Array.from(normalizeMap(v))).toEqual([0, 0.25, 0.375, 0.5, 1]);
    expect(Array.from(normalizeMap(v, { normalize: 'max' }))).toEqual([0, 0, 1 / 6, 2 / 6, 1].map(Math.fround));
    expect(Array.from(normalizeMap(v, { normalize: 'symmetric' }))).toEqual(
      [0.5 - 2 / 12, 0.5, 0.5 + 1 / 12, 0.5 + 2 / 12, 1].map(Math.fround),
    );
    expect(Array.from(normalizeMap(v, { range: [0, 2] }))).toEqual([0, 0, 0.5, 1, 1]);
    expect(Array.from(normalizeMap([0.2, 1.5, -1], { normalize: 'none' }))).toEqual([Math.fround(0.2), 1, 0]);
    // a constant map cannot be stretched; non-finite values count as 0
    expect(Array.from(normalizeMap([3, 3, 3]))).toEqual([0, 0, 0]);
    expect(Array.from(normalizeMap([0, 0, 0], { normalize: 'symmetric' }))).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(normalizeMap([3, 3, 3], { normalize: 'symmetric' }))).toEqual([1, 1, 1]);
    expect(Array.from(normalizeMap([Number.NaN, 0, 4]))).toEqual([0, 0, 1]);
  });

  it('percentile mode keeps one outlier from washing out the rest', () => {
    const v = Array.from({ length: 1000 }, (_, i) => i % 100); // 0…99 ten times
    v[0] = 1e6;
    const t = normalizeMap(v, { normalize: 'percentile', percentile: 99 });
    expect(t[0]).toBe(1);
    expect(t[50]).toBeGreaterThan(0.45); // with min-max it would be 5e-5
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });
});

describe('heat maps and overlays', () => {
  const map = { width: 4, height: 2, data: [0, 1, 2, 3, 4, 5, 6, 7] };

  it('colour each value through the colormap LUT', () => {
    const heat = heatmap(map, { colormap: 'viridis' });
    const lut = colormap('viridis').lut;
    for (let p = 0; p < 8; p++) {
      const i = Math.round((p / 7) * 255) * 3;
      expect(Array.from(heat.data.subarray(p * 4, p * 4 + 4))).toEqual([lut[i], lut[i + 1], lut[i + 2], 255]);
    }
  });

  it('opacity 0 is the image, opacity 1 the heat map, 0.5 their mean', () => {
    const image = randomRgba(4, 2, 1);
    const heat = heatmap(map);
    expect(overlay(image, heat, { opacity: 0 }).data).toEqual(image.data);
    expect(overlay(image, heat, { opacity: 1 }).data).toEqual(heat.data);
    const half = overlay(image, heat, { opacity: 0.5 }).data;
    for (let i = 0; i < half.length; i++)
      expect(Math.abs(half[i] - (image.data[i] + heat.data[i]) / 2)).toBeLessThanOrEqual(0.5);
    // per-pixel weights: zero weight keeps the image even at opacity 1
    const w = [1, 0, 1, 0, 1, 0, 1, 0];
    const weighted = overlay(image, heat, { opacity: 1, weights: w }).data;
    for (let p = 0; p < 8; p++)
      expect(weighted.subarray(p * 4, p * 4 + 4)).toEqual((w[p] ? heat.data : image.data).subarray(p * 4, p * 4 + 4));
    // RGB float input (a PixelImage-like image) is accepted
    const rgb = { width: 4, height: 2, data: Float32Array.from({ length: 24 }, (_, i) => i * 10.4) };
    const fromRgb = overlay(rgb, heat, { opacity: 0 }).data;
    expect([fromRgb[3], fromRgb[4]]).toEqual([255, 31]); // pixel 0 alpha, pixel 1 red (31.2)
    expect(() => overlay(randomRgba(3, 3, 2), heat)).toThrow(/overlay/);
  });

  it('masks keep the top fraction and dim the rest', () => {
    const image = randomRgba(10, 10, 3);
    const values = { width: 10, height: 10, data: Array.from({ length: 100 }, (_, i) => i) };
    const mask = keepMask(values, { keep: 0.25 });
    expect(mask.reduce((s, m) => s + m, 0)).toBe(25);
    expect(mask[99]).toBe(1);
    expect(mask[74]).toBe(0);
    expect(mask[75]).toBe(1);
    const out = maskImage(image, values, { keep: 0.25, dim: 0.2 });
    for (let p = 0; p < 100; p++) {
      for (let c = 0; c < 3; c++) {
        const v = image.data[p * 4 + c];
        if (p >= 75) expect(out.data[p * 4 + c]).toBe(v);
        else expect(Math.abs(out.data[p * 4 + c] - v * 0.2)).toBeLessThanOrEqual(0.5);
      }
      expect(out.data[p * 4 + 3]).toBe(255);
    }
    expect(keepMask(values, { threshold: 0.5 }).reduce((s, m) => s + m, 0)).toBe(50); // i/99 ≥ 0.5 ⇔ i ≥ 49.5
  });

  it('is the one top-k % mask (saliency as segmentation): the most salient pixels, ties at the cut all kept', () => {
    const row = (data: ArrayLike<number>) => ({ width: data.length, height: 1, data });
    const map = row([0.1, 0.9, 0.5, 0.9, 0.3, 0.2, 0.8, 0.0, 0.4, 0.6]);
    expect(Array.from(keepMask(map, { keep: 0.3 }))).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(keepMask(row([1, 1, 1, 1]), { keep: 0.5 }))).toEqual([1, 1, 1, 1]); // ties: all kept
    expect(keepMask(map, { keep: 0 }).every((v) => v === 0)).toBe(true);
    expect(keepMask(map, { keep: 1 }).every((v) => v === 1)).toBe(true);
    const random = rng(2);
    const big = { width: 224, height: 224, data: Float32Array.from({ length: 224 * 224 }, () => random()) };
    const mask = keepMask(big, { keep: 0.15 });
    expect(mask.reduce((s, v) => s + v, 0)).toBe(Math.round(0.15 * 224 * 224));
    let minKept = Infinity;
    let maxDropped = -Infinity;
    mask.forEach((keep, i) => {
      if (keep) minKept = Math.min(minKept, big.data[i]);
      else maxDropped = Math.max(maxDropped, big.data[i]);
    });
    expect(minKept).toBeGreaterThanOrEqual(maxDropped);
    // Dropped pixels fade to the background (dim 0: black), kept ones stay; RGB input works.
    const rgb = { width: 2, height: 1, data: [1, 2, 3, 4, 5, 6] };
    expect(Array.from(maskImage(rgb, row([0, 1]), { keep: 0.5, dim: 0 }).data)).toEqual([0, 0, 0, 255, 4, 5, 6, 255]);
  });

  it('draws a legend strip in both orientations', () => {
    const lut = colormap('magma').lut;
    const h = legend('magma', { width: 256, height: 10 });
    expect(Array.from(h.data.subarray(0, 3))).toEqual(Array.from(lut.subarray(0, 3)));
    expect(Array.from(h.data.subarray(255 * 4, 255 * 4 + 3))).toEqual(Array.from(lut.subarray(765, 768)));
    const v = legend('magma', { orientation: 'vertical', width: 8, height: 100, ticks: [0.5] });
    // bottom = 0
    expect(Array.from(v.data.subarray(99 * 8 * 4, 99 * 8 * 4 + 3))).toEqual(Array.from(lut.subarray(0, 3)));
    expect(Array.from(v.data.subarray(0, 3))).toEqual(Array.from(lut.subarray(765, 768))); // top = 1
    const tickRow = 99 - Math.round(0.5 * 99);
    expect([0, 255]).toContain(v.data[tickRow * 8 * 4]);
  });
});

describe('maps back onto the original image', () => {
  it('crop geometry: a hot spot found on the 224 input lands on the same object in the source', () => {
    const spots: [number, number, number][] = [
      [400, 100, 40], // inside the centre crop
      [10, 300, 40], // cut off by the crop (region starts at x ≈ 108.9)
    ];
    const source = squares(640, 480, spots);
    const { pixels, geometry } = preprocess(source, 'crop');
    expect(geometry.region.x).toBeGreaterThan(100);
    const map = { width: 224, height: 224, data: redness(pixels, 224 * 224) };
    const back = mapToSource(map, geometry);
    expect([back.width, back.height]).toEqual([640, 480]);
    const max = maxOf(back.data);
    const hot = back.data.map((v) => (v > max / 2 ? 1 : 0));
    const truth = truthMask(640, 480, [spots[0]]);
    console.log(
      `crop: IoU of mapped-back hot spot with the true square ${iou(hot, truth).toFixed(3)}, ` +
        `region ${JSON.stringify(geometry.region)}`,
    );
    expect(iou(hot, truth)).toBeGreaterThan(0.95); // one 224-pixel shift (≈1.9 source px) would drop it to ≈0.9
    // the cut-off square is outside the region: nothing there, flagged as outside
    expect(back.inside[320 * 640 + 30]).toBe(0);
    expect(back.data[320 * 640 + 30]).toBe(0);
    expect(back.inside[240 * 640 + 320]).toBe(1);
    // at a display size of half the source, the spot is at half the coordinates
    const half = mapToSource(map, geometry, { width: 320, height: 240 });
    const halfMax = maxOf(half.data);
    expect(
      iou(
        half.data.map((v) => (v > halfMax / 2 ? 1 : 0)),
        truthMask(320, 240, [spots[0]], 2),
      ),
    ).toBeGreaterThan(0.8);
  });

  it('fit geometry (aspect ratio not kept): same check on a tall image', () => {
    const spots: [number, number, number][] = [[50, 500, 30]];
    const source = squares(200, 700, spots);
    const { pixels, geometry } = preprocess(source, 'fit');
    const back = mapToSource({ width: 224, height: 224, data: redness(pixels, 224 * 224) }, geometry);
    const max = maxOf(back.data);
    const score = iou(
      back.data.map((v) => (v > max / 2 ? 1 : 0)),
      truthMask(200, 700, spots),
    );
    console.log(`fit: IoU ${score.toFixed(3)}`);
    expect(score).toBeGreaterThan(0.95);
    expect(back.inside.every((v) => v === 1)).toBe(true);
  });

  it('overlayOnSource colours only the region the network saw', () => {
    const source = randomRgba(300, 200, 5);
    const { geometry } = preprocess(source, 'crop');
    // left → right ramp
    const map = { width: 224, height: 224, data: Float32Array.from({ length: 224 * 224 }, (_, i) => i % 224) };
    const out = overlayOnSource(source, map, geometry, { opacity: 1, colormap: 'viridis' });
    const back = mapToSource({ width: 224, height: 224, data: normalizeMap(map) }, geometry);
    const lut = colormap('viridis').lut;
    let checkedIn = 0;
    let checkedOut = 0;
    for (let p = 0; p < 300 * 200; p += 37) {
      const got = Array.from(out.data.subarray(p * 4, p * 4 + 3));
      if (back.inside[p]) {
        const i = Math.round(Math.min(Math.max(back.data[p], 0), 1) * 255) * 3;
        expect(got).toEqual(Array.from(lut.subarray(i, i + 3)));
        checkedIn++;
      } else {
        expect(got).toEqual(Array.from(source.data.subarray(p * 4, p * 4 + 3)));
        checkedOut++;
      }
    }
    expect(checkedIn).toBeGreaterThan(100);
    expect(checkedOut).toBeGreaterThan(100); // 300×200 → crop cuts off both sides
    expect(() => overlayOnSource(randomRgba(10, 10, 1), map, geometry)).toThrow(/geometry/);
  });

  it('resizes with plain bilinear when enlarging and averages when shrinking', () => {
    const up = resize([0, 10], 2, 1, 1, 4, 1);
    expect(Array.from(up)).toEqual([0, 2.5, 7.5, 10]);
    const down = resize([0, 10, 20, 30], 4, 1, 1, 2, 1);
    // output pixel 0 is centred at input 1.0: taps −1 (edge-repeated 0), 0, 1, 2 weighted .25 .75 .75 .25, over 2
    expect(Array.from(down)).toEqual([6.25, 23.75]);
    const constant = resize(new Float32Array(30 * 20 * 3).fill(7), 30, 20, 3, 13, 41);
    expect(constant.every((v) => Math.abs(v - 7) < 1e-5)).toBe(true);
  });
});

/**
 * Saliency segmentation: on synthetic pictures whose object is known exactly, and on the 12 test
 * photos with their real vanilla saliency maps. (The max-flow solver has its own brute-force
 * proof: max-flow.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/engine/decode-node.js';
import { preprocess } from '../../../src/engine/preprocess.js';
import { pixelImage } from '../../../src/methods/common.js';
import { explain } from '../../../src/methods/explain/index.js';
import { keepLargestComponent, SegmentError, segmentFromSaliency } from '../../../src/methods/explain/segment.js';
import { SEGMENT_DEFAULTS, SEGMENT_SALIENCY_METHOD } from '../../../src/shared/catalog.js';
import type { Geometry } from '../../../src/shared/image.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor } from '../../helpers/engine.js';

interface Scene {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  /** 1 inside the disc */
  truth: Uint8Array;
}

/** A red disc on a blue background, with ±20 levels of seeded noise on every channel. */
function discScene(width: number, height: number, cx: number, cy: number, r: number, seed = 1): Scene {
  const random = rng(seed);
  const rgba = new Uint8ClampedArray(width * height * 4);
  const truth = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 < r * r;
      truth[i] = inside ? 1 : 0;
      const base = inside ? [210, 60, 45] : [50, 100, 190];
      for (let c = 0; c < 3; c++) rgba[i * 4 + c] = base[c] + (random() - 0.5) * 40;
      rgba[i * 4 + 3] = 255;
    }
  return { width, height, rgba, truth };
}

/** A 224×224 saliency map: a noisy Gaussian bump at (mx, my) in map pixels. */
function bumpMap(mx: number, my: number, sigma: number, seed = 2) {
  const random = rng(seed);
  const data = new Float32Array(224 * 224);
  for (let y = 0; y < 224; y++)
    for (let x = 0; x < 224; x++)
      data[y * 224 + x] = Math.exp(-((x + 0.5 - mx) ** 2 + (y + 0.5 - my) ** 2) / (2 * sigma ** 2)) + 0.1 * random();
  return { width: 224, height: 224, data };
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i] & b[i];
    either += a[i] | b[i];
  }
  return both / either;
}

describe('saliency segmentation', () => {
  it('cuts out a disc from a saliency bump on it: IoU > 0.9, seeds 5 % / 30 %', () => {
    const scene = discScene(224, 224, 120, 100, 60);
    const s = segmentFromSaliency({ width: 224, height: 224, data: scene.rgba }, bumpMap(120, 100, 35));
    const score = iou(s.mask, scene.truth);
    console.log(
      `disc 224×224: IoU ${score.toFixed(4)}, ${s.iterations} rounds, energies ${s.energies.map((e) => e.toFixed(0)).join(' → ')}, ${s.ms.toFixed(0)} ms`,
    );
    expect(score).toBeGreaterThan(0.9);
    expect([s.width, s.height, s.mask.length]).toEqual([224, 224, 224 * 224]);
    expect(s.grid).toEqual({ width: 224, height: 224 });
    // the seeds are the top 5 % and the bottom 30 % of the map (± ties)
    expect(Math.abs(s.seeds.foreground / (224 * 224) - 0.05)).toBeLessThan(0.002);
    expect(Math.abs(s.seeds.background / (224 * 224) - 0.3)).toBeLessThan(0.002);
    // the seeds alone (5 % of the image) are far from the disc (22.5 %): the cut did the work
    expect(s.foregroundFraction).toBeGreaterThan(0.2);
    expect(new Set(s.mask)).toEqual(new Set([0, 1]));
  });

  it('places a centre-crop map on the whole photo and segments large images on a ≤ 320 px grid', () => {
    // 640×480, crop mode: the network saw x 80…560 (480×480 scaled); the disc sits in that view.
    const scene = discScene(640, 480, 300, 250, 110, 3);
    const geometry: Geometry = {
      mode: 'crop',
      sourceWidth: 640,
      sourceHeight: 480,
      region: { x: 80 + 480 / 16, y: 480 / 16, width: (480 * 224) / 256, height: (480 * 224) / 256 },
    };
    // the disc centre in map pixels
    const mx = ((300 - geometry.region.x) * 224) / geometry.region.width;
    const my = ((250 - geometry.region.y) * 224) / geometry.region.height;
    const s = segmentFromSaliency({ width: 640, height: 480, data: scene.rgba }, bumpMap(mx, my, 40, 4), {
      geometry,
    });
    const score = iou(s.mask, scene.truth);
    console.log(
      `disc 640×480 (crop view, grid ${s.grid.width}×${s.grid.height}): IoU ${score.toFixed(4)}, ${s.ms.toFixed(0)} ms`,
    );
    expect(s.grid).toEqual({ width: 320, height: 240 });
    expect(s.mask.length).toBe(640 * 480);
    expect(score).toBeGreaterThan(0.9);
    // The sides outside the network's view carry no seeds, yet the colour models label them
    // background (they are the blue of the background).
    let leftEdge = 0;
    for (let y = 0; y < 480; y++) for (let x = 0; x < 60; x++) leftEdge += s.mask[y * 640 + x];
    expect(leftEdge).toBe(0);
  });

  it('keeps the largest connected component, as the paper does (a second, smaller disc is dropped)', () => {
    const a = discScene(224, 224, 80, 112, 45, 5);
    const small = discScene(224, 224, 140, 55, 18, 6);
    // both discs red: one colour model takes both, the component rule keeps the big one
    const rgba = a.rgba.slice();
    for (let i = 0; i < small.truth.length; i++)
      if (small.truth[i]) for (let c = 0; c < 4; c++) rgba[i * 4 + c] = small.rgba[i * 4 + c];
    // a broad bump: the small disc lies between the seeds' percentiles (no seed of either kind)
    const map = bumpMap(80, 112, 60, 7);
    const kept = segmentFromSaliency({ width: 224, height: 224, data: rgba }, map);
    const both = segmentFromSaliency({ width: 224, height: 224, data: rgba }, map, { largestComponent: false });
    expect(iou(kept.mask, a.truth)).toBeGreaterThan(0.9);
    let smallCovered = 0;
    for (let i = 0; i < small.truth.length; i++) smallCovered += small.truth[i] & both.mask[i];
    expect(smallCovered / small.truth.reduce((s, v) => s + v, 0)).toBeGreaterThan(0.9);
    expect(kept.droppedByComponent).toBeGreaterThan(0.1);
    // the rule itself on a hand-made mask
    const m = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
    keepLargestComponent(m, 4, 4);
    expect(Array.from(m)).toEqual([1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1].map((v, i) => (i >= 10 ? v : 0)));
  });

  it('refuses a flat map, a map that does not match its geometry, and bad options', () => {
    const scene = discScene(64, 48, 32, 24, 10);
    const image = { width: 64, height: 48, data: scene.rgba };
    const flat = { width: 224, height: 224, data: new Float32Array(224 * 224).fill(3) };
    expect(() => segmentFromSaliency(image, flat)).toThrow(SegmentError);
    expect(() => segmentFromSaliency(image, flat)).toThrow(/saliency map is flat/);
    const map = bumpMap(112, 112, 30);
    expect(() =>
      segmentFromSaliency(image, map, {
        geometry: { mode: 'fit', sourceWidth: 10, sourceHeight: 10, region: { x: 0, y: 0, width: 10, height: 10 } },
      }),
    ).toThrow(/image is 64×48, geometry says 10×10/);
    expect(() => segmentFromSaliency(image, map, { foregroundPercentile: 20 })).toThrow(/percentiles/);
    const dot = { width: 1, height: 1, data: Uint8ClampedArray.of(9, 9, 9, 255) };
    expect(() => segmentFromSaliency(dot, map)).toThrow(/too small to segment \(1×1/);
    expect(() => segmentFromSaliency(image, map, { components: 0 })).toThrow(/components/);
    expect(() => segmentFromSaliency(image, map, { neighbours: 6 as 4 })).toThrow(/neighbours/);
  });

  it(`masks on the 12 test photos from their ${SEGMENT_SALIENCY_METHOD} maps cover 5–95 % of each image`, async () => {
    const engine = await engineFor('wasm');
    const lines: string[] = [];
    const fractions: number[] = [];
    for (const p of photos()) {
      const rgba = decodeImage(readFileSync(p.path), p.path);
      const pre = preprocess(rgba, 'crop');
      const map = await explain(engine.model, pixelImage(pre.pixels), SEGMENT_SALIENCY_METHOD);
      const s = segmentFromSaliency(rgba, map, { geometry: pre.geometry });
      fractions.push(s.foregroundFraction);
      lines.push(
        `${p.file.padEnd(48)} ${rgba.width}×${rgba.height} grid ${s.grid.width}×${s.grid.height}: ` +
          `${(100 * s.foregroundFraction).toFixed(1)} % object, ${s.iterations} rounds` +
          `${s.converged ? ' (converged)' : ''}, ${s.ms.toFixed(0)} ms`,
      );
      expect(s.mask.length).toBe(rgba.width * rgba.height);
    }
    console.log(`segmentation, defaults ${JSON.stringify(SEGMENT_DEFAULTS)}:\n${lines.join('\n')}`);
    for (const [i, f] of fractions.entries()) {
      expect(f, photos()[i].file).toBeGreaterThan(0.05);
      expect(f, photos()[i].file).toBeLessThan(0.95);
    }
  }, 120_000);
});

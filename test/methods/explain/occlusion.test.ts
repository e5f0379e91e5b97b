/**
 * Occlusion sensitivity: the map against occluding and classifying by hand, a closed-form tiny
 * case, progress, cancel, no leaks. Coarse patches (32 at stride 32: 49 passes, ~1–3 s each on
 * WASM) keep the file short; the defaults (16/8, 729 passes) are timed in the report, not here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { IMAGENET_MEAN } from '../../../src/engine/preprocess.js';
import {
  CancelledError,
  type PixelImage,
  type Progress,
  pixelImage,
  pixelTensor,
} from '../../../src/methods/common.js';
import { explain } from '../../../src/methods/explain/index.js';
import { occlusion, occlusionFill, patchPositions } from '../../../src/methods/explain/occlusion.js';
import { classify } from '../../../src/methods/explain/saliency.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const imageOf = (path: string) => pixelImage(photoInput(path).pixels);

/** p(class) of the image with the square [y0, y0+size) × [x0, x0+size) replaced by `fill`. */
async function occludedProbability(
  image: PixelImage,
  fill: Float32Array,
  y0: number,
  x0: number,
  size: number,
  classIndex: number,
): Promise<number> {
  const engine = await engineFor('wasm');
  const data = Float32Array.from(image.data);
  for (let y = y0; y < y0 + size; y++) {
    for (let x = x0; x < x0 + size; x++) {
      for (let c = 0; c < 3; c++) data[(y * 224 + x) * 3 + c] = fill[(y * 224 + x) * 3 + c];
    }
  }
  const px = pixelTensor(pixelImage(data));
  const { probs } = await classify(engine.model, px).finally(() => px.dispose());
  return probs[classIndex];
}

describe('occlusion', () => {
  it('places patches on a grid that covers every pixel; refuses bad sizes', () => {
    const p = patchPositions(16, 8);
    expect(p.length).toBe(27);
    expect(p.at(-1)).toBe(208);
    // 224 − 50 = 174 is not a multiple of 40: a last patch flush with the edge is added.
    expect(patchPositions(50, 40)).toEqual([0, 40, 80, 120, 160, 174]);
    expect(patchPositions(224, 224)).toEqual([0]);
    expect(() => patchPositions(0, 8)).toThrow(RangeError);
    expect(() => patchPositions(225, 8)).toThrow(RangeError);
    expect(() => patchPositions(16, 1.5)).toThrow(RangeError);
    const grey = occlusionFill(new Float32Array(224 * 224 * 3), 'grey');
    expect(Array.from(grey.subarray(0, 3))).toEqual(IMAGENET_MEAN.map((m) => Math.fround(m * 255)));
  });

  // Siamese cat p 0.98, airliner 0.51, tench 0.74: not saturated, so a patch moves p visibly
  // (on the owl, p = 0.999997, a 32 px patch moves it by at most 2e-5).
  const hottest = 'is finite and non-constant, and its hottest patch lowers p more than a random one (3 photos)';
  it(hottest, async () => {
    const engine = await engineFor('wasm');
    const random = rng(7);
    for (const p of [photos()[2], photos()[4], photos()[6]]) {
      const image = imageOf(p.path);
      const map = await occlusion(engine.model, image, { patch: 32, stride: 32 });
      expect(map.classIndex).toBe(p.top1);
      expect(map.patches).toBe(49);
      expect(map.data.every(Number.isFinite)).toBe(true);
      expect(map.stats.max).toBeGreaterThan(map.stats.min);
      // Stride = patch: each pixel is under exactly one patch, so the map is that patch's drop.
      const drops = patchPositions(32, 32).flatMap((y) => patchPositions(32, 32).map((x) => ({ y, x })));
      const value = ({ y, x }: { y: number; x: number }) => map.data[y * 224 + x];
      const hot = drops.reduce((a, b) => (value(b) > value(a) ? b : a));
      const others = drops.filter((d) => d !== hot);
      const cold = others[Math.floor(random() * others.length)];
      const grey = occlusionFill(image.data, 'grey');
      const hotDrop = map.probability - (await occludedProbability(image, grey, hot.y, hot.x, 32, p.top1));
      const coldDrop = map.probability - (await occludedProbability(image, grey, cold.y, cold.x, 32, p.top1));
      expect(hotDrop).toBeGreaterThan(coldDrop);
      expect(hotDrop).toBeGreaterThan(0.01);
      // Batched (8 per run) vs one image: the same forward up to float32 rounding.
      expect(Math.abs(hotDrop - value(hot))).toBeLessThan(1e-5);
      expect(Math.abs(coldDrop - value(cold))).toBeLessThan(1e-5);
    }
  });

  it('one 224 patch: the map is p(image) − p(baseline image) everywhere, for every baseline', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[6].path);
    for (const baseline of ['grey', 'black', 'blur'] as const) {
      const map = await occlusion(engine.model, image, { patch: 224, stride: 224, baseline });
      const fill = occlusionFill(image.data, baseline);
      const expected = map.probability - (await occludedProbability(image, fill, 0, 0, 224, map.classIndex));
      expect(map.patches).toBe(1);
      expect(map.data.every((v) => v === map.data[0])).toBe(true);
      expect(Math.abs(map.data[0] - expected)).toBeLessThan(1e-6);
      expect(map.data[0]).toBeGreaterThan(0.1); // the tench is gone: p 0.74 falls
    }
  });

  it('reports progress per batch, cancels between batches, leaks nothing; explain() runs it', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[2].path);
    await occlusion(engine.model, image, { patch: 224, stride: 224 }); // warm up kernels
    const before = tf.memory().numTensors;
    const events: Progress[] = [];
    // 56/56: 4 × 4 = 16 patches, batches of 8 and 8.
    const map = await explain(
      engine.model,
      image,
      'occlusion',
      { patch: 56, stride: 56, occlusionBaseline: 'black', occlusionBatch: 8 },
      { onProgress: (e) => events.push(e) },
    );
    expect(map.method).toBe('occlusion');
    expect(map.units).toMatch(/56×56 patch \(stride 56, black\)/);
    expect(events.map((e) => [e.step, e.total])).toEqual([
      [8, 16],
      [16, 16],
    ]);
    // A 48 px patch at stride 40 still covers the last rows and columns.
    const odd = await occlusion(engine.model, image, { patch: 48, stride: 40, occlusionBatch: 16 });
    expect(odd.data.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    const abort = new AbortController();
    await expect(
      occlusion(
        engine.model,
        image,
        { patch: 56, stride: 56 },
        { signal: abort.signal, onProgress: () => abort.abort() },
      ),
    ).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
    await expect(explain(engine.model, image, 'smoothgrad', { base: 'occlusion' as never })).rejects.toThrow(
      /cannot wrap occlusion/,
    );
    await expect(occlusion(engine.model, image, { baseline: 'white' as never })).rejects.toThrow(/unknown baseline/);
    await expect(occlusion(engine.model, image, { occlusionBatch: 0 })).rejects.toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * Feature inversion, texture synthesis and style transfer on test photos: each lowers its loss,
 * returns the 8-bit image it measured, reports progress with previews, honours cancel and leaves
 * no tensor behind. Iteration counts are cut where the full 200 would make the test slow (measured
 * on 2 busy cores: inversion 51 ms, texture 430 ms, style transfer 540 ms per iteration).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/engine/decode-node.js';
import { preprocessWhole } from '../../../src/engine/preprocess.js';
import { CancelledError, type PixelImage, type Progress, pixelImage } from '../../../src/methods/common.js';
import { invertFeatures, invertLayers, type LayersProgress } from '../../../src/methods/synthesize/invert.js';
import { stylize } from '../../../src/methods/synthesize/stylize.js';
import { synthesizeTexture } from '../../../src/methods/synthesize/texture.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const picture = (k: number): PixelImage => pixelImage(photoInput(photos()[k].path, 'fit').pixels);

/** A photo whole at its aspect ratio, smallest side `size` (what the CLI and the extension give). */
const whole = (k: number, size: number): PixelImage => {
  const p = preprocessWhole(decodeImage(readFileSync(photos()[k].path), photos()[k].path), size);
  return { width: p.width, height: p.height, data: Float32Array.from(p.pixels) };
};

describe('images from features', () => {
  it('feature inversion (fire2, CS231n settings) lowers its content loss ≥ 10× from noise', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const progress: Progress[] = [];
    const r = await invertFeatures(engine.model, picture(3), { layer: 'fire2', onProgress: (p) => progress.push(p) });
    expect(tf.memory().numTensors).toBe(before);
    console.log(
      `invert fire2: content ${r.lossStart.content.toFixed(0)} → ${r.lossEnd.content.toFixed(0)}, ` +
        `total ${r.lossStart.total.toFixed(0)} → ${r.lossEnd.total.toFixed(0)}, ${r.msPerIteration.toFixed(1)} ms/it`,
    );
    expect(r.iterations).toBe(200);
    expect(r.history).toHaveLength(200);
    expect(r.image.data).toHaveLength(224 * 224 * 3);
    expect(r.lossStart.content / r.lossEnd.content).toBeGreaterThan(10);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(progress.filter((p) => p.preview).map((p) => p.step)).toEqual([25, 50, 75, 100, 125, 150, 175, 200]);
  });

  it('invertLayers: each layer from the same noise, one progress count over all, cancel, no tensors left', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const progress: LayersProgress[] = [];
    const r = await invertLayers(engine.model, picture(3), {
      layers: ['conv1', 'fire4'],
      iterations: 3,
      onProgress: (p) => progress.push(p),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.map((x) => x.layer)).toEqual(['conv1', 'fire4']);
    expect(progress.map((p) => [p.step, p.total, p.layer, p.index, p.layerStep, p.layerTotal])).toEqual([
      [1, 6, 'conv1', 0, 1, 3],
      [2, 6, 'conv1', 0, 2, 3],
      [3, 6, 'conv1', 0, 3, 3],
      [4, 6, 'fire4', 1, 1, 3],
      [5, 6, 'fire4', 1, 2, 3],
      [6, 6, 'fire4', 1, 3, 3],
    ]);
    expect(progress[4].message).toBe('fire4: step 2 of 3');
    // exactly what inverting that layer alone gives (same seed, same settings)
    const alone = await invertFeatures(engine.model, picture(3), { layer: 'fire4', iterations: 3 });
    expect(r[1].image.data).toEqual(alone.image.data);
    expect(r[1].lossEnd).toEqual(alone.lossEnd);

    const controller = new AbortController();
    const run = invertLayers(engine.model, picture(3), {
      iterations: 3,
      signal: controller.signal,
      onProgress: (p) => p.step === 4 && controller.abort(), // in the second layer
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    await expect(invertLayers(engine.model, picture(3), { layers: [] })).rejects.toThrow(/no layers/);
    await expect(invertLayers(engine.model, picture(3), { layers: ['fire2', 'fire2'] })).rejects.toThrow(/twice/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('texture synthesis lowers the style loss ≥ 10× from noise (40 iterations)', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const r = await synthesizeTexture(engine.model, picture(9), { iterations: 40 });
    expect(tf.memory().numTensors).toBe(before);
    console.log(
      `texture: style ${r.lossStart.style.toFixed(0)} → ${r.lossEnd.style.toFixed(0)}, ` +
        `${r.msPerIteration.toFixed(0)} ms/it`,
    );
    expect(r.lossStart.content).toBe(0);
    expect(r.lossStart.style / r.lossEnd.style).toBeGreaterThan(10);
  });

  it('style transfer lowers its total loss (20 iterations at lr 0.1) and scales the style weights', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const r = await stylize(engine.model, picture(3), picture(9), {
      preset: 'scream',
      strength: 2,
      iterations: 20,
      learningRate: 0.1,
    });
    expect(tf.memory().numTensors).toBe(before);
    console.log(
      `stylize: total ${r.lossStart.total.toFixed(0)} → ${r.lossEnd.total.toFixed(0)} ` +
        `(style ${r.lossStart.style.toFixed(0)} → ${r.lossEnd.style.toFixed(0)}), ` +
        `${r.msPerIteration.toFixed(0)} ms/it`,
    );
    expect(r.weights).toEqual({ content: 3e-2, style: [400000, 1600, 24, 2], tv: 2e-2 });
    expect(r.lossEnd.total).toBeLessThan(r.lossStart.total);
    expect(r.lossEnd.style).toBeLessThan(r.lossStart.style);
  });

  it("work at the picture's own size: inversion, texture and style transfer (content and style sizes differ)", async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const airliner = whole(4, 192); // 500×332 → 289×192
    expect([airliner.width, airliner.height]).toEqual([289, 192]);
    const inv = await invertFeatures(engine.model, airliner, { layer: 'conv1', iterations: 20 });
    expect([inv.image.width, inv.image.height]).toEqual([289, 192]);
    expect(inv.image.data).toHaveLength(289 * 192 * 3);
    expect(inv.lossEnd.content).toBeLessThan(inv.lossStart.content);
    const golden = whole(1, 96); // 300×500 → 96×160
    const tex = await synthesizeTexture(engine.model, golden, { iterations: 5 });
    expect([tex.image.width, tex.image.height]).toEqual([96, 160]);
    const style = whole(3, 256); // 500×351 → 364×256
    const r = await stylize(engine.model, airliner, style, { iterations: 10, learningRate: 0.1 });
    expect([r.image.width, r.image.height]).toEqual([289, 192]);
    console.log(
      `289×192 in a 364×256 style: total ${r.lossStart.total.toFixed(0)} → ${r.lossEnd.total.toFixed(0)}, ` +
        `${r.msPerIteration.toFixed(0)} ms/it; invert conv1 content ${inv.lossStart.content.toFixed(0)} → ${inv.lossEnd.content.toFixed(0)}`,
    );
    expect(r.lossEnd.total).toBeLessThan(r.lossStart.total);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('can be cancelled, leaving no tensors', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = stylize(engine.model, picture(3), picture(9), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
    const aborted = new AbortController();
    aborted.abort();
    await expect(invertFeatures(engine.model, picture(3), { signal: aborted.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad options before allocating anything', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    await expect(invertFeatures(engine.model, picture(3), { layer: 'classifier' as never })).rejects.toThrow(
      /unknown layer/,
    );
    await expect(stylize(engine.model, picture(3), picture(9), { strength: -1 })).rejects.toThrow(/strength/);
    await expect(synthesizeTexture(engine.model, picture(9), { styleWeights: [1, 2] })).rejects.toThrow(/weights/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

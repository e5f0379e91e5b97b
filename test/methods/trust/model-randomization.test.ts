/**
 * Cascading model randomization (Adebayo et al. 2018): the vanilla gradient map must decorrelate
 * from the trained model's as layers are randomized and pass; an edge detector of the image
 * itself (ignores the model) must be flagged; randomization is seeded, scale-matched and only
 * touches the named convs; randomized models are disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadWeightsNode } from '../../../src/engine/node-weights.js';
import { CancelledError, type PixelImage, type Progress, pixelImage } from '../../../src/methods/common.js';
import { gradCam } from '../../../src/methods/explain/grad-cam.js';
import { vanilla } from '../../../src/methods/explain/vanilla.js';
import {
  CASCADE,
  type MapFn,
  modelRandomization,
  randomizeWeights,
} from '../../../src/methods/trust/model-randomization.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const imageOf = (path: string): PixelImage => pixelImage(photoInput(path).pixels);

const vanillaMap: MapFn = async (model, image, classIndex, control) =>
  (await vanilla(model, image, { classIndex }, control)).data;

/** A "saliency method" that never looks at the model: Sobel gradient magnitude of the grey image. */
const edgeDetector: MapFn = async (_model, image) => {
  const grey = new Float32Array(224 * 224);
  for (let i = 0; i < grey.length; i++)
    grey[i] = (image.data[3 * i] + image.data[3 * i + 1] + image.data[3 * i + 2]) / 3;
  const at = (y: number, x: number) => grey[Math.min(223, Math.max(0, y)) * 224 + Math.min(223, Math.max(0, x))];
  const out = new Float32Array(224 * 224);
  for (let y = 0; y < 224; y++)
    for (let x = 0; x < 224; x++) {
      const gx =
        at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
      const gy =
        at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
      out[y * 224 + x] = Math.hypot(gx, gy);
    }
  return out;
};

function meanStd(v: Float32Array): [number, number] {
  let s = 0;
  let q = 0;
  for (const x of v) [s, q] = [s + x, q + x * x];
  return [s / v.length, Math.sqrt(q / v.length - (s / v.length) ** 2)];
}

describe('model randomization', () => {
  it("re-draws only the named convs, seeded, with each kernel's mean and std", async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    const a = randomizeWeights(weights, ['conv25', 'conv22'], 1);
    const b = randomizeWeights(weights, ['conv25'], 1);
    const c = randomizeWeights(weights, ['conv25'], 2);
    expect(a.conv0).toBe(weights.conv0);
    expect(a.conv24).toBe(weights.conv24);
    // per-conv seeding: the cascade is consistent
    expect(Array.from(a.conv25.kernel.subarray(0, 100))).toEqual(Array.from(b.conv25.kernel.subarray(0, 100)));
    expect(Array.from(c.conv25.kernel.subarray(0, 100))).not.toEqual(Array.from(b.conv25.kernel.subarray(0, 100)));
    for (const name of ['conv25', 'conv22']) {
      const [m0, s0] = meanStd(weights[name].kernel);
      const [m1, s1] = meanStd(a[name].kernel);
      expect(Math.abs(m1 - m0)).toBeLessThan(0.05 * s0);
      expect(Math.abs(s1 - s0) / s0).toBeLessThan(0.02);
      // and it is really new: uncorrelated with the trained kernel
      let dot = 0;
      for (let i = 0; i < a[name].kernel.length; i++) dot += (a[name].kernel[i] - m1) * (weights[name].kernel[i] - m0);
      expect(Math.abs(dot / a[name].kernel.length / (s0 * s1))).toBeLessThan(0.02);
    }
    expect(() => randomizeWeights(weights, ['conv99'])).toThrow(/conv99: no such conv/);
    expect(CASCADE.map((s) => s.block)).toEqual([
      'classifier',
      'fire9',
      'fire8',
      'fire7',
      'fire6',
      'fire5',
      'fire4',
      'fire3',
      'fire2',
      'conv1',
    ]);
    expect(CASCADE.flatMap((s) => s.convs).sort()).toEqual(Object.keys(weights).sort());
  });

  it('vanilla gradient: the map decorrelates as layers are randomized, and the method passes', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    for (const p of [photos()[0], photos()[8]]) {
      const image = imageOf(p.path);
      await vanilla(engine.model, image);
      const before = tf.memory().numTensors;
      const events: Progress[] = [];
      const t0 = performance.now();
      const r = await modelRandomization(
        engine.model,
        weights,
        image,
        vanillaMap,
        {},
        { onProgress: (e) => events.push(e) },
      );
      const ms = performance.now() - t0;
      expect(tf.memory().numTensors).toBe(before); // every randomized model disposed
      expect(events.length).toBe(11);
      console.log(
        `${p.file} vanilla (${ms.toFixed(0)} ms): ` +
          `${r.steps.map((s) => `${s.block} ${s.spearmanAbs.toFixed(2)}/${s.ssim.toFixed(2)}`).join(', ')}`,
      );
      console.log(`  verdict: ${r.verdict.message}`);
      expect(r.classIndex).toBe(p.top1);
      expect(r.steps.length).toBe(10);
      expect(r.verdict.modelSensitive).toBe(true);
      const rho = r.steps.map((s) => s.spearmanAbs);
      expect(Math.max(...rho)).toBeLessThan(0.8); // the very first step already changes the map
      expect(rho[9]).toBeLessThan(rho[0] - 0.15); // and it keeps falling down the cascade
      expect(r.steps.every((s) => !s.constant)).toBe(true);
    }
  });

  it('flags a method that ignores the model (an edge detector of the image)', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    const r = await modelRandomization(engine.model, weights, imageOf(photos()[3].path), edgeDetector);
    console.log(`edge detector: ${r.steps.map((s) => s.spearmanAbs.toFixed(2)).join(' ')}; ${r.verdict.message}`);
    expect(r.verdict.modelSensitive).toBe(false);
    expect(r.verdict.correlation).toBe(1);
    expect(r.verdict.message).toMatch(/NOT model-sensitive/);
    // independent mode, and a stricter threshold cannot rescue it either
    const ind = await modelRandomization(engine.model, weights, imageOf(photos()[3].path), edgeDetector, {
      mode: 'independent',
      threshold: 0.99,
      blocks: 3,
    });
    expect(ind.steps.map((s) => s.randomized)).toEqual([
      ['conv25'],
      ['conv22', 'conv23', 'conv24'],
      ['conv19', 'conv20', 'conv21'],
    ]);
    expect(ind.verdict.modelSensitive).toBe(false);
  });

  it('Grad-CAM decorrelates at once; options are validated; cancellation works', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    const image = imageOf(photos()[6].path);
    const camMap: MapFn = async (model, im, classIndex) => (await gradCam(model, im, { classIndex })).data;
    const r = await modelRandomization(engine.model, weights, image, camMap, { blocks: 3, keepMaps: true });
    console.log(
      `Grad-CAM: ${r.steps.map((s) => `${s.block} ${s.spearmanAbs.toFixed(2)}`).join(', ')}; ${r.verdict.message}`,
    );
    expect(r.verdict.modelSensitive).toBe(true);
    expect(r.verdict.correlation).toBeLessThan(0.4);
    expect(r.steps[2].map!.length).toBe(224 * 224);
    await expect(modelRandomization(engine.model, weights, image, camMap, { blocks: 2 })).rejects.toThrow(
      /blocks must be ≥ 3/,
    );
    await expect(
      modelRandomization(engine.model, weights, image, camMap, { verdictAfter: 'fire10' as never }),
    ).rejects.toThrow(/unknown block/);
    await expect(modelRandomization(engine.model, weights, image, camMap, { classIndex: 1000 })).rejects.toThrow(
      RangeError,
    );
    const before = tf.memory().numTensors;
    const abort = new AbortController();
    await expect(
      modelRandomization(
        engine.model,
        weights,
        image,
        camMap,
        {},
        { signal: abort.signal, onProgress: (e) => e.step === 2 && abort.abort() },
      ),
    ).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

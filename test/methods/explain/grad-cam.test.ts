/**
 * Grad-CAM: the fire9 identity with CAM (pre-ReLU head: w_k = W_ck / 169, so the cam is
 * ReLU((Z_c − b_c) / 169) from the engine's class map), the channel weights on the logits head
 * from the classifier weights and the sign pattern of the class map, the bilinear upsampling by
 * hand, other layers, and non-negative, 224×224, non-constant maps on all 12 photos.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadWeightsNode } from '../../../src/engine/node-weights.js';
import { CancelledError, type PixelImage, pixelImage } from '../../../src/methods/common.js';
import { gradCam, upsampleBilinear } from '../../../src/methods/explain/grad-cam.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const imageOf = (path: string): PixelImage => pixelImage(photoInput(path).pixels);

function classMap(engine: Awaited<ReturnType<typeof engineFor>>, path: string, c: number): Float32Array {
  return tf.tidy(() => {
    const r = engine.model.run(tf.tensor4d(photoInput(path).input, [1, 224, 224, 3]), { activations: ['classifier'] });
    return tf.gather(r.activations.classifier!, [c], 3).dataSync() as Float32Array;
  });
}

describe('Grad-CAM', () => {
  it('on fire9 with the pre-ReLU head is the class activation map ReLU((Z_c − b_c) / 169)', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    for (const p of [photos()[0], photos()[9]]) {
      const cam = await gradCam(engine.model, imageOf(p.path), { classIndex: p.label, head: 'preReluLogits' });
      expect([cam.camHeight, cam.camWidth]).toEqual([13, 13]);
      const z = classMap(engine, p.path, p.label);
      const bias = weights.conv25.bias[p.label];
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < 169; i++) {
        const expected = Math.max(0, (z[i] - bias) / 169);
        worst = Math.max(worst, Math.abs(cam.cam[i] - expected));
        scale = Math.max(scale, expected);
      }
      console.log(`${p.file}: max |cam − ReLU((Z − b)/169)| / max = ${(worst / scale).toExponential(2)}`);
      expect(scale).toBeGreaterThan(0);
      expect(worst / scale).toBeLessThan(1e-4);
      // and the channel weights are the classifier's column / 169
      for (let k = 0; k < 512; k += 37)
        expect(cam.channelWeights[k]).toBeCloseTo(weights.conv25.kernel[k * 1000 + p.label] / 169, 7);
    }
  });

  it('on the logits head weighs channels by W_ck · (#cells with Z_c > 0) / 169²', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    const p = photos()[5];
    const cam = await gradCam(engine.model, imageOf(p.path), { classIndex: p.label });
    expect(cam.head).toBe('logits');
    const positive = classMap(engine, p.path, p.label).filter((v) => v > 0).length;
    expect(positive).toBeGreaterThan(0);
    expect(positive).toBeLessThan(169); // otherwise this would not distinguish the heads
    let worst = 0;
    let scale = 0;
    for (let k = 0; k < 512; k++) {
      const expected = (weights.conv25.kernel[k * 1000 + p.label] * positive) / 169 ** 2;
      worst = Math.max(worst, Math.abs(cam.channelWeights[k] - expected));
      scale = Math.max(scale, Math.abs(expected));
    }
    console.log(
      `${p.file}: ${positive}/169 positive cells; ` +
        `channel weights max error / max = ${(worst / scale).toExponential(2)}`,
    );
    expect(worst / scale).toBeLessThan(1e-5);
  });

  it('upsamples bilinearly with pixel centres aligned', () => {
    expect(Array.from(upsampleBilinear([0, 1], 1, 2, 1, 4))).toEqual([0, 0.25, 0.75, 1]);
    const up = upsampleBilinear([0, 1, 2, 3], 2, 2, 4, 4);
    // rows: clamp(−¼)=0, ¼, ¾, clamp(1¼)=1 → row values 0, 0.5, 1.5, 2 plus column values 0, .25, .75, 1
    expect(Array.from(up.slice(4, 8))).toEqual([0.5, 0.75, 1.25, 1.5]);
    expect(upsampleBilinear(new Float32Array(169).fill(2), 13, 13).every((v) => v === 2)).toBe(true);
    expect(() => upsampleBilinear([1, 2, 3], 2, 2)).toThrow(RangeError);
  });

  it('is non-negative, 224×224, finite and not constant on all 12 photos', async () => {
    const engine = await engineFor('wasm');
    for (const p of photos()) {
      const cam = await gradCam(engine.model, imageOf(p.path));
      expect([cam.width, cam.height, cam.data.length]).toEqual([224, 224, 224 * 224]);
      expect(cam.data.every(Number.isFinite)).toBe(true);
      expect(cam.stats.min).toBeGreaterThanOrEqual(0);
      expect(cam.stats.max).toBeGreaterThan(cam.stats.min);
      // at least a few distinct cells are lit
      expect(new Set(cam.cam).size).toBeGreaterThan(5);
      expect(cam.classIndex).toBe(p.top1);
    }
  });

  it('works on other layers at their resolution, refuses unknown ones, leaks nothing, cancels', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[2].path);
    await gradCam(engine.model, image);
    const before = tf.memory().numTensors;
    for (const [layer, size] of [
      ['fire5', 27],
      ['fire3', 55],
      ['conv1', 111],
    ] as const) {
      const cam = await gradCam(engine.model, image, { layer });
      expect([cam.camHeight, cam.camWidth, cam.channelWeights.length]).toEqual([
        size,
        size,
        layer === 'conv1' ? 64 : layer === 'fire3' ? 128 : 256,
      ]);
      expect(cam.stats.min).toBeGreaterThanOrEqual(0);
      expect(cam.stats.max).toBeGreaterThan(0);
    }
    await expect(gradCam(engine.model, image, { layer: 'fire10' as never })).rejects.toThrow(/layer must be one of/);
    expect(tf.memory().numTensors).toBe(before);
    const abort = new AbortController();
    abort.abort();
    await expect(gradCam(engine.model, image, {}, { signal: abort.signal })).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * Deletion / insertion: curve mechanics checked against direct forward passes (end points are the
 * image and the substrate), orders and areas by hand, and the metric's point: on the 12 photos a
 * real saliency map's deletion curve falls faster (and its insertion curve rises faster) than a
 * seeded random-order map's — a comparison that fails for a map that carries no information.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  type PixelImage,
  type Progress,
  pixelImage,
  pixelTensor,
  seededRandom,
} from '../../../src/methods/common.js';
import { gradCam } from '../../../src/methods/explain/grad-cam.js';
import { classify } from '../../../src/methods/explain/saliency.js';
import { vanilla } from '../../../src/methods/explain/vanilla.js';
import {
  deletionInsertion,
  saliencyOrder,
  substrateImage,
  trapezoidAuc,
} from '../../../src/methods/trust/deletion-insertion.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const imageOf = (path: string): PixelImage => pixelImage(photoInput(path).pixels);

async function probOf(engine: Awaited<ReturnType<typeof engineFor>>, data: Float32Array, c: number): Promise<number> {
  const px = pixelTensor(pixelImage(data));
  const { probs } = await classify(engine.model, px);
  px.dispose();
  return probs[c];
}

describe('deletion and insertion', () => {
  it('orders pixels and patches by saliency, ties seeded; trapezoid areas', () => {
    expect(Array.from(saliencyOrder([0.2, 0.9, 0.5, 0.1], 0, 1, 2, 2))).toEqual([1, 2, 0, 3]);
    // 4×4 map, 2×2 patches: patch means [0, 1, 0.5, 0.25] → patch order 1, 2, 3, 0
    const map = [0, 0, 1, 1, 0, 0, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 0.25, 0.25];
    expect(Array.from(saliencyOrder(map, 0, 2, 4, 4))).toEqual([2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15, 0, 1, 4, 5]);
    // a ragged patch size still covers every pixel once
    const ragged = saliencyOrder(
      Float32Array.from({ length: 224 * 224 }, (_, i) => i % 7),
      3,
      10,
    );
    expect(new Set(ragged).size).toBe(224 * 224);
    // ties: a constant map gives a seeded random permutation
    const flat = new Float32Array(224 * 224);
    const o1 = saliencyOrder(flat, 1);
    expect(Array.from(saliencyOrder(flat, 1))).toEqual(Array.from(o1));
    expect(Array.from(saliencyOrder(flat, 2).subarray(0, 50))).not.toEqual(Array.from(o1.subarray(0, 50)));
    expect(trapezoidAuc([0, 0.5, 1], [1, 0.5, 0])).toBeCloseTo(0.5, 12);
    expect(trapezoidAuc([0, 0.25, 1], [1, 1, 1])).toBeCloseTo(1, 12);
  });

  const curvesRun =
    'curves run from the image to the substrate (deletion) and back (insertion), by direct forward passes';
  it(curvesRun, async () => {
    const engine = await engineFor('wasm');
    const p = photos()[2];
    const image = imageOf(p.path);
    const map = (await gradCam(engine.model, image)).data;
    const before = tf.memory().numTensors;
    const events: Progress[] = [];
    const r = await deletionInsertion(
      engine.model,
      image,
      map,
      { stepFraction: 0.1, batchSize: 4, deletionSubstrate: 'mean' },
      { onProgress: (e) => events.push(e) },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(r.classIndex).toBe(p.label);
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]);
    const d = r.deletion!;
    const ins = r.insertion!;
    expect(d.x.length).toBe(11);
    expect(d.x[0]).toBe(0);
    expect(d.x[10]).toBe(1);
    const original = await probOf(engine, image.data, p.label);
    const grey = await probOf(engine, substrateImage(image.data, 'mean'), p.label);
    const blurred = await probOf(engine, substrateImage(image.data, 'blur'), p.label);
    expect(d.probability[0]).toBeCloseTo(original, 5);
    expect(d.probability[10]).toBeCloseTo(grey, 5);
    expect(ins.probability[0]).toBeCloseTo(blurred, 5);
    expect(ins.probability[10]).toBeCloseTo(original, 5);
    expect([d.substrate, ins.substrate]).toEqual(['mean', 'blur']);
    // one intermediate point rebuilt by hand: the 30 % most salient 8×8 patches greyed
    const order = saliencyOrder(map, 0, 8);
    const manual = Float32Array.from(image.data);
    const grey3 = substrateImage(image.data, 'mean');
    for (let j = 0; j < Math.round(0.3 * 224 * 224); j++)
      for (let c = 0; c < 3; c++) manual[order[j] * 3 + c] = grey3[order[j] * 3 + c];
    expect(d.probability[3]).toBeCloseTo(await probOf(engine, manual, p.label), 5);
    expect(d.auc).toBeCloseTo(trapezoidAuc(d.x, d.probability), 12);
    await expect(deletionInsertion(engine.model, image, new Float32Array(5))).rejects.toThrow(RangeError);
    await expect(deletionInsertion(engine.model, image, map, { stepFraction: 0 })).rejects.toThrow(RangeError);
    await expect(deletionInsertion(engine.model, image, map, { deletionSubstrate: 'white' as never })).rejects.toThrow(
      /unknown substrate/,
    );
    const abort = new AbortController();
    await expect(
      deletionInsertion(engine.model, image, map, {}, { signal: abort.signal, onProgress: () => abort.abort() }),
    ).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });

  const beatRandomOrder =
    'real maps beat a random-order map on most of the 12 photos (deletion falls faster, insertion rises faster)';
  it(beatRandomOrder, async () => {
    const engine = await engineFor('wasm');
    const wins = { camDeletion: 0, camInsertion: 0, vanillaInsertion: 0 };
    const rows: string[] = [];
    const t0 = performance.now();
    for (const [i, p] of photos().entries()) {
      const image = imageOf(p.path);
      const cam = await gradCam(engine.model, image);
      const van = await vanilla(engine.model, image);
      const random = seededRandom(100 + i);
      const randomMap = Float32Array.from({ length: 224 * 224 }, () => random());
      const options = { stepFraction: 0.1, classIndex: cam.classIndex };
      const c = await deletionInsertion(engine.model, image, cam, options);
      const r = await deletionInsertion(engine.model, image, randomMap, options);
      const v = await deletionInsertion(engine.model, image, van, { ...options, curves: ['insertion'] });
      wins.camDeletion += Number(c.deletion!.auc < r.deletion!.auc);
      wins.camInsertion += Number(c.insertion!.auc > r.insertion!.auc);
      wins.vanillaInsertion += Number(v.insertion!.auc > r.insertion!.auc);
      rows.push(
        `${p.file.padEnd(40)} ` +
          `deletion Grad-CAM ${c.deletion!.auc.toFixed(3)} random ${r.deletion!.auc.toFixed(3)} | ` +
          `insertion Grad-CAM ${c.insertion!.auc.toFixed(3)} vanilla ${v.insertion!.auc.toFixed(3)} ` +
          `random ${r.insertion!.auc.toFixed(3)}`,
      );
    }
    console.log(
      `${rows.join('\n')}\nwins over random order (of 12): ${JSON.stringify(wins)}; ` +
        `${(performance.now() - t0).toFixed(0)} ms`,
    );
    expect(wins.camDeletion).toBeGreaterThanOrEqual(9);
    expect(wins.camInsertion).toBeGreaterThanOrEqual(10);
    expect(wins.vanillaInsertion).toBeGreaterThanOrEqual(9);
  });
});

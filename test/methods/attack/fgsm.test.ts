/**
 * FGSM on the 12 labelled photos: untargeted at ε = 8/255 flips the top-1 of (nearly) every photo,
 * L∞ never exceeds the budget after rounding; it steps on the exact sign (not WASM's tf.sign, which
 * zeroes tiny gradients) of the cross-entropy gradient, computed without float32 underflow.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../../src/engine/preprocess.js';
import { classScore, type ScoreFn } from '../../../src/engine/scores.js';
import { fgsmAttack } from '../../../src/methods/attack/fgsm.js';
import { crossEntropyDirection, exactSign } from '../../../src/methods/attack/losses.js';
import { randomClass } from '../../../src/methods/attack/targets.js';
import { inputGradToPixelGrad, pixelImage, pixelsToInput } from '../../../src/methods/common.js';
import { argmax, median } from '../../../src/shared/numeric.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

async function run(epsilon: number, targeted: boolean) {
  const engine = await engineFor('wasm');
  const rows = [];
  for (const [i, p] of photos().entries()) {
    const pre = photoInput(p.path);
    const target = targeted ? randomClass(await engine.classifier.probabilities(pre.input), 2024 + i) : null;
    const r = await fgsmAttack(engine.model, pixelImage(pre.pixels), target, { epsilon, backend: 'wasm' });
    const top = argmax(await engine.classifier.probabilities(normalize(r.pixels)));
    // success is about the returned bytes, re-classified independently
    expect(r.success).toBe(targeted ? top === target : top !== p.top1);
    expect(r.metrics.linf).toBeLessThanOrEqual(Math.floor(epsilon));
    expect(r.metrics.iterations).toBe(1);
    expect(r.source).toBe(p.top1);
    rows.push({ file: p.file, r, top });
  }
  const ok = rows.filter((x) => x.r.success).length;
  console.log(
    `FGSM ${targeted ? 'targeted (random targets)' : 'untargeted'} ε = ${epsilon}/255: ${ok}/12 fooled; ` +
      `median L2 ${median(rows.map((x) => x.r.metrics.l2)).toFixed(0)}, ` +
      `changed ${(100 * median(rows.map((x) => x.r.metrics.changedValues))).toFixed(0)}% of values, ` +
      `median time ${median(rows.map((x) => x.r.metrics.ms)).toFixed(0)} ms; ` +
      `new top-1: ${rows.map((x) => x.top).join(' ')}`,
  );
  return ok;
}

describe('FGSM', () => {
  it('untargeted at ε = 8/255 flips the top-1 of nearly every photo; L∞ ≤ ε after rounding', async () => {
    await engineFor('wasm');
    const baseline = tf.memory().numTensors;
    expect(await run(8, false)).toBeGreaterThanOrEqual(10); // measured 11/12
    expect(await run(2, false)).toBeGreaterThanOrEqual(7); // measured 9/12
    // one step rarely reaches a random target (measured 0/12): reported only
    expect(await run(8, true)).toBeGreaterThanOrEqual(0);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('a fractional ε keeps L∞ ≤ ⌊ε⌋ after rounding', async () => {
    const engine = await engineFor('wasm');
    const pre = photoInput(photos()[3].path);
    const r = await fgsmAttack(engine.model, pixelImage(pre.pixels), null, { epsilon: 2.5 });
    expect(r.metrics.linf).toBe(2);
    const r0 = await fgsmAttack(engine.model, pixelImage(pre.pixels), null, { epsilon: 0 });
    expect(r0.metrics.linf).toBe(0);
    expect(r0.success).toBe(false);
    await expect(fgsmAttack(engine.model, pixelImage(pre.pixels), null, { epsilon: -1 })).rejects.toThrow(RangeError);
  });

  it('steps on the exact sign of the cross-entropy gradient, computed without underflow', async () => {
    const engine = await engineFor('wasm');
    // exactSign is exact for tiny values (TF.js's WASM Sign kernel zeroes |x| < ~1.2e-7).
    const tiny = [1e-8, -1e-10, 1e-30, 0, -2e-5, 3];
    expect([...tf.tidy(() => exactSign(tf.tensor1d(tiny)).dataSync())]).toEqual([1, -1, 1, 0, -1, 1]);
    console.log(
      `tf.sign on ${tf.getBackend()} of [${tiny.join(', ')}]: ` +
        `[${[...tf.tidy(() => tf.sign(tf.tensor1d(tiny)).dataSync())].join(', ')}]`,
    );

    // On logits alone: a lead of 30 rounds p_k to 1, so the textbook seed p − e_k loses its own
    // term (p_k − 1 = 0); a lead of 120 underflows every other p_c too and the seed is all zeros.
    // The rescaled seed (q − e_k) keeps both, and equals (p − e_k)/(1 − p_k) where both are exact.
    const seeds = (lead: number) =>
      tf.tidy(() => {
        const z = tf.tensor2d([Array.from({ length: 1000 }, (_, i) => (i === 7 ? lead : (i % 5) * 0.3))]);
        const heads = { logits: z, preReluLogits: z };
        const textbook = classScore([7], 'crossEntropy', 'logits')(heads).dLogits!.dataSync();
        const ours = crossEntropyDirection(7, 'logits')(heads).dLogits!.dataSync();
        const p7 = tf.softmax(z).dataSync()[7];
        return { textbook, ours, p7 };
      });
    const saturated = seeds(30);
    expect(saturated.p7).toBe(1);
    expect(saturated.textbook[7]).toBe(0);
    expect(saturated.ours[7]).toBe(-1);
    expect(saturated.ours.filter((v) => v > 0).length).toBe(999);
    const underflow = seeds(120);
    expect(underflow.textbook.every((v) => v === 0)).toBe(true);
    expect(underflow.ours[7]).toBe(-1);
    expect(underflow.ours.filter((v) => v > 0).length).toBe(999);
    const moderate = seeds(3);
    for (let i = 0; i < 1000; i++) expect(moderate.ours[i] * (1 - moderate.p7)).toBeCloseTo(moderate.textbook[i], 6);

    // On the photos: the input gradients point the same way as the textbook ones.
    const grad = (x: Float32Array, score: ScoreFn) =>
      tf.tidy(
        () =>
          inputGradToPixelGrad(
            engine.model.run(pixelsToInput(tf.tensor4d(x, [1, 224, 224, 3])), { score, gradients: ['input'] }).gradients
              .input!,
          ).dataSync() as Float32Array,
      );
    const cosines: number[] = [];
    for (const p of photos()) {
      const x = Float32Array.from(photoInput(p.path).pixels);
      const a = grad(x, classScore([p.label], 'crossEntropy', 'logits'));
      const b = grad(x, crossEntropyDirection(p.label, 'logits'));
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < x.length; i++) {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
      }
      cosines.push(dot / Math.sqrt(na * nb));
    }
    console.log(
      `cosine(textbook, rescaled) input gradients on the 12 photos: ${cosines.map((c) => c.toFixed(5)).join(' ')}`,
    );
    expect(Math.min(...cosines)).toBeGreaterThan(0.98); // measured 0.990 (owl: p − 1 keeps 1–2 digits there)
    expect(median(cosines)).toBeGreaterThan(0.9999);
  });
});

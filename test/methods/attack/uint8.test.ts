/**
 * The 8-bit guarantee: a float image that fools the model only barely (the CS231n ascent stopped
 * right at the decision boundary) is undone by rounding; the attack notices, goes on from the
 * rounded image, and returns bytes that fool, re-classified independently.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../../src/engine/preprocess.js';
import { classScore } from '../../../src/engine/scores.js';
import { CS231N_DEFAULTS, cs231nAttack } from '../../../src/methods/attack/cs231n.js';
import { randomClass } from '../../../src/methods/attack/targets.js';
import { type AttackProgress, meetsGoal, toUint8, uint8Bounds } from '../../../src/methods/attack/uint8.js';
import { inputGradToPixelGrad, pixelImage, pixelsToInput } from '../../../src/methods/common.js';
import { argmax } from '../../../src/shared/numeric.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

describe('8-bit guarantee', () => {
  const boundaryRounding =
    'a float image at the boundary fools, its rounding does not; the attack goes on and the returned bytes fool';
  it(boundaryRounding, async () => {
    const engine = await engineFor('wasm');
    const model = engine.model;
    const baseline = tf.memory().numTensors;
    const floatLogits = (x: Float32Array) =>
      tf.tidy(() => model.run(pixelsToInput(tf.tensor4d(x, [1, 224, 224, 3]))).logits.dataSync() as Float32Array);
    let shown = 0;
    for (const [i, p] of photos().entries()) {
      const pre = photoInput(p.path);
      const original = Float32Array.from(pre.pixels);
      const target = randomClass(await engine.classifier.probabilities(pre.input), 7000 + i);
      const goal = { targeted: true, cls: target, margin: 0 };
      // The CS231n ascent in floats, written out here, until the float image is classified as the target.
      let prev: Float32Array = original;
      let x: Float32Array = original;
      for (let k = 0; k < 100 && !meetsGoal(floatLogits(x), goal); k++) {
        prev = x;
        x = tf.tidy(() => {
          const xt = tf.tensor4d(x, [1, 224, 224, 3]);
          const r = model.run(pixelsToInput(xt), {
            score: classScore([target], 'raw', 'preReluLogits'),
            gradients: ['input'],
          });
          const g = inputGradToPixelGrad(r.gradients.input!);
          return tf
            .clipByValue(tf.add(xt, tf.mul(g, tf.div(CS231N_DEFAULTS.lr, tf.norm(g)))), 0, 255)
            .dataSync() as Float32Array;
        });
      }
      if (!meetsGoal(floatLogits(x), goal)) continue;
      // Bisect the last step down to the boundary: the float image fools by a hair.
      let lo = 0;
      let hi = 1;
      const at = (t: number) => Float32Array.from(prev, (v, j) => v + t * (x[j] - v));
      for (let k = 0; k < 16; k++) {
        const mid = (lo + hi) / 2;
        if (meetsGoal(floatLogits(at(mid)), goal)) hi = mid;
        else lo = mid;
      }
      const boundary = at(hi);
      const z = floatLogits(boundary);
      expect(meetsGoal(z, goal)).toBe(true);
      const rounded = toUint8(boundary, uint8Bounds(pre.pixels));
      const roundedTop = argmax(await engine.classifier.probabilities(normalize(rounded)));
      const zs = [...z].sort((a, b) => b - a);
      console.log(
        `${p.file}: target ${target} ${engine.labels[target]}; ` +
          `float image at the boundary: logit margin ${(zs[0] - zs[1]).toExponential(2)}, top-1 ${argmax(z)}; ` +
          `rounded to 8 bits: top-1 ${roundedTop}`,
      );
      if (roundedTop === target) continue; // rounding happened to keep it: try the next photo
      expect(roundedTop).not.toBe(target);

      // The attack, started from that float image: it must not stop there.
      const events: AttackProgress[] = [];
      const r = await cs231nAttack(model, pixelImage(pre.pixels), target, {
        start: pixelImage(boundary),
        onProgress: (e) => events.push(e),
      });
      const check = await engine.classifier.probabilities(normalize(r.pixels));
      console.log(
        `  → attack went on: rounding retries ${r.metrics.roundingRetries}, ` +
          `${r.metrics.iterations} more iteration(s), fooled ${r.success}, ` +
          `top-1 of the returned bytes ${argmax(check)} (p ${check[target].toFixed(3)})`,
      );
      expect(r.metrics.roundingRetries).toBe(1);
      expect(r.metrics.iterations).toBeGreaterThan(0);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.uint8Phase)).toBe(true);
      expect(r.success).toBe(true);
      expect(argmax(check)).toBe(target);
      if (++shown === 2) break;
    }
    expect(shown).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('goal with a least target probability (minProb)', () => {
  it('requires top-1 with the margin and then softmax(target) ≥ minProb; untargeted goals ignore it', () => {
    // softmax of [2, 0, 0] gives the first class e²/(e²+2) ≈ 0.787
    const logits = [2, 0, 0];
    expect(meetsGoal(logits, { targeted: true, cls: 0, margin: 0 })).toBe(true);
    expect(meetsGoal(logits, { targeted: true, cls: 0, margin: 0, minProb: 0.78 })).toBe(true);
    expect(meetsGoal(logits, { targeted: true, cls: 0, margin: 0, minProb: 0.79 })).toBe(false);
    expect(meetsGoal(logits, { targeted: true, cls: 1, margin: 0, minProb: 0.1 })).toBe(false); // not top-1
    // large logits: no overflow
    expect(meetsGoal([1000, 990, 0], { targeted: true, cls: 0, margin: 0, minProb: 0.9999 })).toBe(true);
    expect(meetsGoal(logits, { targeted: false, cls: 1, margin: 0, minProb: 0.99 })).toBe(true);
  });

  it('CS231n with minProb 0.9 returns bytes the model gives ≥ 90 % for the target (two photos)', async () => {
    const engine = await engineFor('wasm');
    for (const [i, p] of photos().slice(0, 2).entries()) {
      const pre = photoInput(p.path);
      const target = randomClass(await engine.classifier.probabilities(pre.input), 2024 + i);
      const r = await cs231nAttack(engine.model, pixelImage(pre.pixels), target, { minProb: 0.9, margin: 0.05 });
      expect(r.success).toBe(true);
      const probs = await engine.classifier.probabilities(normalize(r.pixels));
      expect(argmax(probs)).toBe(target);
      expect(probs[target]).toBeGreaterThanOrEqual(0.9);
      expect(r.metrics.targetProbAfter).toBeCloseTo(probs[target], 5);
    }
    await expect(
      cs231nAttack(engine.model, pixelImage(photoInput(photos()[0].path).pixels), 1, { minProb: 1 }),
    ).rejects.toThrow(/minProb/);
  });
});

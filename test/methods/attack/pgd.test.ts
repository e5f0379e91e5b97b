/**
 * PGD / iterative FGSM on the 12 labelled photos: targeted at a small L∞ budget reaches seeded
 * random targets on (nearly) every photo; untargeted at 1/255; L∞ ≤ ε always after rounding;
 * seeded random start; projection; cancellation and tensor hygiene.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../../src/engine/preprocess.js';
import { type PgdOptions, pgdAttack } from '../../../src/methods/attack/pgd.js';
import { randomClass } from '../../../src/methods/attack/targets.js';
import { type AttackResult, project } from '../../../src/methods/attack/uint8.js';
import { CancelledError, pixelImage } from '../../../src/methods/common.js';
import { argmax, median } from '../../../src/shared/numeric.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

async function run(options: PgdOptions, targeted: boolean, what: string) {
  const engine = await engineFor('wasm');
  const results: AttackResult[] = [];
  for (const [i, p] of photos().entries()) {
    const pre = photoInput(p.path);
    const target = targeted ? randomClass(await engine.classifier.probabilities(pre.input), 2024 + i) : null;
    const r = await pgdAttack(engine.model, pixelImage(pre.pixels), target, { ...options, backend: 'wasm' });
    const top = argmax(await engine.classifier.probabilities(normalize(r.pixels)));
    expect(r.success).toBe(targeted ? top === target : top !== p.top1);
    expect(r.metrics.linf).toBeLessThanOrEqual(options.epsilon!);
    expect(r.metrics.iterations).toBeLessThanOrEqual(options.iterations!);
    results.push(r);
  }
  const ok = results.filter((r) => r.success);
  console.log(
    `PGD ${what} ${JSON.stringify(options)}: ${ok.length}/12 fooled; ` +
      `median iterations ${median(ok.map((r) => r.metrics.iterations))}, ` +
      `median L∞ ${median(ok.map((r) => r.metrics.linf))}/255, ` +
      `median L2 ${median(ok.map((r) => r.metrics.l2)).toFixed(0)}, ` +
      `median time ${median(results.map((r) => r.metrics.ms)).toFixed(0)} ms, ` +
      `rounding retries ${results.reduce((a, r) => a + r.metrics.roundingRetries, 0)}`,
  );
  return ok.length;
}

describe('PGD', () => {
  it('targeted at ε = 2/255 reaches seeded random targets on nearly every photo; L∞ ≤ ε', async () => {
    await engineFor('wasm');
    const baseline = tf.memory().numTensors;
    // measured 12/12
    expect(await run({ epsilon: 2, stepSize: 0.5, iterations: 40 }, true, 'targeted')).toBeGreaterThanOrEqual(11);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('untargeted at ε = 1/255 flips nearly every photo; L∞ ≤ ε', async () => {
    // measured 12/12
    expect(await run({ epsilon: 1, stepSize: 0.25, iterations: 20 }, false, 'untargeted')).toBeGreaterThanOrEqual(10);
  });

  it('random start is seeded; the iterate stays in the ε-ball and in [0,255]', async () => {
    const engine = await engineFor('wasm');
    const pre = photoInput(photos()[5].path);
    // Saturate part of the photo so that the ε-ball pokes out of [0,255].
    const pixels = Uint8ClampedArray.from(pre.pixels, (v, i) => (i < 50_000 ? 0 : i < 100_000 ? 255 : v));
    const opts = { epsilon: 4, stepSize: 1, iterations: 10, randomStart: true };
    const a = await pgdAttack(engine.model, pixelImage(pixels), null, { ...opts, seed: 1 });
    const b = await pgdAttack(engine.model, pixelImage(pixels), null, { ...opts, seed: 1 });
    const c = await pgdAttack(engine.model, pixelImage(pixels), null, { ...opts, seed: 2 });
    expect(b.pixels).toEqual(a.pixels);
    expect(c.pixels).not.toEqual(a.pixels);
    for (const r of [a, c]) expect(r.metrics.linf).toBeLessThanOrEqual(4);
    // The projection itself, on floats: ε-ball ∩ [0,255].
    const out = tf.tidy(() => {
      const lo = tf.tensor4d([0, 0, 251], [1, 1, 1, 3]);
      const hi = tf.tensor4d([4, 14, 255], [1, 1, 1, 3]);
      return project(tf.tensor4d([-3.5, 7.25, 300], [1, 1, 1, 3]), lo as tf.Tensor4D, hi as tf.Tensor4D).dataSync();
    });
    expect([...out]).toEqual([0, 7.25, 255]);
  });

  it('reports progress and cancels mid-attack without leaking tensors', async () => {
    const engine = await engineFor('wasm');
    const pre = photoInput(photos()[0].path);
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    let seen = 0;
    // ε = 1 with tiny steps: many iterations, so the abort lands mid-attack.
    const run = pgdAttack(engine.model, pixelImage(pre.pixels), 0, {
      epsilon: 1,
      stepSize: 0.01,
      iterations: 200,
      signal: controller.signal,
      onProgress: (e) => {
        expect(e.step).toBe(seen + 1);
        expect(e.total).toBe(200);
        if (++seen === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toBe(2);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

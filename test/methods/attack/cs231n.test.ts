/**
 * The CS231n fooling attack on the 12 labelled photos, with seeded random targets: every photo is
 * fooled within 100 iterations as an 8-bit image, re-classified independently. Both heads are run
 * and compared; the post-ReLU head's failure mode (a dead class has zero gradient) is shown on a
 * flat image. Progress, cancellation and tensor hygiene.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../../src/engine/preprocess.js';
import type { ScoreHead } from '../../../src/engine/scores.js';
import { cs231nAttack } from '../../../src/methods/attack/cs231n.js';
import { distances } from '../../../src/methods/attack/metrics.js';
import { randomClass } from '../../../src/methods/attack/targets.js';
import type { AttackProgress, AttackResult } from '../../../src/methods/attack/uint8.js';
import { CancelledError, pixelImage } from '../../../src/methods/common.js';
import { argmax, median } from '../../../src/shared/numeric.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const SEED = 2024;

async function cases() {
  const engine = await engineFor('wasm');
  const out = [];
  for (const [i, p] of photos().entries()) {
    const pre = photoInput(p.path);
    const probs = await engine.classifier.probabilities(pre.input);
    out.push({ ...p, pixels: pre.pixels, target: randomClass(probs, SEED + i) });
  }
  return out;
}

/** Independent re-classification of the returned bytes, as a decoded 8-bit image is classified. */
async function topOf(pixels: Uint8ClampedArray) {
  const engine = await engineFor('wasm');
  const p = await engine.classifier.probabilities(normalize(pixels));
  return { top: argmax(p), probs: p };
}

describe('CS231n fooling images', () => {
  const foolEveryPhoto =
    'fool every photo (seeded random targets) within 100 iterations after 8-bit rounding; pre-ReLU vs post-ReLU head';
  it(foolEveryPhoto, async () => {
    const engine = await engineFor('wasm');
    const list = await cases();
    const baseline = tf.memory().numTensors;
    const summary: Record<
      string,
      { ok: number; its: number[]; linf: number[]; l2: number[]; ms: number[]; retries: number }
    > = {};
    for (const head of ['preReluLogits', 'logits'] as ScoreHead[]) {
      const s = (summary[head] = {
        ok: 0,
        its: [] as number[],
        linf: [] as number[],
        l2: [] as number[],
        ms: [] as number[],
        retries: 0,
      });
      for (const c of list) {
        const r: AttackResult = await cs231nAttack(engine.model, pixelImage(c.pixels), c.target, {
          head,
          backend: engine.backend.backend,
        });
        const m = r.metrics;
        const check = await topOf(r.pixels);
        console.log(
          `${head.padEnd(13)} ${c.file.slice(0, 26).padEnd(26)} → ${String(c.target).padStart(3)} ` +
            `${engine.labels[c.target].slice(0, 18).padEnd(18)} ` +
            `${m.success ? 'fooled' : 'FAILED'} it ${String(m.iterations).padStart(3)} ` +
            `L∞ ${String(m.linf).padStart(2)} L2 ${m.l2.toFixed(0).padStart(4)} ` +
            `changed ${(100 * m.changedValues).toFixed(0)}% ` +
            `p(target) ${m.targetProbBefore!.toExponential(1)} → ${m.targetProbAfter!.toFixed(3)} ` +
            `p(source) ${m.sourceProbBefore.toFixed(3)} → ${m.sourceProbAfter.toFixed(3)} ` +
            `rounding retries ${m.roundingRetries} ${m.ms.toFixed(0)} ms`,
        );
        // The result is self-consistent and its claims hold for the bytes, re-classified independently.
        expect(r.success).toBe(m.success);
        expect(check.top === c.target).toBe(r.success);
        expect(m.targetProbAfter).toBe(check.probs[c.target]);
        expect(m.predictedAfter).toBe(check.top);
        expect(m.backend).toBe('wasm');
        expect(distances(c.pixels, r.pixels)).toEqual({
          linf: m.linf,
          l2: m.l2,
          changedValues: m.changedValues,
          changedPixels: m.changedPixels,
        });
        expect(r.image.data).toEqual(Float32Array.from(r.pixels));
        expect(m.iterations).toBeLessThanOrEqual(100);
        expect(m.predictedBefore).toBe(c.top1);
        if (m.success) {
          s.ok++;
          s.its.push(m.iterations);
          s.linf.push(m.linf);
          s.l2.push(m.l2);
        }
        s.ms.push(m.ms);
        s.retries += m.roundingRetries;
      }
      console.log(
        `${head}: fooled ${s.ok}/12, median iterations ${median(s.its)}, median L∞ ${median(s.linf)}/255, ` +
          `median L2 ${median(s.l2).toFixed(0)}, ` +
          `median time ${median(s.ms).toFixed(0)} ms, rounding retries ${s.retries}`,
      );
    }
    // The decision (cs231n.ts): the pre-ReLU head fools every photo.
    expect(summary.preReluLogits.ok).toBe(12);
    expect(tf.memory().numTensors).toBe(baseline);
  }, 600_000);

  const deadClass =
    'post-ReLU head: a dead class (whole map negative) has zero gradient and never moves; the pre-ReLU head fools it';
  it(deadClass, async () => {
    const engine = await engineFor('wasm');
    const gray = new Uint8ClampedArray(224 * 224 * 3).fill(128);
    const x = tf.tensor4d(normalize(gray), [1, 224, 224, 3]);
    const r = engine.model.run(x);
    const logits = await r.logits.data();
    tf.dispose([x, r.logits, r.preReluLogits, r.probs]);
    const dead = [...logits.keys()].filter((i) => logits[i] === 0);
    console.log(`flat gray image: ${dead.length} of 1000 classes have logit exactly 0 (whole 13×13 map ≤ 0)`);
    expect(dead.length).toBeGreaterThan(0);
    for (const target of [dead[0], dead[dead.length >> 1], dead[dead.length - 1]]) {
      const post = await cs231nAttack(engine.model, pixelImage(gray), target, { head: 'logits', maxIterations: 5 });
      expect(post.success).toBe(false);
      expect(post.metrics.linf).toBe(0); // zero gradient: the image never changed
      const pre = await cs231nAttack(engine.model, pixelImage(gray), target, { head: 'preReluLogits' });
      console.log(
        `  dead class ${target} ${engine.labels[target]}: post-ReLU head L∞ 0 after 5 steps; ` +
          `pre-ReLU head fooled=${pre.success} in ${pre.metrics.iterations} iterations, L∞ ${pre.metrics.linf}`,
      );
      expect(pre.success).toBe(true);
      expect((await topOf(pre.pixels)).top).toBe(target);
    }
  });

  it('reports progress, stops on an abort signal with CancelledError, and leaks no tensors', async () => {
    const engine = await engineFor('wasm');
    const [c] = await cases();
    const image = pixelImage(c.pixels);
    const baseline = tf.memory().numTensors;

    const events: AttackProgress[] = [];
    const done = await cs231nAttack(engine.model, image, c.target, {
      onProgress: (p) => events.push(p),
      previewEvery: 2,
    });
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: done.metrics.iterations }, (_, k) => k + 1));
    expect(events.every((e) => e.total === 100 && e.prob >= 0 && e.prob <= 1 && Number.isInteger(e.predicted))).toBe(
      true,
    );
    expect(events[events.length - 1].prob).toBeGreaterThan(events[0].prob);
    const previews = events.filter((e) => e.preview);
    expect(previews.length).toBe(Math.floor(done.metrics.iterations / 2));
    expect(previews[0].preview!.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    expect(tf.memory().numTensors).toBe(baseline);

    const controller = new AbortController();
    let seen = 0;
    const run = cs231nAttack(engine.model, image, c.target, {
      signal: controller.signal,
      onProgress: () => {
        if (++seen === 3) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toBe(3);
    expect(tf.memory().numTensors).toBe(baseline);

    // An abort while the attack yields to the event loop (a message arriving between iterations).
    const late = new AbortController();
    const timed = cs231nAttack(engine.model, image, c.target, { signal: late.signal });
    setTimeout(() => late.abort(), 150);
    await expect(timed).rejects.toBeInstanceOf(CancelledError);
    expect(tf.memory().numTensors).toBe(baseline);

    const already = new AbortController();
    already.abort();
    await expect(cs231nAttack(engine.model, image, c.target, { signal: already.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(tf.memory().numTensors).toBe(baseline);
    await expect(cs231nAttack(engine.model, image, 1000)).rejects.toThrow(RangeError);
  });
});

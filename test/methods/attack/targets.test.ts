/**
 * Target choice and the reported metrics: search by name over the 1000 labels, least-likely,
 * seeded random; distances on hand-made images (their difference pictures: test/render/difference.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabels } from '../../../src/engine/model-sources.js';
import { type AttackRequest, attackSummary, runAttack } from '../../../src/methods/attack/index.js';
import { distances, VALUES } from '../../../src/methods/attack/metrics.js';
import {
  leastLikelyClass,
  parseTarget,
  randomClass,
  resolveTarget,
  TargetError,
} from '../../../src/methods/attack/targets.js';
import { meetsGoal, toUint8, uint8Bounds } from '../../../src/methods/attack/uint8.js';
import { pixelImage } from '../../../src/methods/common.js';
import { searchClasses } from '../../../src/shared/classes.js';
import { median } from '../../../src/shared/numeric.js';
import { MODELS, photos, rng } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const labels = parseLabels(readFileSync(join(MODELS, 'imagenet_classes.txt'), 'utf8'));

function dirichletLike(seed: number): Float32Array {
  const r = rng(seed);
  const p = Float32Array.from({ length: 1000 }, () => r() ** 4);
  const s = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / s);
}

describe('target search', () => {
  it('finds "gorilla" at 366, case-insensitively, as the exact match first', () => {
    for (const q of ['gorilla', 'Gorilla', '  GORILLA ']) {
      const found = searchClasses(labels, q);
      expect(found[0]).toEqual({ index: 366, label: 'gorilla', match: 'exact' });
    }
    const t = resolveTarget(parseTarget('gorilla'), labels, dirichletLike(1));
    expect(t).toMatchObject({ index: 366, label: 'gorilla', how: 'name', ambiguous: false });
  });

  it('ranks whole-label, whole-word, word-prefix and substring matches, and accepts an index', () => {
    const tiger = searchClasses(labels, 'tiger');
    expect(tiger[0]).toMatchObject({ label: 'tiger', match: 'exact' });
    expect(tiger.slice(1).map((m) => m.match)).toEqual(tiger.slice(1).map(() => 'word'));
    expect(tiger.map((m) => m.label)).toEqual(expect.arrayContaining(['tiger shark', 'tiger cat', 'tiger beetle']));
    expect(searchClasses(labels, 'gorill')[0]).toMatchObject({ index: 366, match: 'prefix' });
    expect(searchClasses(labels, 'orill')[0]).toMatchObject({ index: 366, match: 'substring' });
    expect(searchClasses(labels, '366')[0]).toEqual({ index: 366, label: 'gorilla', match: 'index' });
    expect(resolveTarget(parseTarget('366'), labels, dirichletLike(1))).toMatchObject({ index: 366, how: 'index' });
    const dog = resolveTarget(parseTarget('retriever'), labels, dirichletLike(1));
    expect(dog.ambiguous).toBe(true);
    expect(dog.candidates!.length).toBeGreaterThan(3);
    expect(dog.candidates!.every((c) => /retriever/i.test(c.label))).toBe(true);
    expect(() => resolveTarget(parseTarget('unicorn'), labels, dirichletLike(1))).toThrow(TargetError);
    expect(() => resolveTarget({ kind: 'index', index: 1000 }, labels, dirichletLike(1))).toThrow(TargetError);
    expect(searchClasses(labels, '')).toEqual([]);
  });

  it('parses CLI target words', () => {
    expect(parseTarget('least-likely')).toEqual({ kind: 'least-likely' });
    expect(parseTarget('random')).toEqual({ kind: 'random', seed: 0 });
    expect(parseTarget('random:42')).toEqual({ kind: 'random', seed: 42 });
    expect(parseTarget('7')).toEqual({ kind: 'index', index: 7 });
    expect(parseTarget('Tiger shark')).toEqual({ kind: 'name', query: 'Tiger shark' });
  });

  it('least-likely is the argmin of the probabilities; random is seeded and never the current class', async () => {
    for (let s = 0; s < 20; s++) {
      const p = dirichletLike(s);
      const ll = leastLikelyClass(p);
      expect(p[ll]).toBe(Math.min(...p));
      const top = p.indexOf(Math.max(...p));
      const picks = Array.from({ length: 50 }, (_, k) => randomClass(p, 1000 * s + k));
      expect(picks).not.toContain(top);
      expect(picks.map((_, k) => randomClass(p, 1000 * s + k))).toEqual(picks); // seeded
      expect(new Set(picks).size).toBeGreaterThan(40);
    }
    // Forced worst cases: the top class at either end of the index range.
    const edge = new Float32Array(1000).fill(1e-4);
    for (const top of [0, 999]) {
      edge.fill(1e-4);
      edge[top] = 0.9;
      for (let seed = 0; seed < 300; seed++) expect(randomClass(edge, seed)).not.toBe(top);
    }
    // On a real photo, through the engine's own probabilities.
    const engine = await engineFor('wasm');
    const p = await engine.classifier.probabilities(photoInput(photos()[0].path).input);
    const ll = resolveTarget({ kind: 'least-likely' }, engine.labels, p);
    expect(p[ll.index]).toBe(Math.min(...p));
    const random = resolveTarget({ kind: 'random', seed: 5 }, engine.labels, p);
    expect(random.index).not.toBe(photos()[0].label);
    expect(resolveTarget({ kind: 'random', seed: 5 }, engine.labels, p).index).toBe(random.index);
  });
});

describe('8-bit rounding, goals and metrics', () => {
  it('rounds and clips into [0,255] ∩ the integer ε-ball', () => {
    const original = new Uint8ClampedArray(VALUES).map((_, i) => (i * 37) % 256);
    const b = uint8Bounds(original, 2.7); // effective 8-bit budget ⌊2.7⌋ = 2
    const x = Float32Array.from(original, (v, i) => v + ((i % 7) - 3) * 1.3);
    const q = toUint8(x, b);
    let worst = 0;
    let wrong = 0;
    for (let i = 0; i < VALUES; i++) {
      worst = Math.max(worst, Math.abs(q[i] - original[i]));
      if (q[i] !== Math.min(255, Math.max(0, Math.min(original[i] + 2, Math.max(original[i] - 2, Math.round(x[i]))))))
        wrong++;
    }
    expect(worst).toBe(2);
    expect(wrong).toBe(0);
    const free = uint8Bounds(original);
    expect(
      toUint8(
        Float32Array.from({ length: VALUES }, (_, i) => (i % 3) * 200 - 100.4),
        free,
      ).slice(0, 3),
    ).toEqual(new Uint8ClampedArray([0, 100, 255]));
  });

  it('decides goals with a margin in logit units', () => {
    const z = new Float32Array(1000);
    z[3] = 2;
    z[5] = 1.5;
    expect(meetsGoal(z, { targeted: true, cls: 3, margin: 0 })).toBe(true);
    expect(meetsGoal(z, { targeted: true, cls: 3, margin: 0.6 })).toBe(false);
    expect(meetsGoal(z, { targeted: true, cls: 5, margin: 0 })).toBe(false);
    expect(meetsGoal(z, { targeted: false, cls: 3, margin: 0 })).toBe(false);
    expect(meetsGoal(z, { targeted: false, cls: 5, margin: 0.4 })).toBe(true);
    z[5] = 2; // a tie is not a top-1 change
    expect(meetsGoal(z, { targeted: true, cls: 5, margin: 0 })).toBe(false);
    expect(meetsGoal(z, { targeted: false, cls: 3, margin: 0 })).toBe(false);
  });

  it('measures L∞ (/255), L2 (pixel units) and changed fractions', () => {
    const a = new Uint8ClampedArray(VALUES).fill(100);
    const b = Uint8ClampedArray.from(a);
    b[0] = 103; // pixel 0: one channel +3
    b[4] = 96; // pixel 1: one channel −4
    b[5] = 120; // pixel 1: another channel +20
    const d = distances(a, b);
    expect(d.linf).toBe(20);
    expect(d.l2).toBeCloseTo(Math.sqrt(9 + 16 + 400), 10);
    expect(d.changedValues).toBeCloseTo(3 / VALUES, 12);
    expect(d.changedPixels).toBeCloseTo(2 / (VALUES / 3), 12);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('one entry point for the CLI and the popup', () => {
  it('runAttack dispatches by method; the summary is plain JSON with class names', async () => {
    const engine = await engineFor('wasm');
    const pre = photoInput(photos()[7].path);
    const probs = await engine.classifier.probabilities(pre.input);
    const target = resolveTarget(parseTarget('gorilla'), engine.labels, probs);
    const r = await runAttack(engine.model, pixelImage(pre.pixels), {
      method: 'pgd',
      target: target.index,
      epsilon: 4,
      backend: engine.backend.backend,
    });
    expect(r.method).toBe('pgd');
    expect(r.success).toBe(true);
    const summary = JSON.parse(JSON.stringify(attackSummary(r, engine.labels)));
    expect(summary).toMatchObject({
      method: 'pgd',
      success: true,
      target: { index: 366, label: 'gorilla' },
      source: { index: photos()[7].label },
      predictedAfter: 366,
      predictedAfterLabel: 'gorilla',
      backend: 'wasm',
    });
    expect(summary.linf).toBeLessThanOrEqual(4);
    const untargeted = await runAttack(engine.model, pixelImage(pre.pixels), { method: 'fgsm', target: null });
    expect(attackSummary(untargeted, engine.labels).target).toBeNull();
    await expect(
      runAttack(engine.model, pixelImage(pre.pixels), { method: 'nope', target: 1 } as unknown as AttackRequest),
    ).rejects.toThrow(RangeError);
  });
});

/**
 * The synthesis losses against independent computations: the Gram matrix against a plain loop, and
 * the input gradients of the content, style and total-variation losses (the engine's hand-written
 * backward pass, seeded with their closed-form layer gradients) against central finite differences
 * of the float64 oracle (test/helpers/reference-forward.ts) along seeded random ±1 directions, as
 * test/engine/gradients.test.ts checks the engine's own scores.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { NodeEngine } from '../../../src/engine/node.js';
import { loadWeightsNode } from '../../../src/engine/node-weights.js';
import type { ModelWeights } from '../../../src/engine/weights.js';
import { evaluateLoss, gramMatrix, type SynthesisLoss, tvLoss } from '../../../src/methods/synthesize/losses.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';
import { referenceForward } from '../../helpers/reference-forward.js';

/** conv1 (3×3, stride 2, valid, ReLU) in float64: the oracle returns fire outputs only. */
function conv1Of(weights: ModelWeights, x: Float64Array): Float64Array {
  const { kernel, bias } = weights.conv0;
  const n = 111;
  const out = new Float64Array(n * n * 64);
  for (let oy = 0; oy < n; oy++)
    for (let ox = 0; ox < n; ox++)
      for (let o = 0; o < 64; o++) {
        let s = bias[o];
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++)
            for (let i = 0; i < 3; i++)
              s += x[((oy * 2 + ky) * 224 + ox * 2 + kx) * 3 + i] * kernel[((ky * 3 + kx) * 3 + i) * 64 + o];
        out[(oy * n + ox) * 64 + o] = Math.max(0, s);
      }
  return out;
}

/** Gram matrix by the definition, float64: G[i][j] = Σ_p F[p,i]·F[p,j] / (H·W·C). */
function gram64(f: ArrayLike<number>, cells: number, c: number): Float64Array {
  const g = new Float64Array(c * c);
  for (let i = 0; i < c; i++)
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let p = 0; p < cells; p++) s += f[p * c + i] * f[p * c + j];
      g[i * c + j] = s / (cells * c);
    }
  return g;
}

const SIZES: Record<string, [number, number]> = {
  conv1: [111 * 111, 64],
  fire2: [55 * 55, 128],
  fire3: [55 * 55, 128],
  fire4: [27 * 27, 256],
  fire5: [27 * 27, 256],
};

/** Off exact max-pool ties, as gradients.test.ts does (±1/30 of a pixel level). */
function offTies(x: Float32Array, seed: number): Float32Array {
  const random = rng(1000 + seed);
  return x.map((v) => v + (random() - 0.5) * 1.5e-3);
}

/** g·v against (f(x+hv) − f(x−hv))/2h for seeded ±1 directions; errors relative to ‖g‖. */
function directionalErrors(
  g: Float32Array,
  x: Float32Array,
  f64: (x: Float64Array) => number,
  directions: number,
  seed: number,
  h: number,
  label: string,
): number[] {
  const typical = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
  const random = rng(seed);
  const errors: number[] = [];
  for (let k = 0; k < directions; k++) {
    const v = Float64Array.from({ length: x.length }, () => (random() < 0.5 ? -1 : 1));
    const analytic = g.reduce((s, gi, i) => s + gi * v[i], 0);
    const at = (sign: number) => f64(Float64Array.from(x, (xi, i) => xi + sign * h * v[i]));
    const numeric = (at(1) - at(-1)) / (2 * h);
    errors.push(Math.abs(numeric - analytic) / typical);
    console.log(
      `${label} direction ${k}: analytic ${analytic.toPrecision(7)} numeric ${numeric.toPrecision(7)} ` +
        `error/‖g‖ ${errors[k].toExponential(2)}`,
    );
  }
  return errors;
}

function gradientOf(engine: NodeEngine, x: Float32Array, loss: SynthesisLoss): { value: number; g: Float32Array } {
  return tf.tidy(() => {
    const e = evaluateLoss(engine.model, tf.tensor4d(x, [1, 224, 224, 3]), loss);
    return { value: e.total.dataSync()[0], g: e.gradient.dataSync() as Float32Array };
  });
}

function activationsOf(
  engine: NodeEngine,
  x: Float32Array,
  layers: ('conv1' | 'fire2' | 'fire3' | 'fire4' | 'fire5')[],
) {
  return tf.tidy(() => {
    const r = engine.model.run(tf.tensor4d(x, [1, 224, 224, 3]), { activations: layers });
    return layers.map((l) => r.activations[l]!.dataSync() as Float32Array);
  });
}

describe('Gram matrix', () => {
  it('equals the direct loop, per example, normalized by H·W·C', async () => {
    await engineFor('wasm');
    const random = rng(5);
    const [n, h, w, c] = [2, 5, 4, 3];
    const data = Float32Array.from({ length: n * h * w * c }, () => random() * 2 - 1);
    const g = tf.tidy(() => gramMatrix(tf.tensor4d(data, [n, h, w, c])).dataSync());
    for (let k = 0; k < n; k++) {
      const expected = gram64(data.subarray(k * h * w * c, (k + 1) * h * w * c), h * w, c);
      for (let i = 0; i < c * c; i++) expect(g[k * c * c + i]).toBeCloseTo(expected[i], 6);
    }
  });
});

describe('loss gradients w.r.t. the input image vs float64 finite differences', () => {
  it('content loss (fire2, weight 6e-2)', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    const x = offTies(photoInput(photos()[1].path).input, 1);
    const [target] = activationsOf(engine, photoInput(photos()[7].path).input, ['fire2']);
    const w = 6e-2;
    const t = tf.tensor4d(target, [1, 55, 55, 128]);
    const { value, g } = gradientOf(engine, x, { content: { layer: 'fire2', target: t, weight: w } });
    t.dispose();
    const f64 = (xv: Float64Array) =>
      w * referenceForward(weights, xv).fires.fire2.reduce((s, a, i) => s + (a - target[i]) ** 2, 0);
    expect(Math.abs(value - f64(Float64Array.from(x))) / value).toBeLessThan(1e-4);
    for (const e of directionalErrors(g, x, f64, 2, 21, 1e-7, 'content fire2')) expect(e).toBeLessThan(1e-2);
  });

  it('style loss (Grams at conv1, fire3, fire4, fire5, CS231n weights)', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    const layers = ['conv1', 'fire3', 'fire4', 'fire5'] as const;
    const styleWeights = [20000, 500, 12, 1];
    const x = offTies(photoInput(photos()[4].path).input, 4);
    const feats = activationsOf(engine, photoInput(photos()[9].path).input, [...layers]);
    const targets = layers.map((l, k) => gram64(feats[k], ...SIZES[l]));
    const grams = layers.map((l, k) => tf.tensor3d(Float32Array.from(targets[k]), [1, SIZES[l][1], SIZES[l][1]]));
    const loss: SynthesisLoss = {
      style: layers.map((layer, k) => ({ layer, gram: grams[k], weight: styleWeights[k] })),
    };
    const { value, g } = gradientOf(engine, x, loss);
    tf.dispose(grams);
    const f64 = (xv: Float64Array) => {
      const fires = referenceForward(weights, xv).fires;
      return layers.reduce((sum, l, k) => {
        const a = l === 'conv1' ? conv1Of(weights, xv) : fires[l];
        const gm = gram64(a, ...SIZES[l]);
        return sum + styleWeights[k] * gm.reduce((s, v, i) => s + (v - targets[k][i]) ** 2, 0);
      }, 0);
    };
    expect(Math.abs(value - f64(Float64Array.from(x))) / value).toBeLessThan(1e-4);
    for (const e of directionalErrors(g, x, f64, 2, 31, 1e-7, 'style')) expect(e).toBeLessThan(1e-2);
  });

  it('total-variation loss (closed form), alone and through evaluateLoss', async () => {
    const engine = await engineFor('wasm');
    const x = photoInput(photos()[2].path).input;
    const w = 2e-2;
    const tv64 = (xv: Float64Array) => {
      let s = 0;
      for (let i = 0; i < 224; i++)
        for (let j = 0; j < 224; j++)
          for (let c = 0; c < 3; c++) {
            const p = (i * 224 + j) * 3 + c;
            if (j < 223) s += (xv[p + 3] - xv[p]) ** 2;
            if (i < 223) s += (xv[p + 224 * 3] - xv[p]) ** 2;
          }
      return w * s;
    };
    const direct = tf.tidy(() => {
      const r = tvLoss(tf.tensor4d(x, [1, 224, 224, 3]), w);
      return { value: r.value.dataSync()[0], g: r.dInput.dataSync() as Float32Array };
    });
    const viaLoss = gradientOf(engine, x, { tv: w });
    // float32 sums of 300k squares: 3e-4 relative measured
    expect(Math.abs(direct.value - tv64(Float64Array.from(x))) / direct.value).toBeLessThan(2e-3);
    expect(viaLoss.g).toEqual(direct.g);
    // TV is quadratic: the central difference is exact up to rounding at any step.
    for (const e of directionalErrors(direct.g, x, tv64, 3, 41, 1e-3, 'tv')) expect(e).toBeLessThan(1e-2);
  });

  it('split content and style on a shared layer, and leave no tensors behind', async () => {
    const engine = await engineFor('wasm');
    const input = tf.tensor4d(photoInput(photos()[0].path).input, [1, 224, 224, 3]);
    const other = tf.tensor4d(photoInput(photos()[5].path).input, [1, 224, 224, 3]);
    const target = tf.tidy(() => engine.model.run(other, { activations: ['fire2'] }).activations.fire2!);
    const gram = tf.tidy(() => gramMatrix(target));
    const content = { layer: 'fire2' as const, target, weight: 1e-2 };
    const style = [{ layer: 'fire2' as const, gram, weight: 100 }];
    const read = (loss: SynthesisLoss) =>
      tf.tidy(() => {
        const e = evaluateLoss(engine.model, input, loss);
        return [e.total, e.content, e.style].map((t) => t.dataSync()[0]);
      });
    const before = tf.memory().numTensors;
    const [total, c, st] = read({ content, style, tv: 1 });
    const [contentAlone] = read({ content });
    const [styleAlone] = read({ style });
    for (let k = 0; k < 3; k++) {
      const e = evaluateLoss(engine.model, input, { content, style, tv: 1 });
      tf.dispose([e.total, e.content, e.style, e.tv, e.gradient]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(c).toBeCloseTo(contentAlone, 2);
    expect(st / styleAlone).toBeCloseTo(1, 5);
    expect(total).toBeGreaterThan(c + st);
    tf.dispose([input, other, target, gram]);
  });
});

/** Tensor helpers of the visualizations, against plain-JS references. Runs on the CPU backend. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES } from '../../../src/engine/architecture.js';
import { autoClassScore } from '../../../src/methods/visualize/class-visualization.js';
import {
  dreamObjective,
  gatherWindows,
  makeWindows,
  mirrorIndex,
  scatterWindows,
  windowOrigins,
} from '../../../src/methods/visualize/deepdream.js';
import {
  clipNormalized,
  gaussianBlurTensor,
  gaussianTaps,
  normalizedToPixels,
  roll,
} from '../../../src/methods/visualize/image-ops.js';
import { rng } from '../../helpers/data.js';

beforeAll(async () => {
  tf.env().set('PROD', true); // no console advice to install tfjs-node
  await tf.setBackend('cpu');
});

function randomTensor(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const r = rng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r() * 2 - 1),
    shape,
  );
}

describe('roll (jitter)', () => {
  it('shifts content right/down circularly and undoes itself', async () => {
    const x = tf.tensor4d(
      Float32Array.from({ length: 12 }, (_, i) => i),
      [1, 3, 4, 1],
    );
    // rows [0..3], [4..7], [8..11]; roll by dx = 1, dy = 1: last row first, last column first
    expect(Array.from(await roll(x, 1, 1).data())).toEqual([11, 8, 9, 10, 3, 0, 1, 2, 7, 4, 5, 6]);
    const y = randomTensor([1, 10, 12, 3], 1);
    expect(Array.from(await roll(roll(y, 7, -3), -7, 3).data())).toEqual(Array.from(await y.data()));
    expect(Array.from(await roll(y, 12, 10).data())).toEqual(Array.from(await y.data()));
  });
});

describe('Gaussian blur', () => {
  it('uses scipy gaussian_filter1d taps (σ 0.5: radius 2)', () => {
    const t = gaussianTaps(0.5);
    expect(t.length).toBe(5);
    const raw = [Math.exp(-8), Math.exp(-2), 1, Math.exp(-2), Math.exp(-8)];
    const sum = raw.reduce((a, b) => a + b);
    for (const [i, v] of raw.entries()) expect(t[i]).toBeCloseTo(v / sum, 7);
    expect(gaussianTaps(1).length).toBe(9);
  });

  it('matches a separable reference with mirrored (scipy "reflect") edges', async () => {
    const [h, w, c] = [7, 9, 3];
    const x = randomTensor([1, h, w, c], 2);
    const v = (await x.data()) as Float32Array;
    const taps = gaussianTaps(0.5);
    const r = 2;
    const refl = (i: number, n: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
    const tmp = new Float64Array(v.length);
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let k = -r; k <= r; k++) s += taps[k + r] * v[(refl(y + k, h) * w + xx) * c + ch];
          tmp[(y * w + xx) * c + ch] = s;
        }
    const out = new Float64Array(v.length);
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let k = -r; k <= r; k++) s += taps[k + r] * tmp[(y * w + refl(xx + k, w)) * c + ch];
          out[(y * w + xx) * c + ch] = s;
        }
    const got = await gaussianBlurTensor(x, 0.5).data();
    for (let i = 0; i < out.length; i++) expect(got[i]).toBeCloseTo(out[i], 5);
    // a constant image stays constant, edges included
    const flat = await gaussianBlurTensor(tf.fill([1, 6, 6, 3], 0.7) as tf.Tensor4D, 0.5).data();
    for (const f of flat) expect(f).toBeCloseTo(0.7, 6);
  });
});

describe('pixel range', () => {
  it('clips normalized values to pixels 0…255 and converts back', async () => {
    const x = tf.tensor4d([-100, 0, 100, 1, 2, 3], [1, 1, 2, 3]);
    const px = await normalizedToPixels(
      tf.pad(clipNormalized(x), [
        [0, 0],
        [0, 223],
        [0, 222],
        [0, 0],
      ]) as tf.Tensor4D,
    );
    // green 0 ⇒ the mean, 0.456·255
    expect(Array.from(px.data.subarray(0, 3)).map(Math.round)).toEqual([0, 116, 255]);
    expect(px.data[3]).toBeCloseTo((1 * 0.229 + 0.485) * 255, 3);
  });
});

describe("the 'auto' class score", () => {
  it('uses the reference (ReLU) logit where positive, the pre-ReLU logit where that is 0', async () => {
    const post = tf.tensor2d(
      [
        [0, 3, 1],
        [0, 0, 0],
      ].map((r) => [...r, ...new Array(NUM_CLASSES - 3).fill(0)]),
    );
    const pre = tf.tensor2d(
      [
        [-1, 2, -4],
        [-2, -0.5, -3],
      ].map((r) => [...r, ...new Array(NUM_CLASSES - 3).fill(-1)]),
    );
    const s = autoClassScore(1)({ logits: post, preReluLogits: pre });
    expect(Array.from(await s.value.data())).toEqual([3, -0.5]);
    const dl = await s.dLogits!.array();
    const dp = await s.dPreReluLogits!.array();
    expect([dl[0][1], dp[0][1], dl[1][1], dp[1][1]]).toEqual([1, 0, 0, 1]);
    expect(dl[0].reduce((a, b) => a + b) + dp[0].reduce((a, b) => a + b)).toBe(1);
    expect(s.classes).toEqual([1]);
  });
});

describe('DeepDream windows', () => {
  it('mirror-extends and places windows', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => mirrorIndex(i, 3))).toEqual([2, 1, 0, 0, 1, 2, 2, 1, 0, 0]);
    expect(windowOrigins(224)).toEqual([0]);
    expect(windowOrigins(114)).toEqual([-55]); // centred in the 224 window
    expect(windowOrigins(300)).toEqual([0, 76]);
    expect(windowOrigins(500)).toEqual([0, 138, 276]);
  });

  it('folding gradients is the adjoint of cutting windows (⟨gather x, y⟩ = ⟨x, scatter y⟩)', () => {
    for (const [w, h, jx, jy] of [
      [224, 224, 5, -9],
      [100, 150, -20, 31],
      [300, 250, 7, 0],
    ]) {
      const r = rng(w + h);
      const x = { width: w, height: h, data: Float32Array.from({ length: w * h * 3 }, () => r() - 0.5) };
      const win = makeWindows(w, h, jx, jy);
      const gx = gatherWindows(x, win);
      const y = Float32Array.from({ length: gx.length }, () => r() - 0.5);
      const sy = scatterWindows(y, win, w, h);
      let a = 0;
      let b = 0;
      for (let i = 0; i < gx.length; i++) a += gx[i] * y[i];
      for (let i = 0; i < sy.length; i++) b += x.data[i] * sy[i];
      expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(1e-4);
      // without jitter, every pixel is seen by some window
      const still = makeWindows(w, h, 0, 0);
      const ones = scatterWindows(new Float32Array(still.rows.length * 224 * 224 * 3).fill(1), still, w, h);
      expect(ones.every((v) => v >= 1)).toBe(true);
    }
  });

  it('jittered mirror windows reach every pixel exactly once on average over the jitter', () => {
    // A shift by j leaves |j| edge columns out on one side and counts |j| twice (their reflection)
    // on the other; over j uniform in −J…J the two balance exactly.
    const J = 4;
    const sum = new Float64Array(224 * 224 * 3);
    for (let jx = -J; jx <= J; jx++)
      for (let jy = -J; jy <= J; jy++) {
        const win = makeWindows(224, 224, jx, jy);
        const c = scatterWindows(new Float32Array(224 * 224 * 3).fill(1), win, 224, 224);
        for (let i = 0; i < c.length; i++) sum[i] += c[i];
      }
    const n = (2 * J + 1) ** 2;
    for (let i = 0; i < sum.length; i += 7) expect(sum[i] / n).toBeCloseTo(1, 10);
  });

  it('objective gradients match finite differences (l2 and mean, with a channel subset)', async () => {
    const a = tf.relu(randomTensor([2, 3, 4, 5], 9)) as tf.Tensor4D;
    for (const objective of ['l2', 'mean'] as const) {
      const fn = dreamObjective(objective, [1, 3]);
      const { value, dActivation } = fn(a);
      const v = await value.data();
      const d = (await dActivation.data()) as Float32Array;
      const base = (await a.data()) as Float32Array;
      for (const i of [0, 1, 3, 17, 60, 63, 119]) {
        const h = 1e-2;
        const plus = Float32Array.from(base);
        plus[i] += h;
        const vp = await fn(tf.tensor4d(plus, a.shape)).value.data();
        const n = i < 60 ? 0 : 1;
        expect((vp[n] - v[n]) / h).toBeCloseTo(d[i], objective === 'l2' ? 2 : 5);
      }
    }
    expect(() => dreamObjective('l2', [7])(a)).toThrow(/channel 7/);
  });
});

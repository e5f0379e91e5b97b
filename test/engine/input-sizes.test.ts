/**
 * Inputs other than 224×224 (the synthesis methods run at the picture's own aspect ratio): the
 * engine against the float64 oracle (ceil-mode max-pools, as SqueezeNet 1.1 in PyTorch) at an even,
 * non-square size and at an odd one, on every gradient path (SIMD kernels on and off, CPU).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FIRES } from '../../src/engine/architecture.js';
import { setSparseConv0Backward } from '../../src/engine/kernels/conv0-backward.js';
import { maxPoolCeil, maxPoolCeilBackward, setSimdKernelsEnabled } from '../../src/engine/kernels/ops.js';
import { setWinogradMode } from '../../src/engine/kernels/winograd.js';
import type { NodeEngine } from '../../src/engine/node.js';
import { loadWeightsNode } from '../../src/engine/node-weights.js';
import { classScore } from '../../src/engine/scores.js';
import { EngineInputError, type LayerScore } from '../../src/engine/squeezenet.js';
import { photos, rng } from '../helpers/data.js';
import { engineFor, photoInput } from '../helpers/engine.js';
import { referenceForward } from '../helpers/reference-forward.js';

/**
 * A photo's 224×224 input resampled (bilinear, so no duplicated pixels make max-pool ties) to h×w,
 * and moved off the remaining ties (see gradients.test.ts).
 */
function inputAt(photo: number, h: number, w: number, seed: number): Float32Array {
  const src = photoInput(photos()[photo].path).input;
  const random = rng(500 + seed);
  const out = new Float32Array(h * w * 3);
  const at = (y: number, x: number, c: number) => src[(y * 224 + x) * 3 + c];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const fy = Math.min(223, Math.max(0, ((y + 0.5) * 224) / h - 0.5));
      const fx = Math.min(223, Math.max(0, ((x + 0.5) * 224) / w - 0.5));
      const y0 = Math.min(222, Math.floor(fy));
      const x0 = Math.min(222, Math.floor(fx));
      const ty = fy - y0;
      const tx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const top = at(y0, x0, c) * (1 - tx) + at(y0, x0 + 1, c) * tx;
        const bottom = at(y0 + 1, x0, c) * (1 - tx) + at(y0 + 1, x0 + 1, c) * tx;
        out[(y * w + x) * 3 + c] = top * (1 - ty) + bottom * ty + (random() - 0.5) * 1.5e-3;
      }
    }
  return out;
}

function gradient(engine: NodeEngine, x: Float32Array, h: number, w: number, label: number): Float32Array {
  return tf.tidy(
    () =>
      engine.model
        .run(tf.tensor4d(x, [1, h, w, 3]), { score: classScore([label]) })
        .gradients.input!.dataSync() as Float32Array,
  );
}

const SIZES: [number, number][] = [
  [192, 256], // even input (its last row and column unused by conv0); conv1 95×127, pools 47×63, 23×31, 11×15
  [201, 163], // odd input: conv1 100×81 — an even side, so pool1 is ceil mode (50×40, then 25×20, 12×10)
  [96, 130], // conv1 47×64 → pool1 23×32 (ceil) → 11×16 (ceil) → 5×8 (ceil)
];

describe('inputs other than 224×224', () => {
  it('the logits match the float64 oracle with ceil-mode pooling (1e-3)', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    for (const [i, [h, w]] of SIZES.entries()) {
      const x = inputAt(i, h, w, i);
      const ref = referenceForward(weights, x, { h, w });
      const logits = tf.tidy(() => engine.model.run(tf.tensor4d(x, [1, h, w, 3])).logits.dataSync());
      let worst = 0;
      for (let c = 0; c < 1000; c++) worst = Math.max(worst, Math.abs(logits[c] - ref.logits[c]));
      console.log(`${h}×${w}: max |logit − oracle| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-3);
      expect(Math.max(...ref.logits)).toBeGreaterThan(1);
    }
  });

  it('the input gradient matches float64 finite differences (raw class score, and ½‖fire5‖²)', async () => {
    const engine = await engineFor('wasm');
    const weights = await loadWeightsNode(engine.data);
    // 96×130 is left to the exact tf.grad comparison below: on its small maps (fire5 11×16) a
    // max-pool near-tie that float32 and float64 resolve differently moves ~1 % of a direction.
    for (const [i, [h, w]] of SIZES.slice(0, 2).entries()) {
      const x = inputAt(3 + i, h, w, 10 + i);
      const label = photos()[3 + i].label;
      const dream: LayerScore = {
        layer: 'fire5',
        fn: (a) => ({ value: tf.mul(0.5, tf.sum(tf.square(a), [1, 2, 3])) as tf.Tensor1D, dActivation: a }),
      };
      const cases = [
        {
          name: `class ${label}`,
          g: gradient(engine, x, h, w, label),
          f64: (r: ReturnType<typeof referenceForward>) => r.logits[label],
        },
        {
          name: 'dream fire5',
          g: tf.tidy(
            () =>
              engine.model
                .run(tf.tensor4d(x, [1, h, w, 3]), { layerScore: dream })
                .gradients.input!.dataSync() as Float32Array,
          ),
          f64: (r: ReturnType<typeof referenceForward>) => 0.5 * r.fires.fire5.reduce((s, v) => s + v * v, 0),
        },
      ];
      for (const { name, g, f64 } of cases) {
        expect(g.length).toBe(h * w * 3);
        let typical = 0;
        for (const v of g) typical += v * v;
        typical = Math.sqrt(typical);
        expect(typical).toBeGreaterThan(0);
        const random = rng(900 + i);
        const step = 1e-7;
        for (let k = 0; k < 2; k++) {
          const v = Float64Array.from({ length: x.length }, () => (random() < 0.5 ? -1 : 1));
          let analytic = 0;
          for (let j = 0; j < x.length; j++) analytic += g[j] * v[j];
          const f = (sign: number) =>
            f64(
              referenceForward(
                weights,
                Float64Array.from(x, (xj, j) => xj + sign * step * v[j]),
                { h, w },
              ),
            );
          const numeric = (f(1) - f(-1)) / (2 * step);
          const rel = Math.abs(numeric - analytic) / typical;
          console.log(
            `${h}×${w} ${name} direction ${k}: analytic ${analytic.toFixed(5)} numeric ${numeric.toFixed(5)} error/‖g‖ ${rel.toExponential(2)}`,
          );
          expect(rel).toBeLessThan(1e-2);
        }
      }
      // An even side's last row / column is outside every valid stride-2 conv0 window: zero gradient.
      const last = (y: number, xx: number) => Array.from({ length: 3 }, (_, c) => cases[0].g[(y * w + xx) * 3 + c]);
      if (h % 2 === 0) for (let xx = 0; xx < w; xx++) expect(last(h - 1, xx)).toEqual([0, 0, 0]);
      if (w % 2 === 0) for (let y = 0; y < h; y++) expect(last(y, w - 1)).toEqual([0, 0, 0]);
    }
  });

  it('every gradient path agrees: SIMD kernels on / off, sparse conv0 gradient on / off, CPU', async () => {
    for (const [i, [h, w]] of SIZES.entries()) {
      const x = inputAt(6 + i, h, w, 20 + i);
      const label = photos()[6 + i].label;
      const engine = await engineFor('wasm');
      setWinogradMode('never'); // Winograd rounds differently (compared in kernels/winograd.test.ts)
      const base = gradient(engine, x, h, w, label);
      setSparseConv0Backward(false);
      const phaseConv = gradient(engine, x, h, w, label);
      setSparseConv0Backward(true);
      setSimdKernelsEnabled(false);
      const stock = gradient(engine, x, h, w, label);
      setSimdKernelsEnabled(true);
      setWinogradMode('auto');
      const winograd = gradient(engine, x, h, w, label);
      const cpu = gradient(await engineFor('cpu'), x, h, w, label);
      await engineFor('wasm');
      for (const [name, other, tol] of [
        ['phase conv', phaseConv, 1e-5],
        ['stock ops', stock, 1e-5],
      ] as const) {
        let worst = 0;
        let scale = 0;
        for (let j = 0; j < base.length; j++) {
          worst = Math.max(worst, Math.abs(base[j] - other[j]));
          scale = Math.max(scale, Math.abs(base[j]));
        }
        console.log(`${h}×${w} ${name}: max diff / max ${(worst / scale).toExponential(2)}`);
        expect(worst / scale).toBeLessThan(tol);
      }
      // Different convolution code rounds differently, which can move a near-tie in a max-pool:
      // these compare as the existing path comparisons do (cosine).
      for (const [name, other] of [
        ['cpu', cpu],
        ['winograd', winograd],
      ] as const) {
        let dot = 0;
        let na = 0;
        let nb = 0;
        for (let j = 0; j < base.length; j++) {
          dot += base[j] * other[j];
          na += base[j] ** 2;
          nb += other[j] ** 2;
        }
        const cosine = dot / Math.sqrt(na * nb);
        console.log(`${h}×${w} ${name}: cosine ${cosine.toFixed(7)}`);
        expect(cosine).toBeGreaterThan(0.9999);
      }
    }
  });

  it('the input gradient equals tf.grad of a stock-op forward with ceil-mode pools (CPU)', async () => {
    await import('@tensorflow/tfjs-core/dist/register_all_gradients');
    const engine = await engineFor('cpu');
    const weights = await loadWeightsNode(engine.data);
    const params = (name: string) => ({
      k: tf.tensor4d(weights[name].kernel, weights[name].kernelShape),
      b: tf.tensor1d(weights[name].bias),
    });
    const pool = (x: tf.Tensor4D) =>
      tf.maxPool(
        tf.pad(
          x,
          [
            [0, 0],
            [0, 1 - (x.shape[1] % 2)],
            [0, 1 - (x.shape[2] % 2)],
            [0, 0],
          ],
          -1e30,
        ),
        3,
        2,
        'valid',
      );
    const label = 17;
    const forward = (input: tf.Tensor): tf.Scalar => {
      const x = input as tf.Tensor4D;
      const c0 = params('conv0');
      let a = pool(tf.relu(tf.add(tf.conv2d(x, c0.k, 2, 'valid'), c0.b)));
      for (const f of FIRES) {
        const [s, e1, e3] = [0, 1, 2].map((j) => params(`conv${f.conv + j}`));
        const sq = tf.relu(tf.add(tf.conv2d(a, s.k, 1, 'valid'), s.b)) as tf.Tensor4D;
        a = tf.relu(
          tf.concat([tf.add(tf.conv2d(sq, e1.k, 1, 'valid'), e1.b), tf.add(tf.conv2d(sq, e3.k, 1, 'same'), e3.b)], 3),
        ) as tf.Tensor4D;
        if (f.poolAfter) a = pool(a);
      }
      const c = params('conv25');
      return tf.mean(tf.slice(tf.relu(tf.add(tf.conv2d(a, c.k, 1, 'valid'), c.b)), [0, 0, 0, label], [1, -1, -1, 1]));
    };
    for (const [h, w] of SIZES) {
      const [stock, ours] = tf.tidy(() => {
        const x = tf.randomUniform([1, h, w, 3], -2, 2, 'float32', h) as tf.Tensor4D;
        return [
          tf.grad(forward)(x).dataSync(),
          engine.model.run(x, { score: classScore([label]) }).gradients.input!.dataSync(),
        ];
      });
      let worst = 0;
      let scale = 0;
      for (let j = 0; j < stock.length; j++) {
        worst = Math.max(worst, Math.abs(stock[j] - ours[j]));
        scale = Math.max(scale, Math.abs(stock[j]));
      }
      console.log(`${h}×${w}: tf.grad vs engine, max diff / max ${(worst / scale).toExponential(2)}`);
      expect(worst / scale).toBeLessThan(1e-5);
    }
    await engineFor('wasm');
  });

  it('ceil-mode max-pool and its gradient: one more window on an even side, none on an odd one', async () => {
    await engineFor('wasm');
    const random = rng(31);
    for (const backend of ['wasm', 'cpu'] as const) {
      await engineFor(backend);
      for (const [h, w] of [
        [6, 7],
        [7, 8],
        [9, 9],
      ]) {
        const xv = Float32Array.from({ length: h * w * 4 }, () => Math.floor(random() * 4));
        tf.tidy(() => {
          const x = tf.tensor4d(xv, [1, h, w, 4]);
          const y = maxPoolCeil(x);
          expect(y.shape).toEqual([1, Math.ceil((h - 3) / 2) + 1, Math.ceil((w - 3) / 2) + 1, 4]);
          const dy = tf.onesLike(y) as tf.Tensor4D;
          const dx = maxPoolCeilBackward(x, y, dy);
          expect(dx.shape).toEqual([1, h, w, 4]);
          // Each window's unit gradient lands on its maxima: the total is the number of windows.
          expect(tf.sum(dx).dataSync()[0]).toBeCloseTo(y.size, 3);
          // The last window of an even side sees only the last two rows.
          const yv = y.dataSync();
          const ho = y.shape[1];
          const wo = y.shape[2];
          for (let c = 0; c < 4; c++) {
            let m = -Infinity;
            for (let a = 2 * (ho - 1); a < Math.min(h, 2 * ho + 1); a++)
              for (let b = 2 * (wo - 1); b < Math.min(w, 2 * wo + 1); b++) m = Math.max(m, xv[(a * w + b) * 4 + c]);
            expect(yv[((ho - 1) * wo + wo - 1) * 4 + c]).toBe(m);
          }
        });
      }
    }
    await engineFor('wasm');
  });

  it('refuses sizes outside 64…512 with a specific error', async () => {
    const engine = await engineFor('wasm');
    for (const shape of [
      [1, 63, 224, 3],
      [1, 224, 513, 3],
      [1, 224, 224, 4],
    ] as [number, number, number, number][]) {
      const x = tf.zeros(shape) as tf.Tensor4D;
      expect(() => engine.model.run(x)).toThrow(EngineInputError);
      expect(() => engine.model.run(x)).toThrow(/H and W in 64…512/);
      x.dispose();
    }
    const small = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
    tf.tidy(() => {
      expect(engine.model.run(small).logits.shape).toEqual([1, 1000]);
    });
    small.dispose();
  });
});

/**
 * The hand-written backward pass against central finite differences (of an independent float64
 * forward), across backends, and the
 * custom max-pool gradient kernel against the same rule written with stock ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { maxPoolBackwardInto, maxPoolBackwardOps } from '../../src/engine/kernels/max-pool-backward.js';
import type { NodeEngine } from '../../src/engine/node.js';
import { loadWeightsNode } from '../../src/engine/node-weights.js';
import { classScore, linearScore, type ScoreFn } from '../../src/engine/scores.js';
import { disposeResult, type LayerScore } from '../../src/engine/squeezenet.js';
import { photos, rng } from '../helpers/data.js';
import { engineFor, photoInput } from '../helpers/engine.js';
import { referenceForward } from '../helpers/reference-forward.js';

function gradientAt(engine: NodeEngine, x: Float32Array, score: ScoreFn | LayerScore): Float32Array {
  const options = typeof score === 'function' ? { score } : { layerScore: score };
  return tf.tidy(
    () => engine.model.run(tf.tensor4d(x, [1, 224, 224, 3]), options).gradients.input!.dataSync() as Float32Array,
  );
}

type Heads64 = ReturnType<typeof referenceForward>;

/**
 * Photos with flat regions (the 224×224 ones enter the network unresampled) put exactly equal
 * values into max-pool windows. There the function is not differentiable: a central difference
 * measures (max + min) / 2 of the tied directions, which no subgradient rule matches, so no finite
 * difference can check the backward pass at such a point. A deterministic perturbation of ±1/30 of
 * a pixel level moves the photo off that measure-zero set. (The tie rule itself is tested below.)
 */
function offTies(x: Float32Array, seed: number): Float32Array {
  const random = rng(1000 + seed);
  return x.map((v) => v + (random() - 0.5) * 1.5e-3);
}

/**
 * Directional derivative g·v (TF.js, float32, hand-written backward) against the central
 * difference (f(x+hv) − f(x−hv)) / 2h of the independent float64 forward, for seeded ±1
 * directions over all 150,528 inputs.
 */
async function checkDirections(
  engine: NodeEngine,
  x: Float32Array,
  score: ScoreFn | LayerScore,
  score64: (h: Heads64) => number,
  label: string,
  seed: number,
) {
  const weights = await loadWeightsNode(engine.data);
  const g = gradientAt(engine, x, score);
  // For ±1 directions, E[(g·v)²] = ‖g‖²: the typical size of a directional derivative. Errors are
  // measured against it, since one random direction can be nearly orthogonal to g by chance.
  let typical = 0;
  for (let i = 0; i < g.length; i++) typical += g[i] * g[i];
  typical = Math.sqrt(typical);
  const random = rng(seed);
  // A global step moves deep pre-activations by h·‖∂unit/∂x‖₁: at h = 1e-5 hundreds of ReLUs cross
  // their kink inside the interval and bias the difference by ~1 %. In float64, h = 1e-7 is
  // converged (1e-7, 1e-8 and 1e-9 agree to 5 digits) and far above rounding noise.
  const h = 1e-7;
  const errors: number[] = [];
  for (let k = 0; k < 3; k++) {
    const v = Float64Array.from({ length: x.length }, () => (random() < 0.5 ? -1 : 1));
    let analytic = 0;
    for (let i = 0; i < x.length; i++) analytic += g[i] * v[i];
    const f = (sign: number) =>
      score64(
        referenceForward(
          weights,
          Float64Array.from(x, (xi, i) => xi + sign * h * v[i]),
        ),
      );
    const numeric = (f(1) - f(-1)) / (2 * h);
    const rel = Math.abs(numeric - analytic) / typical;
    errors.push(rel);
    const plain = Math.abs(numeric - analytic) / Math.abs(numeric);
    console.log(
      `${label} direction ${k}: analytic ${analytic.toFixed(5)} numeric ${numeric.toFixed(5)} ` +
        `error/‖g‖ ${rel.toExponential(2)} (error/|numeric| ${plain.toExponential(2)})`,
    );
  }
  return errors;
}

describe('input gradients', () => {
  it('match central finite differences along random directions (raw class score, logits head)', async () => {
    const engine = await engineFor('wasm');
    for (const [i, p] of [photos()[0], photos()[6], photos()[10]].entries()) {
      const x = offTies(photoInput(p.path).input, i);
      const errors = await checkDirections(
        engine,
        x,
        classScore([p.label]),
        (h) => h.logits[p.label],
        `${p.file} class ${p.label}`,
        100 + i,
      );
      for (const e of errors) expect(e).toBeLessThan(1e-2);
    }
  });

  it('match finite differences for a dense random score on the pre-ReLU head, and for cross-entropy', async () => {
    const engine = await engineFor('wasm');
    const x = photoInput(photos()[2].path).input;
    const random = rng(7);
    const wv = Float32Array.from({ length: 1000 }, () => random() - 0.5);
    const w = tf.tensor2d(wv, [1, 1000]);
    const linear64 = (h: Heads64) => h.preReluLogits.reduce((s, z, c) => s + z * wv[c], 0);
    for (const e of await checkDirections(engine, x, linearScore(w, 'preReluLogits'), linear64, 'linear pre-ReLU', 11))
      expect(e).toBeLessThan(1e-2);
    const crossEntropy64 = (h: Heads64) => {
      const m = Math.max(...h.logits);
      return Math.log(h.logits.reduce((s, z) => s + Math.exp(z - m), 0)) + m - h.logits[3];
    };
    for (const e of await checkDirections(
      engine,
      x,
      classScore([3], 'crossEntropy'),
      crossEntropy64,
      'cross-entropy',
      12,
    ))
      expect(e).toBeLessThan(1e-2);
    w.dispose();
  });

  it('are the same on WASM and CPU, ties included (photos with flat regions)', async () => {
    for (const p of [photos()[6], photos()[10]]) {
      const x = photoInput(p.path).input;
      const wasm = gradientAt(await engineFor('wasm'), x, classScore([p.label]));
      const cpu = gradientAt(await engineFor('cpu'), x, classScore([p.label]));
      let dot = 0;
      let nw = 0;
      let nc = 0;
      for (let i = 0; i < x.length; i++) {
        dot += wasm[i] * cpu[i];
        nw += wasm[i] ** 2;
        nc += cpu[i] ** 2;
      }
      const cosine = dot / Math.sqrt(nw * nc);
      console.log(`${p.file}: cosine(wasm, cpu) = ${cosine.toFixed(7)}`);
      expect(cosine).toBeGreaterThan(0.9999);
    }
    await engineFor('wasm');
  });

  it('give per-example gradients in a batch', async () => {
    const engine = await engineFor('wasm');
    const [a, b] = photos().slice(0, 2);
    const xa = photoInput(a.path).input;
    const xb = photoInput(b.path).input;
    const batch = new Float32Array(2 * xa.length);
    batch.set(xa);
    batch.set(xb, xa.length);
    const r = engine.model.run(tf.tensor4d(batch, [2, 224, 224, 3]), { score: classScore([a.label, b.label]) });
    const g = await r.gradients.input!.data();
    disposeResult(r);
    const ga = gradientAt(engine, xa, classScore([a.label]));
    const gb = gradientAt(engine, xb, classScore([b.label]));
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < xa.length; i++) {
      worst = Math.max(worst, Math.abs(g[i] - ga[i]), Math.abs(g[xa.length + i] - gb[i]));
      scale = Math.max(scale, Math.abs(ga[i]));
    }
    expect(worst / scale).toBeLessThan(1e-4);
  });
});

describe('max-pool backward (3×3, stride 2, ties share equally)', () => {
  it('kernel equals the stock-op composition on inputs full of ties, on both backends', async () => {
    const random = rng(3);
    // Few distinct values → many tied maxima inside windows.
    const shape: [number, number, number, number] = [2, 11, 9, 5];
    const xv = Float32Array.from({ length: 2 * 11 * 9 * 5 }, () => Math.floor(random() * 3));
    const dyv = Float32Array.from({ length: 2 * 5 * 4 * 5 }, () => random() - 0.5);
    for (const backend of ['wasm', 'cpu'] as const) {
      await engineFor(backend);
      const [kernel, ops] = tf.tidy(() => {
        const x = tf.tensor4d(xv, shape);
        const y = tf.maxPool(x, 3, 2, 'valid');
        const dy = tf.tensor4d(dyv, y.shape as [number, number, number, number]);
        const viaKernel = tf.engine().runKernel('SqueezeLensMaxPool3x3s2Backward', { x, y, dy }) as tf.Tensor;
        return [viaKernel.dataSync(), maxPoolBackwardOps(x, y, dy).dataSync()];
      });
      for (let i = 0; i < kernel.length; i++) expect(kernel[i]).toBeCloseTo(ops[i], 6);
    }
    await engineFor('wasm');
  });

  it('conserves the gradient and splits ties equally (hand example)', () => {
    // One 3×3 window (H = W = 3 → Ho = Wo = 1) with the maximum 5 at two places.
    const x = Float32Array.from([5, 1, 2, 0, 5, 3, 1, 1, 1]);
    const out = new Float32Array(9);
    maxPoolBackwardInto(x, Float32Array.from([5]), Float32Array.from([0.8]), out, [1, 3, 3, 1], [1, 1]);
    expect(Array.from(out).map((v) => Number(v.toFixed(6)))).toEqual([0.4, 0, 0, 0, 0.4, 0, 0, 0, 0]);
  });
});

describe('gradient paths agree', () => {
  it('SIMD kernels on and off give the same gradients (input and a fire layer)', async () => {
    const { setSimdKernelsEnabled } = await import('../../src/engine/kernels/ops.js');
    const engine = await engineFor('wasm');
    const x = tf.tensor4d(photoInput(photos()[4].path).input, [1, 224, 224, 3]);
    const grads = () =>
      tf.tidy(() =>
        Object.values(
          engine.model.run(x, { score: classScore([photos()[4].label]), gradients: ['input', 'fire5'] }).gradients,
        ).map((g) => g.dataSync()),
      );
    // Winograd off in both runs: it rounds differently from XNNPACK, which moves near-ties in
    // max-pools and ReLU signs (compared on its own in kernels/winograd.test.ts); this test is
    // about the small kernels, which must agree to float32 rounding.
    const { setWinogradMode } = await import('../../src/engine/kernels/winograd.js');
    setWinogradMode('never');
    const simd = grads();
    setWinogradMode('auto');
    setSimdKernelsEnabled(false);
    const stock = grads();
    setSimdKernelsEnabled(true);
    simd.forEach((a, i) => {
      let worst = 0;
      let scale = 0;
      for (let j = 0; j < a.length; j++) {
        worst = Math.max(worst, Math.abs(a[j] - stock[i][j]));
        scale = Math.max(scale, Math.abs(a[j]));
      }
      expect(worst / scale).toBeLessThan(1e-5);
    });
    x.dispose();
  });

  it('the few-classes shortcut through the classifier equals the dense path', async () => {
    const engine = await engineFor('wasm');
    const x = tf.tensor4d(photoInput(photos()[7].path).input, [1, 224, 224, 3]);
    const label = photos()[7].label;
    const oneHot = tf.oneHot(tf.tensor1d([label], 'int32'), 1000);
    const sparse = tf.tidy(() => engine.model.run(x, { score: classScore([label]) }).gradients.input!.dataSync());
    // linearScore declares no class support, so it takes the dense path.
    const dense = tf.tidy(() =>
      engine.model
        .run(x, { score: linearScore(tf.cast(oneHot, 'float32') as tf.Tensor2D) })
        .gradients.input!.dataSync(),
    );
    let worst = 0;
    let scale = 0;
    for (let j = 0; j < sparse.length; j++) {
      worst = Math.max(worst, Math.abs(sparse[j] - dense[j]));
      scale = Math.max(scale, Math.abs(dense[j]));
    }
    expect(worst / scale).toBeLessThan(1e-5);
    tf.dispose([x, oneHot]);
  });
});

describe('scores on an intermediate layer (layerScore)', () => {
  it('follow the chain rule: a linear score on fire5 with weights dS/dfire5 has the input gradient of S', async () => {
    const engine = await engineFor('wasm');
    const p = photos()[2];
    const x = tf.tensor4d(photoInput(p.path).input, [1, 224, 224, 3]);
    const read = (t: tf.Tensor | undefined) => t!.dataSync() as Float32Array;
    const head = engine.model.run(x, { score: classScore([p.label]), gradients: ['input', 'fire5'] });
    const g5 = head.gradients.fire5!;
    const layer = engine.model.run(x, {
      layerScore: {
        layer: 'fire5',
        fn: (a) => ({ value: tf.sum(tf.mul(a, g5), [1, 2, 3]) as tf.Tensor1D, dActivation: g5 }),
      },
    });
    // The pre-ReLU class score is the mean of its class-map channel: the same score, seeded on the map.
    const pre = engine.model.run(x, { score: classScore([p.label], 'raw', 'preReluLogits') });
    const oneCell = tf.div(tf.oneHot(tf.fill([1, 13, 13], p.label, 'int32'), 1000), 169) as tf.Tensor4D;
    const map = engine.model.run(x, {
      layerScore: {
        layer: 'classifier',
        fn: (z) => ({ value: tf.sum(tf.mul(z, oneCell), [1, 2, 3]) as tf.Tensor1D, dActivation: oneCell }),
      },
    });
    const viaHeads = [read(head.gradients.input), read(layer.gradients.input)];
    const viaMap = [read(pre.gradients.input), read(map.gradients.input)];
    [head, layer, pre, map].forEach(disposeResult);
    oneCell.dispose();
    for (const [a, b] of [viaHeads, viaMap]) {
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(a[i]));
      }
      expect(scale).toBeGreaterThan(0);
      expect(worst / scale).toBeLessThan(1e-4);
    }
    x.dispose();
  });

  it('match finite differences for ½‖fire5‖² (the DeepDream objective)', async () => {
    const engine = await engineFor('wasm');
    const x = photoInput(photos()[3].path).input;
    const dream = {
      layer: 'fire5' as const,
      fn: (a: tf.Tensor4D) => ({ value: tf.mul(0.5, tf.sum(tf.square(a), [1, 2, 3])) as tf.Tensor1D, dActivation: a }),
    };
    const errors = await checkDirections(
      engine,
      x,
      dream,
      (h) => 0.5 * h.fires.fire5.reduce((s, v) => s + v * v, 0),
      'dream fire5',
      21,
    );
    for (const e of errors) expect(e).toBeLessThan(1e-2);
  });

  it('several layer scores make one run whose values and gradients are the sums of single-layer runs', async () => {
    const engine = await engineFor('wasm');
    const p = photos()[6];
    const x = tf.tensor4d(offTies(photoInput(p.path).input, 6), [1, 224, 224, 3]);
    const random = rng(77);
    const weightsFor = (shape: number[]) =>
      tf.tensor4d(
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => random() - 0.5),
        shape as [number, number, number, number],
      );
    const linear =
      (w: tf.Tensor4D): LayerScore['fn'] =>
      (a) => ({
        value: tf.sum(tf.mul(a, w), [1, 2, 3]) as tf.Tensor1D,
        dActivation: w,
      });
    const half =
      (c: number): LayerScore['fn'] =>
      (a) => ({
        value: tf.mul(0.5 * c, tf.sum(tf.square(a), [1, 2, 3])) as tf.Tensor1D,
        dActivation: tf.mul(a, c) as tf.Tensor4D,
      });
    const w1 = weightsFor([1, 111, 111, 64]);
    const w5 = weightsFor([1, 27, 27, 256]);
    const w4 = weightsFor([1, 27, 27, 256]);
    // Two on fire5 (one stage, two seeds), one under fire4's ReLU below them, fire3 and two low ones.
    const scores: LayerScore[] = [
      { layer: 'fire5', fn: linear(w5) },
      { layer: 'conv1', fn: linear(w1) },
      { layer: 'fire5', fn: half(1e-2) },
      { layer: 'fire4', fn: linear(w4), preRelu: true },
      { layer: 'fire3', fn: half(3e-3) },
      { layer: 'fire2', fn: half(1e-3) },
    ];
    const read = (t: tf.Tensor | undefined) => Float32Array.from(t!.dataSync());
    const before = tf.memory().numTensors;
    const multi = engine.model.run(x, {
      layerScore: scores,
      heads: false,
      gradients: ['input', 'conv1', 'fire3'],
      activations: ['fire4'],
    });
    expect(multi.logits).toBeUndefined();
    const got = {
      input: read(multi.gradients.input),
      conv1: read(multi.gradients.conv1),
      fire3: read(multi.gradients.fire3),
      values: multi.layerScores!.map((v) => v.dataSync()[0]),
      total: multi.score!.dataSync()[0],
      fire4: read(multi.activations.fire4),
    };
    disposeResult(multi);
    expect(tf.memory().numTensors).toBe(before);
    const sums = { input: new Float64Array(got.input.length), conv1: new Float64Array(got.conv1.length) };
    const fire3 = new Float64Array(got.fire3.length);
    const values: number[] = [];
    for (const score of scores) {
      const above3 = ['fire5', 'fire4', 'fire3'].includes(score.layer);
      const r = engine.model.run(x, {
        layerScore: score,
        gradients: ['input', 'conv1', ...(above3 ? (['fire3'] as const) : [])],
      });
      const accumulate = (into: Float64Array, t: tf.Tensor | undefined) => {
        const d = read(t);
        for (let i = 0; i < d.length; i++) into[i] += d[i];
      };
      accumulate(sums.input, r.gradients.input);
      accumulate(sums.conv1, r.gradients.conv1);
      if (above3) accumulate(fire3, r.gradients.fire3);
      values.push(r.score!.dataSync()[0]);
      disposeResult(r);
    }
    const full = engine.model.run(x, { activations: ['fire4'] });
    const fire4 = read(full.activations.fire4);
    disposeResult(full);
    const relative = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(b[i]));
      }
      expect(scale).toBeGreaterThan(0);
      return worst / scale;
    };
    for (const [name, a, b] of [
      ['input', got.input, sums.input],
      ['conv1', got.conv1, sums.conv1],
      ['fire3', got.fire3, fire3],
    ] as const) {
      const e = relative(a, b);
      console.log(`multi-layer ${name} gradient: largest difference / largest value ${e.toExponential(2)}`);
      expect(e).toBeLessThan(1e-4);
    }
    for (let k = 0; k < scores.length; k++) expect(got.values[k]).toBeCloseTo(values[k], 3);
    expect(got.total / values.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    // A forward pass stopped at fire4 computes what the full one does there.
    expect(got.fire4).toEqual(fire4);
    tf.dispose([x, w1, w4, w5]);
  });

  it("match finite differences for a score on fire5 plus one under fire4's ReLU, in one run", async () => {
    const engine = await engineFor('wasm');
    const x = offTies(photoInput(photos()[8].path).input, 8);
    const channel = 5;
    const mean = tf.tidy(() => {
      const seed = new Float32Array(27 * 27 * 256);
      for (let p = 0; p < 27 * 27; p++) seed[p * 256 + channel] = 1 / (27 * 27);
      return tf.tensor4d(seed, [1, 27, 27, 256]);
    });
    const dream = (w: number): LayerScore => ({
      layer: 'fire5',
      fn: (a) => ({ value: tf.mul(w / 2, tf.sum(tf.square(a), [1, 2, 3])) as tf.Tensor1D, dActivation: tf.mul(a, w) }),
    });
    const pre: LayerScore = {
      layer: 'fire4',
      preRelu: true,
      fn: (a) => ({ value: tf.sum(tf.mul(a, mean), [1, 2, 3]) as tf.Tensor1D, dActivation: mean }),
    };
    const gradientOf = (layerScore: LayerScore | LayerScore[]) =>
      tf.tidy(
        () =>
          engine.model
            .run(tf.tensor4d(x, [1, 224, 224, 3]), { layerScore, heads: false })
            .gradients.input!.dataSync() as Float32Array,
      );
    const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
    // Weigh the fire5 term so both parts have gradients of the same size: otherwise it dominates
    // (weight 1e-2: the pre-ReLU part had 0.000 of ‖g‖) and losing the other seed would go unseen.
    const W5 = norm(gradientOf(pre)) / norm(gradientOf(dream(1)));
    const scores = [dream(W5), pre];
    const g = gradientOf(scores);
    for (const part of scores) {
      const share = norm(gradientOf(part)) / norm(g);
      console.log(`${part.layer}${part.preRelu ? ' (pre-ReLU)' : ''}: ‖g_part‖/‖g‖ = ${share.toFixed(3)}`);
      expect(share).toBeGreaterThan(0.2);
    }
    mean.dispose();
    const weights = await loadWeightsNode(engine.data);
    let typical = 0;
    for (const v of g) typical += v * v;
    typical = Math.sqrt(typical);
    const f64 = (xv: Float64Array) => {
      const r = referenceForward(weights, xv);
      let channelMean = 0;
      for (let p = 0; p < 27 * 27; p++) channelMean += r.preRelu.fire4[p * 256 + channel] / (27 * 27);
      return (W5 / 2) * r.fires.fire5.reduce((s, v) => s + v * v, 0) + channelMean;
    };
    const random = rng(91);
    const h = 1e-7;
    for (let k = 0; k < 2; k++) {
      const v = Float64Array.from({ length: x.length }, () => (random() < 0.5 ? -1 : 1));
      let analytic = 0;
      for (let i = 0; i < x.length; i++) analytic += g[i] * v[i];
      const numeric =
        (f64(Float64Array.from(x, (xi, i) => xi + h * v[i])) - f64(Float64Array.from(x, (xi, i) => xi - h * v[i]))) /
        (2 * h);
      const error = Math.abs(numeric - analytic) / typical;
      console.log(
        `fire5 + fire4 (pre-ReLU) direction ${k}: analytic ${analytic} numeric ${numeric} error/‖g‖ ${error}`,
      );
      expect(error).toBeLessThan(1e-2);
    }
  });

  it('refuse gradients above the seeded layer', async () => {
    const engine = await engineFor('wasm');
    const x = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
    expect(() =>
      engine.model.run(x, {
        layerScore: {
          layer: 'fire5',
          fn: (a) => ({ value: tf.sum(a, [1, 2, 3]) as tf.Tensor1D, dActivation: tf.onesLike(a) }),
        },
        gradients: ['fire9'],
      }),
    ).toThrow(/fire9, which come after it/);
    x.dispose();
  });
});

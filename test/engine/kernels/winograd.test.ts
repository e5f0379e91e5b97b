/**
 * Winograd F(2×2, 3×3) and F(4×4, 3×3) (our SIMD kernels) against TF.js's conv2d (XNNPACK) on every fire module's
 * expand-3×3 shape, forward (squeeze → expand, + bias, ReLU) and input gradient (expand → squeeze,
 * no bias), batch 2, plus odd sizes that leave partial tiles and partial tile blocks; and the
 * backward pass's fused form (+ the other branch's gradient, then the ReLU mask below) against the
 * same steps as stock ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { FIRES } from '../../../src/engine/architecture.js';
import { Conv3x3, setTileBlock, setWinogradMode, type WinogradVariant } from '../../../src/engine/kernels/winograd.js';
import { classScore } from '../../../src/engine/scores.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const random = rng(7);
const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);

/** Runs `apply` with the Winograd variant and with XNNPACK ('never'): both outputs' values. */
function bothPaths(variant: WinogradVariant, apply: () => tf.Tensor): { wino: Float32Array; xnn: Float32Array } {
  const run = (m: WinogradVariant | 'never') => {
    setWinogradMode(m);
    const y = apply();
    const data = y.dataSync() as Float32Array;
    y.dispose();
    return data;
  };
  return { wino: run(variant), xnn: run('never') };
}

/** Max abs difference between the Winograd and the XNNPACK path, and the largest |output|. */
function compare(
  variant: WinogradVariant,
  n: number,
  size: number,
  cin: number,
  cout: number,
  withBias: boolean,
  relu: boolean,
) {
  const hwio = values(9 * cin * cout, 1 / Math.sqrt(9 * cin));
  const conv = new Conv3x3(hwio, cin, cout);
  const x = tf.tensor4d(values(n * size * size * cin, 1), [n, size, size, cin]);
  const kernel = tf.tensor4d(hwio, [3, 3, cin, cout]);
  const bias = withBias ? tf.tensor1d(values(cout, 0.5)) : null;
  try {
    const { wino, xnn } = bothPaths(variant, () => conv.apply(x, kernel, bias, relu));
    let err = 0;
    let peak = 0;
    for (let i = 0; i < xnn.length; i++) {
      err = Math.max(err, Math.abs(wino[i] - xnn[i]));
      peak = Math.max(peak, Math.abs(xnn[i]));
    }
    return { err, peak, length: wino.length };
  } finally {
    setWinogradMode('auto');
    conv.dispose();
    tf.dispose([x, kernel, bias ?? []]);
  }
}

/**
 * applyAddMask (Winograd output transform + addend, ReLU mask) against reluMask(addend + conv2d)
 * with XNNPACK: max abs difference, the largest |output|, and whether the zeros agree exactly.
 */
function compareAddMask(variant: WinogradVariant, n: number, size: number, cin: number, cout: number) {
  const hwio = values(9 * cin * cout, 1 / Math.sqrt(9 * cin));
  const conv = new Conv3x3(hwio, cin, cout);
  const x = tf.tensor4d(values(n * size * size * cin, 1), [n, size, size, cin]);
  const kernel = tf.tensor4d(hwio, [3, 3, cin, cout]);
  const addend = tf.tensor4d(values(n * size * size * cout, 1), [n, size, size, cout]);
  // a ReLU output: about half exact zeros
  const mask = tf.tensor4d(
    values(n * size * size * cout, 1).map((v) => Math.max(v, 0)),
    [n, size, size, cout],
  );
  try {
    const { wino, xnn } = bothPaths(variant, () => conv.applyAddMask(x, kernel, addend, mask));
    const m = mask.dataSync();
    let err = 0;
    let peak = 0;
    let zerosAgree = true;
    for (let i = 0; i < xnn.length; i++) {
      err = Math.max(err, Math.abs(wino[i] - xnn[i]));
      peak = Math.max(peak, Math.abs(xnn[i]));
      if (m[i] <= 0 && (wino[i] !== 0 || xnn[i] !== 0)) zerosAgree = false;
    }
    return { err, peak, zerosAgree };
  } finally {
    setWinogradMode('auto');
    conv.dispose();
    tf.dispose([x, kernel, addend, mask]);
  }
}

describe('Winograd 3×3 matches XNNPACK conv2d', async () => {
  await engineFor('wasm');
  afterAll(() => setTileBlock(0));

  const shapes = FIRES.map((f, k) => ({
    name: f.name,
    size: [55, 55, 27, 27, 13, 13, 13, 13][k],
    s: f.squeeze,
    e: f.expand,
  }));
  // Bounds relative to the peak |output|: F(2,3) measured ≤ 2.5e-6, F(4,3) (coefficients up to 8
  // and 1/24, so more rounding) ≤ 1.2e-5; XNNPACK's own float32 rounding is in both.
  const BOUND: Record<WinogradVariant, number> = { f2: 2e-5, f4: 1e-4 };
  const cases = shapes.flatMap((shape) => (['f2', 'f4'] as const).map((variant) => ({ ...shape, variant })));
  it.each(cases)(
    '$variant $name: $size×$size, forward $s → $e (bias, ReLU), gradient $e → $s',
    ({ variant, size, s, e }) => {
      const fwd = compare(variant, 2, size, s, e, true, true);
      const back = compare(variant, 2, size, e, s, false, false);
      expect(fwd.err).toBeLessThan(BOUND[variant] * fwd.peak);
      expect(back.err).toBeLessThan(BOUND[variant] * back.peak);
      expect(fwd.peak).toBeGreaterThan(0.5);
      const fused = compareAddMask(variant, 2, size, e, s);
      expect(fused.err).toBeLessThan(BOUND[variant] * fused.peak);
      expect(fused.zerosAgree).toBe(true);
      console.log(
        `${variant} ${size}: fwd ${s}→${e} err/peak ${(fwd.err / fwd.peak).toExponential(2)}, ` +
          `back ${e}→${s} ${(back.err / back.peak).toExponential(2)}`,
      );
    },
  );

  it('odd sizes, one-tile images, tile blocks that do not divide the tiles; no leaked heap data', () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    for (const tb of [0, 4, 12]) {
      setTileBlock(tb);
      for (const [n, size, cin, cout] of [
        [1, 1, 4, 8],
        [3, 2, 8, 16],
        [1, 5, 12, 24],
        [2, 7, 4, 8],
        [1, 9, 8, 8],
      ]) {
        for (const variant of ['f2', 'f4'] as const)
          for (const relu of [false, true]) {
            const r = compare(variant, n, size, cin, cout, relu, relu);
            expect(r.err).toBeLessThan(1e-4 * r.peak + 1e-7);
          }
        for (const variant of ['f2', 'f4'] as const) {
          const r = compareAddMask(variant, n, size, cin, cout);
          expect(r.err).toBeLessThan(1e-4 * r.peak + 1e-7);
          expect(r.zerosAgree).toBe(true);
        }
      }
    }
    expect(backend.numDataIds()).toBe(before);
  });
});

describe('the model with Winograd (auto) and with XNNPACK only', async () => {
  const engine = await engineFor('wasm');

  it('gives the same logits and input gradients (photos with and without flat regions)', () => {
    for (const p of [photos()[0], photos()[4], photos()[6]]) {
      const x = tf.tensor4d(photoInput(p.path).input, [1, 224, 224, 3]);
      const run = (m: 'auto' | 'never') => {
        setWinogradMode(m);
        return tf.tidy(() => {
          const r = engine.model.run(x, { score: classScore([p.label]) });
          return [r.logits.dataSync() as Float32Array, r.gradients.input!.dataSync() as Float32Array];
        });
      };
      try {
        const [lw, gw] = run('auto');
        const [lx, gx] = run('never');
        let dl = 0;
        for (let i = 0; i < lw.length; i++) dl = Math.max(dl, Math.abs(lw[i] - lx[i]));
        let dot = 0;
        let nw = 0;
        let nx = 0;
        for (let i = 0; i < gw.length; i++) {
          dot += gw[i] * gx[i];
          nw += gw[i] ** 2;
          nx += gx[i] ** 2;
        }
        const cosine = dot / Math.sqrt(nw * nx);
        console.log(`${p.file}: max |Δlogit| ${dl.toExponential(2)}, gradient cosine ${cosine.toFixed(7)}`);
        expect(dl).toBeLessThan(1e-4);
        // the same criterion as WASM vs CPU (gradients.test.ts): near-ties in max-pools may flip
        expect(cosine).toBeGreaterThan(0.9999);
      } finally {
        setWinogradMode('auto');
        x.dispose();
      }
    }
  });
});

describe("a model whose Winograd weights are filled later (the extension's worker)", async () => {
  const engine = await engineFor('wasm');
  const { SqueezeNet } = await import('../../../src/engine/squeezenet.js');
  const { loadWeightsNode } = await import('../../../src/engine/node-weights.js');
  const { resolveModelData } = await import('../../../src/engine/model-data-node.js');

  it('answers with XNNPACK before the fill, with Winograd after it, creating no tensor on the way', async () => {
    const weights = await loadWeightsNode(await resolveModelData());
    const later = new SqueezeNet(weights, { winograd: 'later' });
    const p = photos()[4];
    const x = tf.tensor4d(photoInput(p.path).input, [1, 224, 224, 3]);
    const winogradCalls = () => {
      let calls = 0;
      let sparse = 0;
      const engineRef = tf.engine();
      const original = engineRef.runKernel.bind(engineRef);
      engineRef.runKernel = ((name: string, ...rest: unknown[]) => {
        if (name.startsWith('SqueezeLensSimdWinograd3x3')) calls++; // also the gradient's AddMask form
        // a fire module's whole gradient where it is sparse enough (kernels/fire-backward.ts), no Winograd
        if (name === 'SqueezeLensSimdFireBackwardSparse') sparse++;
        return (original as (...a: unknown[]) => unknown)(name, ...rest);
      }) as typeof engineRef.runKernel;
      return {
        count: () => calls,
        sparse: () => sparse,
        restore: () => (engineRef.runKernel = original as typeof engineRef.runKernel),
      };
    };
    const logits = (model: { run: typeof engine.model.run }) =>
      tf.tidy(() => model.run(x, { score: classScore([p.label]) }).logits.dataSync() as Float32Array);
    try {
      const tensors = tf.memory().numTensors;
      const spy = winogradCalls();
      const before = logits(later);
      expect(spy.count()).toBe(0); // not filled yet: XNNPACK, and the fill is scheduled
      const sparseBefore = spy.sparse();
      await new Promise((r) => setTimeout(r, 600));
      const after = logits(later);
      // 8 forward + 8 input-gradient 3×3 convolutions, all Winograd now but for the sparse fire gradients
      expect(spy.count() + spy.sparse() - sparseBefore).toBe(16);
      expect(spy.count()).toBeGreaterThanOrEqual(14);
      spy.restore();
      expect(tf.memory().numTensors).toBe(tensors); // filled in place: no tensor created
      const reference = logits(engine.model); // the 'now' model (Winograd from the start)
      let d = 0;
      for (let i = 0; i < reference.length; i++)
        d = Math.max(d, Math.abs(after[i] - reference[i]), Math.abs(before[i] - reference[i]));
      expect(d).toBeLessThan(1e-4);
    } finally {
      later.dispose();
      x.dispose();
    }
  });
});

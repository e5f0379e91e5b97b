import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LAYER_NAMES } from '../../src/engine/architecture.js';
import { normalize } from '../../src/engine/preprocess.js';
import { classScore } from '../../src/engine/scores.js';
import { disposeResult, EngineInputError } from '../../src/engine/squeezenet.js';
import { maxAbsDiff, npy, photos, REFERENCE, referenceCases } from '../helpers/data.js';
import { engineFor, logitsOf, photoInput } from '../helpers/engine.js';

const TOLERANCE = 1e-3;

describe.each(['wasm', 'cpu'] as const)('SqueezeNet on %s', (backend) => {
  it('reproduces the reference logits of test_data_set_{0,1,2} within 1e-3', async () => {
    const engine = await engineFor(backend);
    expect(engine.backend.backend).toBe(backend);
    for (const ref of referenceCases()) {
      const diff = maxAbsDiff(logitsOf(engine, ref.inputNHWC), ref.logits);
      console.log(`[${backend}] ${ref.name}: max |Δlogit| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(TOLERANCE);
    }
  });

  it('reproduces the six kennysong reference logits from decoded pixels within 1e-3', async () => {
    const engine = await engineFor(backend);
    const pixels = npy(join(REFERENCE, 'kennysong6_rgb_uint8_nhwc.npy'));
    const logits = npy(join(REFERENCE, 'kennysong6_logits_squeezenet1.1.npy')).data as Float32Array;
    expect(pixels.shape).toEqual([6, 224, 224, 3]);
    const batch = normalize(pixels.data as Uint8Array); // one batch of six: also exercises N > 1
    const got = logitsOf(engine, batch, 6);
    const diff = maxAbsDiff(got, logits);
    console.log(`[${backend}] kennysong6 (batch of 6): max |Δlogit| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(TOLERANCE);
  });
});

describe.each(['wasm', 'cpu'] as const)("heads: 'score' on %s", (backend) => {
  it('gives the full run’s score and input gradient, computing only the score’s classes', async () => {
    const engine = await engineFor(backend);
    const inputs = photos()
      .slice(0, 2)
      .map((p) => photoInput(p.path).input);
    const batch = tf.tensor4d(Float32Array.from([...inputs[0], ...inputs[1]]), [2, 224, 224, 3]);
    const before = tf.memory().numTensors;
    // two examples, two different classes (a top class and an arbitrary one) or one class for both
    // (a one-column class map: its own reshape, pad and mask path), both heads, raw and L2
    for (const [classes, kind, head] of [
      [[574, 207], 'raw', 'logits'],
      [[574, 207], 'l2', 'preReluLogits'],
      [[574, 574], 'raw', 'logits'],
      [[207, 207], 'l2', 'preReluLogits'],
    ] as const) {
      const score = classScore(classes, kind, head);
      expect(score.support).toEqual([...new Set(classes)]);
      const full = engine.model.run(batch, { score, gradients: ['input', 'fire5'] });
      const narrow = engine.model.run(batch, { score, gradients: ['input', 'fire5'], heads: 'score' });
      expect(narrow.logits).toBeUndefined();
      expect(narrow.probs).toBeUndefined();
      const f = full.score!.dataSync();
      const n = narrow.score!.dataSync();
      for (const i of [0, 1]) expect(Math.abs(n[i] - f[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(f[i])));
      for (const target of ['input', 'fire5'] as const) {
        const a = full.gradients[target]!.dataSync();
        const b = narrow.gradients[target]!.dataSync();
        let scale = 0;
        for (const v of a) scale = Math.max(scale, Math.abs(v));
        expect(scale).toBeGreaterThan(0);
        expect(maxAbsDiff(b, a) / scale).toBeLessThan(1e-4);
      }
      disposeResult(full);
      disposeResult(narrow);
    }
    expect(tf.memory().numTensors).toBe(before);
    // cross-entropy reads all 1000 logits: it declares no support, so a 'score' run refuses it
    expect(classScore([574], 'crossEntropy').support).toBeUndefined();
    expect(() => engine.model.run(batch, { score: classScore([1, 2], 'crossEntropy'), heads: 'score' })).toThrow(
      /declares the classes it reads/,
    );
    expect(() =>
      engine.model.run(batch, { score: classScore([1, 2]), heads: 'score', gradients: ['classifier'] }),
    ).toThrow(/need all 1000/);
    expect(() => classScore([1000])).toThrow(/class index/);
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
  });
});

describe('SqueezeNet outputs and hygiene (wasm)', () => {
  it('returns named activations with the documented shapes', async () => {
    const engine = await engineFor('wasm');
    const input = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
    const r = engine.model.run(input, { activations: LAYER_NAMES });
    const shapes = Object.fromEntries(Object.entries(r.activations).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({
      conv1: [1, 111, 111, 64],
      fire2: [1, 55, 55, 128],
      fire3: [1, 55, 55, 128],
      fire4: [1, 27, 27, 256],
      fire5: [1, 27, 27, 256],
      fire6: [1, 13, 13, 384],
      fire7: [1, 13, 13, 384],
      fire8: [1, 13, 13, 512],
      fire9: [1, 13, 13, 512],
      classifier: [1, 13, 13, 1000],
      classifier_relu: [1, 13, 13, 1000],
    });
    // Heads are consistent with the class map: logits average the ReLU'd map, pre-ReLU logits the raw one.
    const map = await r.activations.classifier!.data();
    const [logits, pre] = [await r.logits.data(), await r.preReluLogits.data()];
    for (const c of [0, 500, 999]) {
      let s = 0;
      let sr = 0;
      for (let p = 0; p < 169; p++) {
        s += map[p * 1000 + c];
        sr += Math.max(0, map[p * 1000 + c]);
      }
      expect(pre[c]).toBeCloseTo(s / 169, 4);
      expect(logits[c]).toBeCloseTo(sr / 169, 4);
    }
    const probs = await r.probs.data();
    expect(Array.from(probs).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    disposeResult(r);
    input.dispose();
  });

  it('gives each batch element the same result as running it alone', async () => {
    const engine = await engineFor('wasm');
    const inputs = photos()
      .slice(0, 3)
      .map((p) => photoInput(p.path).input);
    const batch = new Float32Array(3 * 224 * 224 * 3);
    for (const [i, x] of inputs.entries()) batch.set(x, i * x.length);
    const together = logitsOf(engine, batch, 3);
    for (const [i, x] of inputs.entries()) {
      expect(maxAbsDiff(together.subarray(i * 1000, (i + 1) * 1000), logitsOf(engine, x))).toBeLessThan(1e-4);
    }
  });

  it('leaks no tensors over many forward and gradient calls', async () => {
    const engine = await engineFor('wasm');
    const input = tf.tensor4d(photoInput(photos()[0].path).input, [1, 224, 224, 3]);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      disposeResult(engine.model.run(input, { activations: ['fire9', 'conv1'] }));
      disposeResult(
        engine.model.run(input, {
          score: classScore([i * 37], i % 2 ? 'crossEntropy' : 'raw'),
          gradients: ['input', 'fire5', 'classifier'],
        }),
      );
      await engine.classifier.probabilities(photoInput(photos()[1].path).input);
    }
    expect(tf.memory().numTensors).toBe(baseline);
    input.dispose();
  });

  it('rejects malformed input with a specific error', async () => {
    const engine = await engineFor('wasm');
    const wrong = tf.zeros([1, 32, 128, 3]) as tf.Tensor4D;
    expect(() => engine.model.run(wrong)).toThrow(EngineInputError);
    expect(() => engine.model.run(wrong)).toThrow(/\[N, H, W, 3\] with H and W in 64…512 .*got \[1, 32, 128, 3\]/);
    const ints = tf.zeros([1, 224, 224, 3], 'int32') as tf.Tensor4D;
    expect(() => engine.model.run(ints)).toThrow(/float32/);
    expect(() => engine.model.run(ints, { gradients: ['input'] })).toThrow();
    const zeros = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
    expect(() => engine.model.run(zeros, { score: classScore([1000]) })).toThrow(/class index/);
    zeros.dispose();
    tf.dispose([wrong, ints]);
  });

  it('decodes the kennysong JPEGs close to the reference decoded pixels', async () => {
    const { decodeImage } = await import('../../src/engine/decode-node.js');
    const order = readFileSync(join(REFERENCE, 'kennysong6_order.txt'), 'utf8').trim().split('\n');
    const pixels = npy(join(REFERENCE, 'kennysong6_rgb_uint8_nhwc.npy')).data as Uint8Array;
    order.forEach((file, i) => {
      const img = decodeImage(readFileSync(photos().find((p) => p.file === file)!.path), file);
      let sum = 0;
      for (let p = 0; p < 224 * 224; p++)
        for (let c = 0; c < 3; c++) sum += Math.abs(img.data[p * 4 + c] - pixels[(i * 224 * 224 + p) * 3 + c]);
      const mean = sum / (224 * 224 * 3);
      console.log(`${file}: mean |Δpixel| vs reference decoder = ${mean.toFixed(3)}`);
      expect(mean).toBeLessThan(2); // JPEG decoders differ in IDCT/upsampling, by about a level
    });
  });
});

describe('independent float64 forward (the finite-difference oracle)', () => {
  it('agrees with the reference logits too, so it is a valid oracle', async () => {
    const { referenceForward } = await import('../helpers/reference-forward.js');
    const { loadWeightsNode } = await import('../../src/engine/node-weights.js');
    const engine = await engineFor('wasm');
    const ref = referenceCases()[1];
    expect(
      maxAbsDiff(referenceForward(await loadWeightsNode(engine.data), ref.inputNHWC).logits, ref.logits),
    ).toBeLessThan(1e-3);
  });
});

describe('engine report', () => {
  it('says which backend and kernels ran (WASM with SIMD and our SIMD kernels in Node)', async () => {
    const engine = await engineFor('wasm');
    expect(engine.backend).toMatchObject({ backend: 'wasm', simd: true, threads: 1, simdKernels: true, fallbacks: [] });
  });
});

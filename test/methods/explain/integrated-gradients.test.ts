/**
 * Integrated Gradients: exact on a quadratic stand-in model (the gradient is linear along the
 * path, so both Riemann rules are exact and every attribution is known in closed form),
 * completeness on SqueezeNet within 5 % with enough steps and better with more, baselines,
 * batching, progress, cancellation and tensor hygiene.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../../src/engine/preprocess.js';
import type { RunOptions, RunResult } from '../../../src/engine/squeezenet.js';
import { CancelledError, type Model, type PixelImage, type Progress, pixelImage } from '../../../src/methods/common.js';
import { integratedGradients, riemann } from '../../../src/methods/explain/integrated-gradients.js';
import { gaussianBlur } from '../../../src/shared/blur.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const imageOf = (path: string): PixelImage => pixelImage(photoInput(path).pixels);

/** Every logit is f(x̂) = Σ a_i x̂_i² of the normalized input x̂. */
function quadraticModel(a: Float32Array): Model & { dispose(): void } {
  const at = tf.tensor4d(a, [1, 224, 224, 3]);
  return {
    dispose: () => at.dispose(),
    run(input: tf.Tensor4D, options: RunOptions = {}): RunResult {
      return tf.tidy(() => {
        const n = input.shape[0];
        const f = tf.sum(tf.mul(at, tf.square(input)), [1, 2, 3]);
        const logits = tf.tile(tf.reshape(f, [n, 1]), [1, 1000]) as tf.Tensor2D;
        const preReluLogits = tf.clone(logits);
        const out: RunResult = {
          logits,
          preReluLogits,
          probs: tf.softmax(logits) as tf.Tensor2D,
          activations: {},
          gradients: {},
        };
        if (options.score) {
          const s = options.score({ logits, preReluLogits });
          out.score = s.value;
          const dF = tf.sum(s.dLogits ?? s.dPreReluLogits!, 1); // every logit is f
          if ((options.gradients ?? ['input']).includes('input'))
            out.gradients.input = tf.mul(tf.reshape(dF, [n, 1, 1, 1]), tf.mul(2, tf.mul(at, input))) as tf.Tensor4D;
        }
        return out as unknown as tf.TensorContainer;
      }) as unknown as RunResult;
    },
  };
}

const xhat = (p: number, i: number) => (p / 255 - IMAGENET_MEAN[i % 3]) / IMAGENET_STD[i % 3];

describe('Integrated Gradients', () => {
  const exactOnQuadratic =
    "is exact on a quadratic model: IG_i = a_i (x̂_i² − x̂'_i²), both rules, any steps and batch size";
  it(exactOnQuadratic, async () => {
    await engineFor('wasm');
    const random = rng(9);
    // one sign: f is a well-conditioned float32 sum
    const a = Float32Array.from({ length: 224 * 224 * 3 }, () => random() * 1e-3);
    const model = quadraticModel(a);
    const image = imageOf(photos()[2].path);
    const before = tf.memory().numTensors;
    for (const [rule, steps, batchSize, baseline] of [
      ['midpoint', 1, 8, 'black'],
      ['trapezoid', 3, 2, 'blur'],
      ['midpoint', 10, 3, 'blur'],
    ] as const) {
      const r = await integratedGradients(model, image, {
        classIndex: 7,
        rule,
        steps,
        batchSize,
        baseline,
        blurSigma: 8,
      });
      const base =
        baseline === 'black' ? new Float32Array(image.data.length) : gaussianBlur(image.data, 224, 224, 3, 8);
      expect(Array.from(r.baseline.data.subarray(0, 50))).toEqual(Array.from(base.subarray(0, 50)));
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < a.length; i++) {
        const expected = a[i] * (xhat(image.data[i], i) ** 2 - xhat(base[i], i) ** 2);
        worst = Math.max(worst, Math.abs(r.attribution![i] - expected));
        scale = Math.max(scale, Math.abs(expected));
      }
      const c = r.completeness;
      console.log(
        `quadratic model, ${rule} ${steps} steps, ${baseline}: ` +
          `max attribution error / max ${(worst / scale).toExponential(2)}, ` +
          `completeness ${c.relativeError.toExponential(2)}`,
      );
      expect(worst / scale).toBeLessThan(1e-4);
      expect(c.relativeError).toBeLessThan(1e-4);
      // the map is the channel sum, so it sums to the total attribution
      expect(r.stats.sum).toBeCloseTo(c.attributionSum, 3);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('places the Riemann points and weights as documented', () => {
    expect(riemann(4, 'midpoint')).toEqual({ alphas: [0.125, 0.375, 0.625, 0.875], weights: [0.25, 0.25, 0.25, 0.25] });
    expect(riemann(2, 'trapezoid')).toEqual({ alphas: [0, 0.5, 1], weights: [0.25, 0.5, 0.25] });
    expect(() => riemann(0, 'midpoint')).toThrow(RangeError);
    expect(() => riemann(4, 'simpson' as never)).toThrow(/unknown rule/);
  });

  const completenessOnSqueezeNet =
    'on SqueezeNet: completeness within 5 % at 128 steps, and better than at 8 (black and blurred baselines)';
  it(completenessOnSqueezeNet, async () => {
    const engine = await engineFor('wasm');
    const cases = [
      [photos()[1], 'black'],
      [photos()[10], 'black'],
      [photos()[4], 'blur'],
    ] as const;
    const coarse: number[] = [];
    for (const [p, baseline] of cases) {
      const image = imageOf(p.path);
      const errors: Record<number, number> = {};
      for (const steps of [8, 128]) {
        const t0 = performance.now();
        const r = await integratedGradients(engine.model, image, { steps, baseline });
        const ms = performance.now() - t0;
        const c = r.completeness;
        errors[steps] = c.relativeError;
        console.log(
          `${p.file} ${baseline} ${steps} steps: ` +
            `f(x) ${c.scoreAtInput.toFixed(3)} f(x') ${c.scoreAtBaseline.toFixed(3)} ` +
            `Σ attributions ${c.attributionSum.toFixed(3)} → error ${c.absoluteError.toFixed(4)} ` +
            `(${(100 * c.relativeError).toFixed(2)} %), ${ms.toFixed(0)} ms`,
        );
        expect(r.classIndex).toBe(p.top1);
        expect(r.head).toBe('logits');
        expect(r.data.every(Number.isFinite)).toBe(true);
        expect(r.stats.max).toBeGreaterThan(r.stats.min);
        expect(Math.abs(c.scoreAtInput - c.scoreAtBaseline)).toBeGreaterThan(1);
      }
      expect(errors[128]).toBeLessThan(0.05);
      coarse.push(errors[8] / errors[128]);
    }
    // Riemann sums over a piecewise-smooth path are not monotone in the step count for one image,
    // but 16× the steps must help on average.
    const mean = coarse.reduce((s, v) => s + v, 0) / coarse.length;
    console.log(`error(8 steps) / error(128 steps): ${coarse.map((v) => v.toFixed(1)).join(', ')}`);
    expect(mean).toBeGreaterThan(3);
  });

  it('attributes nothing when the baseline is the image; refuses bad options', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[0].path);
    const r = await integratedGradients(engine.model, image, { steps: 2, baseline: image });
    expect(r.data.every((v) => v === 0)).toBe(true);
    expect(r.completeness.relativeError).toBe(0);
    await expect(integratedGradients(engine.model, image, { baseline: 'white' as never })).rejects.toThrow(
      /unknown baseline/,
    );
    await expect(integratedGradients(engine.model, image, { steps: 2.5 })).rejects.toThrow(RangeError);
    await expect(integratedGradients(engine.model, image, { baseline: 'blur', blurSigma: -1 })).rejects.toThrow(
      RangeError,
    );
  });

  it('reports progress per batch, cancels between batches, leaks nothing', async () => {
    const engine = await engineFor('wasm');
    const image = imageOf(photos()[3].path);
    await integratedGradients(engine.model, image, { steps: 1 });
    const before = tf.memory().numTensors;
    const events: Progress[] = [];
    await integratedGradients(
      engine.model,
      image,
      { steps: 12, batchSize: 5, baseline: 'blur' },
      { onProgress: (e) => events.push(e) },
    );
    expect(events.map((e) => [e.step, e.total])).toEqual([
      [5, 12],
      [10, 12],
      [12, 12],
    ]);
    expect(tf.memory().numTensors).toBe(before);
    const abort = new AbortController();
    await expect(
      integratedGradients(
        engine.model,
        image,
        { steps: 40 },
        { signal: abort.signal, onProgress: () => abort.abort() },
      ),
    ).rejects.toThrow(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** The one entry point the CLI and popup use: every method name runs and is labelled. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { pixelImage } from '../../../src/methods/common.js';
import { explain, SALIENCY_METHODS, type SaliencyMethodName } from '../../../src/methods/explain/index.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

describe('explain()', () => {
  it('dispatches every method, with finite, non-constant maps and no leaks', async () => {
    const engine = await engineFor('wasm');
    const p = photos()[9];
    const image = pixelImage(photoInput(p.path).pixels);
    await explain(engine.model, image, 'vanilla');
    const before = tf.memory().numTensors;
    const expected: Record<SaliencyMethodName, string> = {
      vanilla: 'vanilla',
      gradxinput: 'gradxinput',
      smoothgrad: 'smoothgrad(gradcam)',
      ig: 'ig',
      gradcam: 'gradcam',
      occlusion: 'occlusion',
    };
    for (const name of Object.keys(SALIENCY_METHODS) as SaliencyMethodName[]) {
      const map = await explain(engine.model, image, name, {
        samples: 3,
        steps: 4,
        base: 'gradcam',
        layer: 'fire7',
        reference: 'black',
        patch: 56,
        stride: 56,
      });
      expect(map.method).toBe(expected[name]);
      expect(map.classIndex).toBe(p.top1);
      expect(map.data.length).toBe(224 * 224);
      expect(map.data.every(Number.isFinite)).toBe(true);
      expect(map.stats.max).toBeGreaterThan(map.stats.min);
    }
    expect(tf.memory().numTensors).toBe(before);
    await expect(explain(engine.model, image, 'lime' as never)).rejects.toThrow(/unknown method/);
    await expect(explain(engine.model, image, 'smoothgrad', { base: 'smoothgrad' as never })).rejects.toThrow(
      /unknown method/,
    );
  });

  it('takes the target from given forward outputs (heads): the same map, one forward pass fewer', async () => {
    const engine = await engineFor('wasm');
    const p = photos()[4];
    const { input, pixels } = photoInput(p.path);
    const image = pixelImage(pixels);
    // What a saliency job's classification read: the forward on the preprocessed input (the same
    // float32 values as the pixels' own normalization).
    const r = engine.model.run(tf.tensor4d(input, [1, 224, 224, 3]));
    const heads = {
      logits: (await r.logits.data()) as Float32Array,
      probs: (await r.probs.data()) as Float32Array,
      preReluLogits: (await r.preReluLogits.data()) as Float32Array,
    };
    tf.dispose(Object.values(r).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
    const runs = vi.spyOn(engine.model, 'run');
    // The predicted class; another class on the pre-ReLU head (its score read from that head).
    for (const options of [{}, { classIndex: 3, head: 'preReluLogits' as const }]) {
      runs.mockClear();
      const plain = await explain(engine.model, image, 'vanilla', options);
      const plainRuns = runs.mock.calls.length;
      runs.mockClear();
      const given = await explain(engine.model, image, 'vanilla', { ...options, heads });
      expect(runs.mock.calls.length).toBe(plainRuns - 1);
      expect(given.data).toEqual(plain.data);
      expect([given.classIndex, given.head, given.probability, given.scoreValue]).toEqual([
        plain.classIndex,
        plain.head,
        plain.probability,
        plain.scoreValue,
      ]);
    }
    runs.mockRestore();
  });

  const everyMethodEveryPhoto =
    'gives a finite, non-constant map for every method on all 12 photos (SmoothGrad and IG with few samples)';
  it(everyMethodEveryPhoto, async () => {
    const engine = await engineFor('wasm');
    const bad: string[] = [];
    for (const p of photos()) {
      const image = pixelImage(photoInput(p.path).pixels);
      for (const name of Object.keys(SALIENCY_METHODS) as SaliencyMethodName[]) {
        // (Occlusion on a coarse grid: 49 passes, not the default's 729.)
        const map = await explain(engine.model, image, name, { samples: 4, steps: 6, patch: 32, stride: 32 });
        if (!map.data.every(Number.isFinite) || !(map.stats.max > map.stats.min)) bad.push(`${p.file}: ${name}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

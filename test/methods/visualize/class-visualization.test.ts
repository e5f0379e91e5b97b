/**
 * Class visualization on the real network (WASM): from seeded noise to images the network
 * classifies as the requested class with high confidence, checked on the 8-bit version a PNG holds.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CancelledError, type Progress } from '../../../src/methods/common.js';
import { visualizeClass } from '../../../src/methods/visualize/class-visualization.js';
import { differenceImage, differenceStats, magnifiedDifference } from '../../../src/render/difference.js';
import { encodePng } from '../../../src/render/png.js';
import { contactSheet } from '../../../src/render/sheet.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const OUT = 'test-results';

describe('class visualization', () => {
  it('paints images classified as the requested class (gorilla, tarantula, king penguin, school bus)', async () => {
    const engine = await engineFor('wasm');
    const classes = [366, 76, 145, 779];
    const iterations = 80; // all four pass 0.99 by 50 here; the default is 200
    const images = [];
    const labels = [];
    const before = tf.memory().numTensors;
    for (const c of classes) {
      const r = await visualizeClass(engine.model, c, { iterations, seed: 1 });
      const name = engine.labels[c];
      const trace = r.history.filter((h) => h.step % 20 === 0).map((h) => `${h.step}:${h.probability.toFixed(2)}`);
      console.log(
        `${name} (${c}): p = ${r.probability.toFixed(4)} (8-bit PNG pixels: ${r.probability8bit.toFixed(4)}) ` +
          `after ${r.iterations} iterations, score ${r.score.toFixed(1)}, ` +
          `${r.msPerIteration.toFixed(0)} ms/iteration; ` +
          `top-5 ${r.top5.map((t) => `${engine.labels[t.index]} ${t.prob.toFixed(3)}`).join(', ')}; ` +
          `p during ascent ${trace.join(' ')}`,
      );
      expect(r.top5[0].index).toBe(c);
      expect(r.probability8bit).toBeGreaterThan(0.9);
      expect(r.image.data.every((v) => v >= 0 && v <= 255)).toBe(true);
      images.push(r.image);
      labels.push(`${name.split(' ').slice(-1)[0]} ${r.probability8bit.toFixed(2)}`);
      mkdirSync(OUT, { recursive: true });
      writeFileSync(
        `${OUT}/class-viz-${c}.png`,
        await encodePng(r.image, { text: { Description: `${name} p=${r.probability8bit.toFixed(4)}` } }),
      );
    }
    writeFileSync(`${OUT}/class-viz-sheet.png`, await encodePng(contactSheet(images, { columns: 4, labels })));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports progress with previews, stops on cancel, leaks nothing, and is reproducible', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const events: Progress[] = [];
    const a = await visualizeClass(engine.model, 366, {
      iterations: 12,
      previewEvery: 5,
      seed: 7,
      onProgress: (p) => events.push(p),
    });
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(events.every((e) => e.total === 12)).toBe(true);
    expect(events.filter((e) => e.preview).map((e) => e.step)).toEqual([5, 10, 12]);
    expect(events[11].preview!.data).toEqual(a.image.data); // the last preview is the result
    expect(events[4].preview!.width).toBe(224);
    expect(a.history).toHaveLength(12);

    const b = await visualizeClass(engine.model, 366, { iterations: 12, seed: 7 });
    expect(b.image.data).toEqual(a.image.data);
    const c = await visualizeClass(engine.model, 366, { iterations: 2, seed: 8 });
    expect(c.image.data).not.toEqual(a.image.data);

    const controller = new AbortController();
    let seen = 0;
    await expect(
      visualizeClass(engine.model, 366, {
        iterations: 50,
        signal: controller.signal,
        onProgress: (p) => {
          seen = p.step;
          if (p.step === 3) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    await expect(visualizeClass(engine.model, 1000)).rejects.toThrow(/class index/);
  });

  const autoFallsBack =
    "'auto' falls back on the pre-ReLU score where the class map is all negative; the ReLU'd score is stuck there";
  it(autoFallsBack, async () => {
    const engine = await engineFor('wasm');
    // on a uniform grey image, 35 class maps are entirely negative, greenhouse (580) among them; it
    // stays negative as the L2 term pulls the grey toward the ImageNet mean (23 dead maps there)
    const grey = { width: 224 as const, height: 224 as const, data: new Float32Array(224 * 224 * 3).fill(128) };
    const options = { iterations: 8, init: grey, maxJitter: 0, blurEvery: 0 };
    const stuck = await visualizeClass(engine.model, 580, { ...options, head: 'logits' });
    expect(stuck.history.every((h) => h.score === 0)).toBe(true);
    const auto = await visualizeClass(engine.model, 580, { ...options, head: 'auto' });
    console.log(
      `greenhouse from grey, 8 iterations: ReLU'd head p ${stuck.probability.toExponential(2)} (score 0 throughout); ` +
        `auto p ${auto.probability.toFixed(3)}, score ${auto.history[0].score.toFixed(2)} → ${auto.score.toFixed(2)}`,
    );
    expect(auto.history[0].score).toBeLessThan(0); // started on the pre-ReLU logit
    expect(auto.score).toBeGreaterThan(0); // then the reference logit came alive
    expect(auto.probability).toBeGreaterThan(stuck.probability * 100);
  });

  it('the reference-logit head and photo initialisation both raise the class score', async () => {
    const engine = await engineFor('wasm');
    const post = await visualizeClass(engine.model, 366, { iterations: 15, head: 'logits', seed: 3 });
    expect(post.history[14].score).toBeGreaterThan(post.history[0].score + 10);
    // start from a photo (a golf ball): the gorilla probability climbs from ~0
    const golf = photos().find((p) => p.label === 574)!;
    const pixels = photoInput(golf.path).pixels;
    const init = { width: 224 as const, height: 224 as const, data: Float32Array.from(pixels) };
    const fromPhoto = await visualizeClass(engine.model, 366, { iterations: 20, init, blurEvery: 0 });
    console.log(
      `from the golf-ball photo, 20 iterations: ` +
        `gorilla p ${fromPhoto.history[0].probability.toExponential(2)} → ${fromPhoto.probability.toFixed(3)}`,
    );
    expect(fromPhoto.history[0].probability).toBeLessThan(0.01);
    expect(fromPhoto.probability).toBeGreaterThan(0.5);
    // the change, CS231n style: difference around grey, and magnified 10×
    const stats = differenceStats(init, fromPhoto.image);
    console.log(`  change: mean |Δ| ${stats.meanAbs.toFixed(2)} px, max ${stats.maxAbs.toFixed(0)}`);
    writeFileSync(
      `${OUT}/golf-ball-to-gorilla.png`,
      await encodePng(
        contactSheet(
          [init, fromPhoto.image, differenceImage(init, fromPhoto.image), magnifiedDifference(init, fromPhoto.image)],
          { columns: 4, labels: ['golf ball', `gorilla ${fromPhoto.probability8bit.toFixed(2)}`, 'difference', 'x10'] },
        ),
      ),
    );
  });
});

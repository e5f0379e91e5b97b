/** DeepDream on real photos (WASM): the layer objective grows, the picture changes within [0,255]. */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/engine/decode-node.js';
import { disposeResult } from '../../../src/engine/squeezenet.js';
import { CancelledError, type Progress, pixelsToInput } from '../../../src/methods/common.js';
import { deepDream, dreamObjectiveOf, windowOrigins } from '../../../src/methods/visualize/deepdream.js';
import { differenceStats } from '../../../src/render/difference.js';
import { encodePng } from '../../../src/render/png.js';
import { contactSheet } from '../../../src/render/sheet.js';
import { photos } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';

const OUT = 'test-results';

function photo224(label: number) {
  const p = photos().find((x) => x.label === label)!;
  return { width: 224 as const, height: 224 as const, data: Float32Array.from(photoInput(p.path).pixels) };
}

describe('DeepDream', () => {
  it('amplifies fire5 on a photo over 3 octaves (objective up ≥ 2×), with progress and previews', async () => {
    const engine = await engineFor('wasm');
    const church = photo224(497);
    const before = tf.memory().numTensors;
    const events: Progress[] = [];
    const t0 = performance.now();
    const r = await deepDream(engine.model, church, { layer: 'fire5', seed: 1, onProgress: (p) => events.push(p) });
    const ms = performance.now() - t0;
    console.log(
      `fire5 on the church: objective (mean A²) ${r.objectiveBefore.toFixed(1)} → ${r.objectiveAfter.toFixed(1)} ` +
        `(×${(r.objectiveAfter / r.objectiveBefore).toFixed(2)}), ` +
        `${r.steps} steps, ${r.msPerStep.toFixed(0)} ms/step, ${ms.toFixed(0)} ms in all; ` +
        `octaves ${r.octaves
          .map((o) => `${o.width}×${o.height}: ${o.objectiveStart.toFixed(0)}→${o.objectiveEnd.toFixed(0)}`)
          .join(', ')}`,
    );
    expect(r.objectiveAfter / r.objectiveBefore).toBeGreaterThan(2);
    for (const o of r.octaves) expect(o.objectiveEnd).toBeGreaterThan(o.objectiveStart * 1.3);
    expect(r.octaves.map((o) => o.width)).toEqual([114, 160, 224]);
    expect([r.image.width, r.image.height]).toEqual([224, 224]);
    expect(r.image.data.every((v) => v >= 0 && v <= 255)).toBe(true);
    const diff = differenceStats(church, r.image);
    console.log(`  mean |change| ${diff.meanAbs.toFixed(1)} px, max ${diff.maxAbs.toFixed(0)}`);
    expect(diff.meanAbs).toBeGreaterThan(5);
    // the independent measure agrees with the reported one
    expect(await dreamObjectiveOf(engine.model, r.image, 'fire5')).toBeCloseTo(r.objectiveAfter, 3);
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(events.filter((e) => e.preview).map((e) => e.step)).toEqual([5, 10, 15, 20, 25, 30]);
    expect(events[29].preview!.data).toEqual(r.image.data);
    expect(events[3].message).toMatch(/octave 1\/3 \(114×114, 1 window\)/);
    expect(tf.memory().numTensors).toBe(before);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(`${OUT}/deepdream-church-fire5.png`, await encodePng(r.image));

    const dog = photo224(207);
    const deep = await deepDream(engine.model, dog, { layer: 'fire8', iterations: 12, seed: 2 });
    console.log(
      `fire8 on the golden retriever: objective ×${(deep.objectiveAfter / deep.objectiveBefore).toFixed(2)}, ` +
        `${deep.msPerStep.toFixed(0)} ms/step`,
    );
    expect(deep.objectiveAfter / deep.objectiveBefore).toBeGreaterThan(3);
    writeFileSync(`${OUT}/deepdream-dog-fire8.png`, await encodePng(deep.image));
    writeFileSync(
      `${OUT}/deepdream-sheet.png`,
      await encodePng(
        contactSheet([church, r.image, dog, deep.image], {
          columns: 4,
          labels: ['church', 'fire5', 'retriever', 'fire8'],
        }),
      ),
    );
  });

  it('dreams on a larger non-square picture through a batch of windows, keeping its size', async () => {
    const engine = await engineFor('wasm');
    const airliner = photos().find((x) => x.label === 404)!;
    const decoded = decodeImage(readFileSync(airliner.path), airliner.path); // full-size RGBA
    const before = tf.memory().numTensors;
    const r = await deepDream(engine.model, decoded, {
      layer: 'fire4',
      octaves: 2,
      iterations: 3,
      maxSide: 320,
      seed: 3,
    });
    const expectH = Math.round((decoded.height * 320) / decoded.width);
    expect([r.image.width, r.image.height]).toEqual([320, expectH]);
    console.log(
      `airliner ${decoded.width}×${decoded.height} → ${r.image.width}×${r.image.height}: ` +
        `octaves ${JSON.stringify(r.octaves.map((o) => [o.width, o.height, o.windows]))}, ` +
        `objective ×${(r.objectiveAfter / r.objectiveBefore).toFixed(2)}, ${r.msPerStep.toFixed(0)} ms/step`,
    );
    const windows = windowOrigins(r.image.width).length * windowOrigins(r.image.height).length;
    expect(windows).toBeGreaterThan(1);
    expect(r.octaves[1].windows).toBe(windows);
    expect(r.objectiveAfter).toBeGreaterThan(r.objectiveBefore * 1.2);
    expect(r.image.data.every((v) => v >= 0 && v <= 255)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('steers toward a class with the mean objective on one classifier channel', async () => {
    const engine = await engineFor('wasm');
    const church = photo224(497);
    const preLogit = (img: { data: Float32Array }) =>
      tf.tidy(() => {
        const r = engine.model.run(pixelsToInput(tf.tensor4d(img.data, [1, 224, 224, 3])));
        const v = r.preReluLogits.dataSync()[366];
        disposeResult(r);
        return v;
      });
    const r = await deepDream(engine.model, church, {
      layer: 'classifier',
      objective: 'mean',
      channels: [366],
      octaves: 1,
      iterations: 10,
      seed: 4,
    });
    const a = preLogit(church);
    const b = preLogit(r.image);
    console.log(
      `classifier channel 366 (gorilla), mean objective: pre-ReLU gorilla logit ${a.toFixed(2)} → ${b.toFixed(2)}`,
    );
    expect(b).toBeGreaterThan(a + 5);
  });

  it('stops on cancel without leaking, and rejects bad options', async () => {
    const engine = await engineFor('wasm');
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let last = 0;
    await expect(
      deepDream(engine.model, photo224(497), {
        signal: controller.signal,
        onProgress: (p) => {
          last = p.step;
          if (p.step === 4) controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(last).toBe(4);
    expect(tf.memory().numTensors).toBe(before);
    await expect(deepDream(engine.model, photo224(497), { layer: 'fire10' as 'fire9' })).rejects.toThrow(
      /unknown layer/,
    );
    await expect(deepDream(engine.model, photo224(497), { layer: 'fire2', channels: [128] })).rejects.toThrow(
      /channel 128/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

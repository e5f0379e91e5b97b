/**
 * The methods run inside the extension's service worker (Chromium, WASM): saliency maps, a
 * fooling image whose bytes the worker classifies again as the target, and a class
 * visualization — the same code the CLI runs, checked against it.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../scripts/demo-server.js';
import { decodeImage } from '../../src/engine/decode-node.js';
import { preprocess } from '../../src/engine/preprocess.js';
import { pixelImage } from '../../src/methods/common.js';
import { explain } from '../../src/methods/explain/index.js';
import { pearson } from '../../src/methods/trust/similarity.js';
import { callHook, type LaunchedExtension, launchExtension } from '../helpers/browser.js';
import { engineFor } from '../helpers/engine.js';

let ext: LaunchedExtension;
let demo: DemoServer;
const photo = (needle: string) => demo.photos.find((p) => p.file.includes(needle))!;

beforeAll(async () => {
  demo = await startDemoServer();
  ext = await launchExtension({ webgpu: false });
});
afterAll(async () => {
  await ext?.close();
  await demo?.close();
});

describe('methods in the service worker', () => {
  it('computes vanilla and Grad-CAM maps that are finite, not constant, and equal the Node maps', async () => {
    const monarch = photo('monarch');
    // Both sides must see the same pixels: decoders differ by ~0.5 levels, which high-frequency
    // gradient maps show. Node decodes the JPEG; the worker gets those pixels as a lossless PNG.
    const rgba = decodeImage(readFileSync(`${demo.photoDir}/${monarch.file}`), monarch.file);
    const png = new PNG({ width: rgba.width, height: rgba.height });
    png.data.set(rgba.data);
    const url = `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
    for (const method of ['vanilla', 'gradcam'] as const) {
      const r = await callHook(ext.sw, 'saliencyUrl', { url, method });
      expect(r.backend).toBe('wasm');
      expect(r.classIndex).toBe(monarch.label);
      expect(r.finite).toBe(true);
      expect(r.stats.max).toBeGreaterThan(r.stats.min);
      expect(r.numTensors.after).toBe(r.numTensors.before);
      // The same method in Node on the same photo: only the JPEG decoders differ (~0.5 levels).
      const engine = await engineFor('wasm');
      const node = await explain(engine.model, pixelImage(preprocess(rgba).pixels), method);
      const r2 = pearson(r.map, node.data);
      let worst = 0;
      for (let i = 0; i < node.data.length; i++) worst = Math.max(worst, Math.abs(r.map[i] - node.data[i]));
      console.log(
        `${method}: worker ${r.ms.toFixed(0)} ms; vs the Node map: correlation ${r2.toFixed(6)}, ` +
          `max |Δ| ${(worst / node.stats.max).toExponential(2)} of the max`,
      );
      expect(r2).toBeGreaterThan(0.9999);
      expect(worst / node.stats.max).toBeLessThan(1e-3);
    }
  });

  it('makes a fooling image whose 8-bit bytes the worker classifies as the target', async () => {
    const r = await callHook(ext.sw, 'foolUrl', {
      url: photo('golf_ball').url,
      target: 'gorilla',
      attack: { method: 'cs231n', margin: 0.05 },
    });
    console.log(
      `cs231n golf ball → gorilla in the worker: ${r.iterations} steps, ${r.ms.toFixed(0)} ms, L∞ ${r.linf}/255`,
    );
    expect(r.success).toBe(true);
    expect(r.target).toEqual({ index: 366, label: 'gorilla' });
    expect(r.reclassified.index).toBe(366);
    expect(r.backend).toBe('wasm');
    expect(r.numTensors.after).toBe(r.numTensors.before);
  });

  it('visualizes a class from noise', async () => {
    const r = await callHook(ext.sw, 'visualize', { classIndex: 366, iterations: 80 });
    console.log(
      `gorilla visualization in the worker: p=${r.probability.toFixed(3)}, ${r.msPerIteration.toFixed(0)} ms/step`,
    );
    expect(r.top1).toBe(366);
    expect(r.probability).toBeGreaterThan(0.9);
  });
});

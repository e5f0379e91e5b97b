/**
 * The engine inside the real extension service worker (Debian Chromium, headless, driven by
 * playwright-core), plus the weights integrity check in Node.
 *
 * The worker is reached through its test hook (self.__squeezelens); reference arrays cross as
 * base64 float32. Keep this file small: the machine has two cores and WebGPU here is the
 * SwiftShader software adapter (seconds per forward pass).
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../esbuild.config.js';
import { verifyWeightsBinary, WeightsIntegrityError } from '../../src/background/integrity.js';
import { classScore } from '../../src/engine/scores.js';
import { disposeResult } from '../../src/engine/squeezenet.js';
import {
  callHook,
  EXTENSION_ID,
  fromBase64,
  type LaunchedExtension,
  launchExtension,
  restartServiceWorker,
  toBase64,
} from '../helpers/browser.js';
import { maxAbsDiff, referenceCases } from '../helpers/data.js';
import { engineFor } from '../helpers/engine.js';

const TOLERANCE = 1e-3;
const cases = referenceCases();

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

describe('engine in the extension service worker', () => {
  let ext: LaunchedExtension;

  beforeAll(async () => {
    ext = await launchExtension();
  });
  afterAll(async () => {
    await ext?.close();
  });

  it('loads with the pinned extension id and an idle engine', async () => {
    expect(ext.extensionId).toBe(EXTENSION_ID);
    const info = await callHook(ext.sw, 'info');
    // Lazy start: evaluating the worker loads nothing.
    expect(info.engine).toBeNull();
    expect(info.numTensors).toBe(0);
    console.log(
      `Chromium ${ext.browserVersion}; ` +
        `worker script start ${info.clock.scriptStartedAt.toFixed(1)} ms after its time origin, ` +
        `bundle evaluated at ${info.clock.swStartedAt.toFixed(1)} ms`,
    );
  });

  it('reproduces the reference logits on WASM (SIMD, 1 thread) and says why WebGPU was skipped', async () => {
    const diffs: number[] = [];
    for (const [i, c] of cases.entries()) {
      const r = await callHook(ext.sw, 'classify', { input: toBase64(c.inputNHWC), topk: 3 });
      expect(r.logits).toHaveLength(1);
      expect(r.logits[0]).toHaveLength(1000);
      const diff = maxAbsDiff(r.logits[0], c.logits);
      diffs.push(diff);
      expect(diff, c.name).toBeLessThan(TOLERANCE);
      expect(r.top[0][0].index).toBe(argmax(c.logits));
      expect(r.top[0][0].label).toMatch(/\w/);
      expect(r.numTensors.after, 'tensors leaked by classify').toBe(r.numTensors.before);
      expect(r.timing.loadedEngine).toBe(i === 0);

      expect(r.backend.backend).toBe('wasm');
      expect(r.backend.simd).toBe(true);
      expect(r.backend.simdKernels).toBe(true); // our WebAssembly SIMD kernels loaded from the package
      // Chromium has relaxed SIMD (114+): the fused multiply-add build runs, within the same tolerance.
      expect(r.backend.kernelBuild).toBe('relaxed-simd');
      expect(r.backend.threads).toBe(1);
    }
    // The same three as one batch: rows must not interfere.
    const batch = new Float32Array(cases.length * cases[0].inputNHWC.length);
    for (const [i, c] of cases.entries()) batch.set(c.inputNHWC, i * c.inputNHWC.length);
    const rb = await callHook(ext.sw, 'classify', { input: toBase64(batch), n: cases.length });
    for (const [i, c] of cases.entries())
      expect(maxAbsDiff(rb.logits[i], c.logits), `batch row ${i}`).toBeLessThan(TOLERANCE);

    // Why WebGPU was not used must be recorded, and must be the true reason on this machine.
    const gpu = await ext.sw.evaluate(async () => {
      const g = (
        navigator as unknown as {
          gpu?: {
            requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean } | null>;
          };
        }
      ).gpu;
      if (!g) return 'no navigator.gpu';
      const adapter = await g.requestAdapter();
      if (!adapter) return 'no adapter';
      return adapter.info?.isFallbackAdapter || adapter.isFallbackAdapter ? 'fallback adapter' : 'hardware adapter';
    });
    const r0 = rb.backend;
    console.log(
      `WASM max |Δlogit| per reference input: ${diffs.map((d) => d.toExponential(2)).join(', ')}; ` +
        `WebGPU: ${gpu}; fallbacks: ${JSON.stringify(r0.fallbacks)}`,
    );
    if (gpu === 'hardware adapter') {
      throw new Error(
        'this machine has a hardware WebGPU adapter: the default backend should then be webgpu, not wasm',
      );
    }
    const webgpu = r0.fallbacks.find((f) => f.backend === 'webgpu');
    expect(webgpu, 'the report must say why WebGPU was skipped').toBeDefined();
    const expected = {
      'fallback adapter': /software fallback/i,
      'no adapter': /adapter/i,
      'no navigator.gpu': /navigator\.gpu/,
    }[gpu];
    expect(webgpu!.reason).toMatch(expected);
  });

  it('matches the reference on WebGPU when forced onto the software adapter', async () => {
    await callHook(ext.sw, 'engineReset');
    try {
      // If WebGPU cannot initialize, the hook rejects with selectBackend's reason and this fails.
      const r = await callHook(ext.sw, 'classify', {
        input: toBase64(cases[0].inputNHWC),
        engine: { backend: 'webgpu', allowFallbackAdapter: true },
      });
      expect(r.backend.backend).toBe('webgpu');
      expect(r.backend.adapter).toBeDefined();
      const diff = maxAbsDiff(r.logits[0], cases[0].logits);
      console.log(
        `WebGPU (${JSON.stringify(r.backend.adapter)}): max |Δlogit| ${diff.toExponential(2)}, ` +
          `first forward ${r.ms.toFixed(0)} ms`,
      );
      expect(diff).toBeLessThan(TOLERANCE);
      expect(r.numTensors.after).toBe(r.numTensors.before);
    } finally {
      await callHook(ext.sw, 'engineReset');
    }
  });

  it("computes the input gradient in the worker, equal to the Node engine's, without leaking tensors", async () => {
    const c = cases[0];
    const target = argmax(c.logits); // top-1: positive logit, so the gradient flows through the final ReLU
    const r = await callHook(ext.sw, 'gradient', {
      input: toBase64(c.inputNHWC),
      classes: [target],
      returnGradient: true,
    });
    expect(r.backend.backend).toBe('wasm');
    expect(r.shape).toEqual([1, 224, 224, 3]);
    const g = fromBase64(r.gradient!);
    expect(g.length).toBe(224 * 224 * 3);
    expect(r.stats.finite).toBe(true);
    expect(g.every(Number.isFinite)).toBe(true);
    expect(r.stats.maxAbs).toBeGreaterThan(0);
    expect(r.stats.nonZero).toBeGreaterThan(g.length / 2);
    expect(r.score[0]).toBeCloseTo(c.logits[target], 2);
    expect(r.numTensors.after, 'tensors leaked by gradient').toBe(r.numTensors.before);
    const info = await callHook(ext.sw, 'info');
    expect(info.numTensors).toBe(info.engine!.baselineTensors);

    // Same engine code, same WASM binary, in Node: the worker's gradient must agree.
    const node = await engineFor('wasm');
    const ref = tf.tidy(() => {
      const out = node.model.run(tf.tensor4d(c.inputNHWC, [1, 224, 224, 3]), { score: classScore([target]) });
      const data = out.gradients.input!.dataSync() as Float32Array;
      disposeResult(out);
      return data;
    });
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < g.length; i++) {
      dot += g[i] * ref[i];
      na += g[i] * g[i];
      nb += ref[i] * ref[i];
    }
    const cosine = dot / Math.sqrt(na * nb);
    const diff = maxAbsDiff(g, ref);
    console.log(
      `SW input gradient: ${r.ms.toFixed(0)} ms; vs Node: cosine ${cosine.toFixed(7)}, ` +
        `max |Δ| ${diff.toExponential(2)} (max |g| ${r.stats.maxAbs.toExponential(2)})`,
    );
    // Not bit for bit: the worker runs the relaxed-SIMD (fused multiply-add) kernels and XNNPACK
    // until its Winograd weights are filled, Node the plain build with Winograd; a max-pool near-tie
    // can then send one window's gradient to its neighbour (CI: cosine 0.999975, max |Δ| 2.6 % of
    // max |g|). The criterion of the other path comparisons (gradients.test.ts, winograd.test.ts).
    expect(cosine).toBeGreaterThan(0.9999);
    expect(diff).toBeLessThan(0.1 * r.stats.maxAbs);
  });

  it('reloads lazily in a fresh worker after the old one was stopped', async () => {
    const before = await callHook(ext.sw, 'info');
    expect(before.engine).not.toBeNull();
    const sw = await restartServiceWorker(ext.context, ext.extensionId);
    const fresh = await callHook(sw, 'info');
    expect(fresh.clock.timeOrigin).not.toBe(before.clock.timeOrigin);
    expect(fresh.engine).toBeNull(); // memory is gone, and starting the worker loads nothing
    const r = await callHook(sw, 'classify', { input: toBase64(cases[1].inputNHWC) });
    expect(r.timing.loadedEngine).toBe(true);
    expect(maxAbsDiff(r.logits[0], cases[1].logits)).toBeLessThan(TOLERANCE);
    ext.sw = sw;
  });

  it('rejects malformed input with a clear error', async () => {
    await expect(callHook(ext.sw, 'classify', { input: [1, 2, 3] })).rejects.toThrow(/224×224×3/);
    await expect(callHook(ext.sw, 'classify', { input: toBase64(cases[0].inputNHWC), n: 2 })).rejects.toThrow(
      /2×224×224×3/,
    );
    await expect(
      callHook(ext.sw, 'gradient', { input: toBase64(cases[0].inputNHWC), classes: [1000] }),
    ).rejects.toThrow(/class index/);
    // Failed calls leave nothing behind.
    const info = await callHook(ext.sw, 'info');
    expect(info.numTensors).toBe(info.engine!.baselineTensors);
  });

  it("takes inputs other than 224×224 (201×163) in the worker: logits and gradient (full heads and the score's column only) on WASM and on WebGPU (software), as Node", async () => {
    const c = cases[0];
    const [h, w] = [201, 163];
    const input = new Float32Array(h * w * 3);
    for (let y = 0; y < h; y++) input.set(c.inputNHWC.subarray(y * 224 * 3, (y * 224 + w) * 3), y * w * 3);
    const target = argmax(c.logits);
    const node = await engineFor('wasm');
    const ref = tf.tidy(() => {
      const out = node.model.run(tf.tensor4d(input, [1, h, w, 3]), { score: classScore([target]) });
      return { g: out.gradients.input!.dataSync() as Float32Array, logits: out.logits.dataSync() as Float32Array };
    });
    for (const engine of [undefined, { backend: 'webgpu' as const, allowFallbackAdapter: true }]) {
      await callHook(ext.sw, 'engineReset');
      try {
        const r = await callHook(ext.sw, 'gradient', {
          input: toBase64(input),
          classes: [target],
          returnGradient: true,
          size: [h, w],
          engine,
        });
        expect(r.backend.backend).toBe(engine ? 'webgpu' : 'wasm');
        expect(r.shape).toEqual([1, h, w, 3]);
        const cosineToNode = (g: Float32Array) => {
          let dot = 0;
          let na = 0;
          let nb = 0;
          for (let i = 0; i < g.length; i++) {
            dot += g[i] * ref.g[i];
            na += g[i] * g[i];
            nb += ref.g[i] * ref.g[i];
          }
          return dot / Math.sqrt(na * nb);
        };
        const cosine = cosineToNode(fromBase64(r.gradient!));
        // as the gradient methods run it: the target's classifier column only (heads: 'score')
        const narrow = await callHook(ext.sw, 'gradient', {
          input: toBase64(input),
          classes: [target],
          returnGradient: true,
          size: [h, w],
          engine,
          heads: 'score',
        });
        expect(narrow.backend.backend).toBe(r.backend.backend);
        expect(narrow.numTensors.after).toBe(narrow.numTensors.before);
        expect(narrow.score[0]).toBeCloseTo(r.score[0], 3);
        expect(cosineToNode(fromBase64(narrow.gradient!))).toBeGreaterThan(0.9999);
        const logitDiff = maxAbsDiff(r.logits[0], ref.logits);
        console.log(
          `${r.backend.backend} at ${h}×${w}: max |Δlogit| vs Node ${logitDiff.toExponential(2)}, gradient cosine ${cosine.toFixed(7)}, ${r.ms.toFixed(0)} ms`,
        );
        expect(logitDiff).toBeLessThan(TOLERANCE);
        expect(r.numTensors.after).toBe(r.numTensors.before);
        // WebGPU's gradient too: it was NaN (at 224×224 as here) while a 9-input tf.addN in the
        // max-pool gradient summed only 5 inputs on the software adapter (kernels/add-all.ts).
        expect(cosine).toBeGreaterThan(0.9999);
      } finally {
        await callHook(ext.sw, 'engineReset');
      }
    }
  });
});

describe('weights integrity', () => {
  const bytes = new Uint8Array(4096).map((_, i) => (i * 31 + 7) & 255);
  const good = { sha256: createHash('sha256').update(bytes).digest('hex'), byteLength: bytes.length };
  const file = 'models/squeezenet1_1.float32.bin';
  const manifest = 'models/squeezenet1_1.float32.json';

  it('accepts the intact binary, including a view into a larger buffer', async () => {
    await expect(verifyWeightsBinary(bytes, good, file, manifest)).resolves.toBeUndefined();
    const padded = new Uint8Array(bytes.length + 16);
    padded.set(bytes, 8);
    await expect(
      verifyWeightsBinary(padded.subarray(8, 8 + bytes.length), good, file, manifest),
    ).resolves.toBeUndefined();
  });

  it('rejects a truncated binary, naming the file', async () => {
    const err = await verifyWeightsBinary(bytes.subarray(0, 4000), good, file, manifest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsIntegrityError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/truncated.*4000 bytes.*4096/);
  });

  it('rejects an altered binary of the right length, naming the file', async () => {
    const altered = bytes.slice();
    altered[1234] ^= 1;
    const err = await verifyWeightsBinary(altered, good, file, manifest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsIntegrityError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/SHA-256/);
    expect((err as Error).message).toContain(good.sha256);
  });

  it('rejects a manifest without a checksum, naming it', async () => {
    await expect(
      verifyWeightsBinary(bytes, { sha256: undefined, byteLength: bytes.length }, file, manifest),
    ).rejects.toThrow(manifest);
  });

  it('the packaged manifests match their binaries', async () => {
    const dist = await ensureBuilt();
    for (const dtype of ['float32', 'float16']) {
      const m = JSON.parse(await readFile(join(dist, 'models', `squeezenet1_1.${dtype}.json`), 'utf8')) as {
        sha256: string;
        byteLength: number;
      };
      await verifyWeightsBinary(
        await readFile(join(dist, 'models', `squeezenet1_1.${dtype}.bin`)),
        m,
        `squeezenet1_1.${dtype}.bin`,
      );
    }
  });
});

describe('damaged weights in the extension package', () => {
  let ext: LaunchedExtension;
  let dir: string;

  beforeAll(async () => {
    // An unpacked copy with one flipped byte in the float32 weights and truncated float16 ones.
    dir = await mkdtemp(join(tmpdir(), 'squeezelens-damaged-'));
    // The test build: the calls below go through its hook.
    await cp(await ensureBuilt({ variant: 'test' }), dir, { recursive: true });
    const bin32 = join(dir, 'models', 'squeezenet1_1.float32.bin');
    const data = await readFile(bin32);
    data[data.length >> 1] ^= 0x40;
    await writeFile(bin32, data);
    await truncate(join(dir, 'models', 'squeezenet1_1.float16.bin'), 1000);
    ext = await launchExtension({ dir });
  });
  afterAll(async () => {
    await ext?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses to load them, names the file, and stays retryable', async () => {
    const input = toBase64(cases[0].inputNHWC);
    await expect(callHook(ext.sw, 'classify', { input, engine: { backend: 'wasm' } })).rejects.toThrow(
      /models\/squeezenet1_1\.float32\.bin is corrupted.*SHA-256/,
    );
    // A failed load is not cached: the next call tries again (and fails again, for the same reason).
    expect((await callHook(ext.sw, 'info')).engine).toBeNull();
    await expect(callHook(ext.sw, 'classify', { input, engine: { backend: 'wasm' } })).rejects.toThrow(
      /squeezenet1_1\.float32\.bin/,
    );
    await expect(
      callHook(ext.sw, 'classify', { input, engine: { backend: 'wasm', weights: 'float16' } }),
    ).rejects.toThrow(/models\/squeezenet1_1\.float16\.bin is truncated: 1000 bytes/);
    expect((await callHook(ext.sw, 'info')).numTensors).toBe(0);
  });
});

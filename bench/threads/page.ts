/**
 * The threads experiment's page (issue 11 §2, "Threads"), bundled by bench/threads.ts into a
 * cross-origin-isolated copy of the test build (never into the product). One configuration per
 * page load, from the query: `threads` (0: TF.js's single-threaded SIMD build, as the product
 * runs; N ≥ 1: its threaded SIMD build with N threads) and `kernels` (1: our SIMD kernels, which
 * need a memory import marked shared under the threaded build — bench/threads.ts assembles that
 * variant as kernels/simd-kernels-shared.wasm). It times the forward pass and forward + input
 * gradient on one photo (median of `runs`), and answers an echo message so the driver can time
 * the hop a service worker → page engine would add.
 */
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { provideSimdKernels, simdKernelsActive } from '../../src/engine/kernels/ops.js';
import { preprocess } from '../../src/engine/preprocess.js';
import { classScore } from '../../src/engine/scores.js';
import { disposeResult, SqueezeNet } from '../../src/engine/squeezenet.js';
import { type PackedManifest, unpackWeights } from '../../src/engine/weights.js';

interface Outcome {
  threads: number;
  kernels: boolean;
  isolated: boolean;
  backend: string;
  forwardMs: number[];
  gradientMs: number[];
  top1: number;
  error?: string;
}

/**
 * TF.js's threaded build starts each pthread worker from a blob: URL and hands it its main script
 * as a Blob, which the worker loads with importScripts — refused in an extension's worker (its
 * CSP allows 'self' scripts; measured: "importScripts … failed to load", for blob: and, from a
 * blob: worker, for package URLs too). So both ship as package files (bench/threads.ts copies
 * them from TF.js's wasm-out/) and the workers are started from them.
 */
const PageWorker = Worker;
globalThis.Worker = class extends PageWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(String(url).startsWith('blob:') ? chrome.runtime.getURL('tfjs-threaded-worker.js') : url, options);
  }
  override postMessage(message: unknown, transfer?: unknown): void {
    const m = message as { cmd?: string; urlOrBlob?: unknown };
    if (m?.cmd === 'load' && m.urlOrBlob instanceof Blob)
      message = { ...m, urlOrBlob: chrome.runtime.getURL('tfjs-threaded-main.js') };
    super.postMessage(message, transfer as Transferable[]);
  }
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<Outcome> {
  const q = new URLSearchParams(location.search);
  const threads = Number(q.get('threads') ?? '0');
  const kernels = q.get('kernels') === '1';
  const runs = Number(q.get('runs') ?? '20');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 0);
  if (threads > 0) setThreadsCount(threads);
  setWasmPaths(chrome.runtime.getURL('wasm/'));
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialize');
  await tf.ready();
  if (kernels && threads > 0) {
    // The threaded build imports its (shared) memory instead of exporting it as asm.memory, where
    // our kernels look for it (src/engine/kernels/ops.ts): point that at Module.wasmMemory.
    // (The exports object is frozen: a copy with `memory` added replaces it.)
    const wasm = (tf.backend() as unknown as { wasm: { asm: { memory?: unknown }; wasmMemory?: unknown } }).wasm;
    if (!wasm.asm.memory) wasm.asm = { ...wasm.asm, memory: wasm.wasmMemory };
  }
  if (kernels) {
    const file = threads > 0 ? 'kernels/simd-kernels-shared.wasm' : 'kernels/simd-kernels.wasm';
    provideSimdKernels(await WebAssembly.compile(await (await fetch(chrome.runtime.getURL(file))).arrayBuffer()));
  }
  const manifest = (await (
    await fetch(chrome.runtime.getURL('models/squeezenet1_1.float32.json'))
  ).json()) as PackedManifest;
  const bin = new Uint8Array(
    await (await fetch(chrome.runtime.getURL('models/squeezenet1_1.float32.bin'))).arrayBuffer(),
  );
  const model = new SqueezeNet(unpackWeights(manifest, bin));
  const bitmap = await createImageBitmap(await (await fetch('bench-photo.jpg')).blob(), {
    colorSpaceConversion: 'none',
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  const pre = preprocess({ width: rgba.width, height: rgba.height, data: rgba.data });
  const x = tf.tensor4d(pre.input, [1, 224, 224, 3]);
  const forwardMs: number[] = [];
  const gradientMs: number[] = [];
  let top1 = -1;
  for (let i = 0; i < runs + 3; i++) {
    let t = performance.now();
    const r = model.run(x);
    const logits = await r.logits.data();
    if (i >= 3) forwardMs.push(performance.now() - t);
    top1 = logits.indexOf(Math.max(...logits));
    disposeResult(r);
    t = performance.now();
    const g = model.run(x, { score: classScore([top1]), gradients: ['input'] });
    await g.gradients.input!.data();
    if (i >= 3) gradientMs.push(performance.now() - t);
    disposeResult(g);
  }
  return {
    threads,
    kernels: kernels && simdKernelsActive(),
    isolated: crossOriginIsolated,
    backend: tf.getBackend(),
    forwardMs,
    gradientMs,
    top1,
  };
}

// The hop: the driver's service worker sends a 224×224×3 input as the product would and times the echo.
chrome.runtime.onMessage.addListener((message: { type?: string; input?: number[] }, _sender, reply) => {
  if (message?.type !== 'threads-bench/echo') return false;
  reply({ logits: new Array(1000).fill(0.5), n: message.input?.length ?? 0 });
  return false;
});

main().then(
  (r) => {
    (globalThis as { __result?: unknown }).__result = {
      ...r,
      forwardMedianMs: median(r.forwardMs),
      gradientMedianMs: median(r.gradientMs),
    };
  },
  (error: unknown) => {
    (globalThis as { __result?: unknown }).__result = { error: String((error as Error)?.stack ?? error) };
  },
);

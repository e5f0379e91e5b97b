/**
 * The engine's few non-stock tensor steps, each with one meaning on every backend:
 *   - on WASM with the SIMD module provided: hand-written WebAssembly SIMD (simd-wat.ts), run in
 *     place on TF.js's heap through custom kernels;
 *   - on CPU: the same loops in JavaScript where one exists (max-pool gradient), else stock ops;
 *   - elsewhere (WebGPU): a composition of stock ops with the same result.
 * Tests check every path against the others.
 */
import * as tf from '@tensorflow/tfjs-core';
import { maxPoolBackward as maxPoolBackwardPortable } from './max-pool-backward.js';
import type { SimdKernelExports } from './simd-wat.js';

const K = {
  maxPool: 'SqueezeLensSimdMaxPoolBackward',
  maxPoolSplit: 'SqueezeLensSimdMaxPoolBackwardSplit',
  reluMask: 'SqueezeLensSimdReluMask',
  reluMaskSplit: 'SqueezeLensSimdReluMaskSplit',
  concat: 'SqueezeLensSimdConcatChannels',
  depthToSpace: 'SqueezeLensSimdDepthToSpace2',
  heads: 'SqueezeLensSimdClassHeads',
  sparse1x1: 'SqueezeLensSimdSparseConv1x1',
} as const;

export interface WasmBackendLike {
  disposeData(id: tf.DataId): void;
  wasm: { asm: { memory: WebAssembly.Memory } };
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

let simdModule: WebAssembly.Module | null = null;
let simdBuild: KernelBuild | null = null;
let simdEnabled = true;
let instance: { memory: WebAssembly.Memory; exports: SimdKernelExports } | null = null;

/** Which build of the kernels runs: plain SIMD128, or with relaxed SIMD's fused multiply-add. */
export type KernelBuild = 'simd128' | 'relaxed-simd';

/**
 * f32x4.relaxed_madd in a 37-byte module: validates where relaxed SIMD is on (Chrome 114+,
 * Firefox 146+; Node 20 only with --experimental-wasm-relaxed-simd).
 */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2,
  253, 133, 2, 11,
]);
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
}

/**
 * Hands the compiled SIMD kernel module to the engine (Node: from build/kernels; extension: from
 * its package); with `relaxed` (the relaxed-SIMD build) that one is used where it validates.
 */
export function provideSimdKernels(module: WebAssembly.Module, relaxed: WebAssembly.Module | null = null): void {
  const useRelaxed = relaxed !== null && relaxedSimdSupported();
  simdModule = useRelaxed ? relaxed : module;
  simdBuild = useRelaxed ? 'relaxed-simd' : 'simd128';
  instance = null;
  registerSimdKernels();
}

/** The kernel build in use, or null when none was provided. */
export function kernelBuild(): KernelBuild | null {
  return simdModule ? simdBuild : null;
}

/** Whether the steps above run as SIMD kernels on the current backend. */
export function simdKernelsActive(): boolean {
  return simdEnabled && simdModule !== null && tf.getBackend() === 'wasm';
}

/** Switch the SIMD kernels off (and on again): for tests that compare both paths. */
export function setSimdKernelsEnabled(enabled: boolean): void {
  simdEnabled = enabled;
}

export function simd(backend: unknown): {
  b: WasmBackendLike;
  k: SimdKernelExports;
  ptr: (t: tf.TensorInfo) => number;
} {
  const b = backend as WasmBackendLike;
  const memory = b.wasm.asm.memory;
  if (!instance || instance.memory !== memory) {
    if (!simdModule) throw new Error('SIMD kernels were not provided');
    // Synchronous instantiation (a kernel must be sync) of the ~46 KB module compiled ahead,
    // asynchronously: allowed in the service worker, Firefox's event page and Node (tested in each).
    const inst = new WebAssembly.Instance(simdModule, { env: { memory } });
    instance = { memory, exports: inst.exports as unknown as SimdKernelExports };
  }
  return { b, k: instance.exports, ptr: (t) => b.dataIdMap.get(t.dataId).memoryOffset };
}

/**
 * SqueezeLens kernels on the WASM backend, registered on first use (the SIMD module is provided
 * after import): `const register = lazyWasmKernels({ [NAME]: kernelFunc, … })`, then `register()`
 * before `runKernel`.
 */
export function lazyWasmKernels(kernels: Record<string, tf.KernelFunc>): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const [kernelName, kernelFunc] of Object.entries(kernels))
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  };
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`SqueezeLens kernel: ${message}`);
}

let registered = false;
function registerSimdKernels(): void {
  if (registered) return;
  registered = true;
  const reg = (kernelName: string, kernelFunc: tf.KernelFunc) =>
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });

  reg(K.maxPool, ({ inputs, backend }) => {
    const { x, y, dy } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, w, c] = x.shape;
    const [, ho, wo] = y.shape;
    check(h === 2 * ho + 1 && w === 2 * wo + 1 && c % 4 === 0, `max-pool gradient shapes ${x.shape} → ${y.shape}`);
    const { b, k, ptr } = simd(backend);
    const out = b.makeOutput([...x.shape], 'float32');
    k.maxPoolBackward(ptr(x), ptr(y), ptr(dy), ptr(out), n, h, w, c, ho, wo);
    return out;
  });

  reg(K.maxPoolSplit, ({ inputs, backend }) => {
    const { x, y, dy } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, w, c] = x.shape;
    const [, ho, wo] = y.shape;
    check(
      h === 2 * ho + 1 && w === 2 * wo + 1 && c % 8 === 0,
      `max-pool gradient split shapes ${x.shape} → ${y.shape}`,
    );
    const { b, k, ptr } = simd(backend);
    const half = [n, h, w, c / 2];
    const outA = b.makeOutput(half, 'float32');
    const outB = b.makeOutput(half, 'float32');
    const share = b.makeOutput([...y.shape], 'float32'); // freed below
    k.maxPoolShare(ptr(x), ptr(y), ptr(dy), ptr(share), n, h, w, c, ho, wo);
    k.maxPoolBackwardSplit(ptr(x), ptr(y), ptr(share), ptr(outA), ptr(outB), n, h, w, c / 2, ho, wo);
    (b as WasmBackendLike).disposeData(share.dataId);
    return [outA, outB];
  });

  reg(K.reluMask, ({ inputs, backend }) => {
    const { d, ref } = inputs as Record<string, tf.TensorInfo>;
    check(size(d.shape) % 4 === 0 && size(d.shape) === size(ref.shape), `relu mask sizes ${d.shape} / ${ref.shape}`);
    const { b, k, ptr } = simd(backend);
    const out = b.makeOutput([...d.shape], 'float32');
    k.reluMask(ptr(d), ptr(ref), ptr(out), size(d.shape));
    return out;
  });

  reg(K.reluMaskSplit, ({ inputs, backend }) => {
    const { d, ref } = inputs as Record<string, tf.TensorInfo>;
    const c = d.shape[d.shape.length - 1];
    check(c % 8 === 0 && size(d.shape) === size(ref.shape), `relu mask split shape ${d.shape}`);
    const { b, k, ptr } = simd(backend);
    const half = [...d.shape.slice(0, -1), c / 2];
    const outA = b.makeOutput(half, 'float32');
    const outB = b.makeOutput(half, 'float32');
    k.reluMaskSplit(ptr(d), ptr(ref), ptr(outA), ptr(outB), size(d.shape) / c, c / 2);
    return [outA, outB];
  });

  reg(K.concat, ({ inputs, backend }) => {
    const { a, b: bb } = inputs as Record<string, tf.TensorInfo>;
    const ca = a.shape[3];
    const cb = bb.shape[3];
    check(a.shape.slice(0, 3).join() === bb.shape.slice(0, 3).join(), `concat shapes ${a.shape} / ${bb.shape}`);
    const { b, k, ptr } = simd(backend);
    const out = b.makeOutput([...a.shape.slice(0, 3), ca + cb], 'float32');
    k.concatChannels(ptr(a), ptr(bb), ptr(out), size(a.shape.slice(0, 3)), ca, cb);
    return out;
  });

  reg(K.depthToSpace, ({ inputs, backend }) => {
    const { x } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, w, c4] = x.shape;
    check(c4 % 4 === 0, `depth-to-space channels ${c4}`);
    const { b, k, ptr } = simd(backend);
    const out = b.makeOutput([n, 2 * h, 2 * w, c4 / 4], 'float32');
    k.depthToSpace2(ptr(x), ptr(out), n, h, w, c4 / 4);
    return out;
  });

  reg(K.heads, ({ inputs, backend }) => {
    const { z } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, w, classes] = z.shape;
    check(classes % 4 === 0, `class map channels ${classes}`);
    const { b, k, ptr } = simd(backend);
    const pre = b.makeOutput([n, classes], 'float32');
    const post = b.makeOutput([n, classes], 'float32');
    k.classHeads(ptr(z), ptr(pre), ptr(post), n, h * w, classes);
    return [pre, post];
  });

  reg(K.sparse1x1, ({ inputs, backend }) => {
    const { x, w, bias } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, wd, cin] = x.shape;
    const cout = w.shape[3];
    check(
      w.shape[0] === 1 && w.shape[1] === 1 && w.shape[2] === cin && bias.shape[0] === cout && cout % 4 === 0,
      `sparse 1×1 conv shapes ${x.shape} × ${w.shape}`,
    );
    const { b, k, ptr } = simd(backend);
    const out = b.makeOutput([n, h, wd, cout], 'float32');
    k.sparseConv1x1(ptr(x), ptr(w), ptr(bias), ptr(out), n * h * wd, cin, cout);
    return out;
  });
}

const run = (name: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(name, inputs);

/**
 * The lowest float32: the padding of a ceil-mode pool. (Its inputs follow a ReLU, so any negative
 * value would do; a finite one avoids relying on each backend's handling of −Infinity constants.)
 */
const POOL_PAD = -3.4028234663852886e38;

/** Rows and columns a ceil-mode 3×3 stride-2 pool adds at the bottom / right: 1 for an even size. */
function ceilPadding(x: tf.Tensor4D): [number, number] {
  return [1 - (x.shape[1] % 2), 1 - (x.shape[2] % 2)];
}

function padForPool(x: tf.Tensor4D, [ph, pw]: [number, number]): tf.Tensor4D {
  return tf.pad(
    x,
    [
      [0, 0],
      [0, ph],
      [0, pw],
      [0, 0],
    ],
    POOL_PAD,
  );
}

/**
 * SqueezeNet 1.1's MaxPool2d(3, 2, ceil_mode=True). For an odd size (all of 224's maps: 111, 55,
 * 27) floor and ceil agree and this is tf.maxPool 'valid' unchanged; an even size gets one more
 * output row / column, whose window holds the last two rows: the map is padded with the lowest
 * float there.
 */
export function maxPoolCeil(x: tf.Tensor4D): tf.Tensor4D {
  const pad = ceilPadding(x);
  if (pad[0] === 0 && pad[1] === 0) return tf.maxPool(x, 3, 2, 'valid');
  return tf.tidy(() => tf.maxPool(padForPool(x, pad), 3, 2, 'valid'));
}

/** Gradient of `maxPoolCeil` (ties share equally; padding never holds a maximum). */
export function maxPoolCeilBackward(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const pad = ceilPadding(x);
  if (pad[0] === 0 && pad[1] === 0) return maxPoolBackward(x, y, dy);
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    return tf.slice(maxPoolBackward(padForPool(x, pad), y, dy), [0, 0, 0, 0], [n, h, w, c]);
  });
}

/** Gradient of the 3×3 stride-2 'valid' max-pool (ties share equally); x: 2·Ho+1 × 2·Wo+1. */
export function maxPoolBackward(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  if (simdKernelsActive() && x.shape[3] % 4 === 0) return run(K.maxPool, { x, y, dy }) as tf.Tensor4D;
  return maxPoolBackwardPortable(x, y, dy); // JS kernel on CPU (and WASM without SIMD module), stock ops elsewhere
}

/**
 * reluMaskSplit(maxPoolCeilBackward(x, y, dy), x) — a fire module's output gradient from the
 * max-pool above it, masked by its ReLU (x is that output) and split in its two branches — in one
 * gathering pass, the same values; null where it does not apply (not WASM, or a padded pool).
 */
export function maxPoolBackwardSplit(
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  dy: tf.Tensor4D,
): [tf.Tensor4D, tf.Tensor4D] | null {
  const pad = ceilPadding(x);
  if (!simdKernelsActive() || !splitEnabled || pad[0] || pad[1] || x.shape[3] % 8 !== 0) return null;
  return run(K.maxPoolSplit, { x, y, dy }) as unknown as [tf.Tensor4D, tf.Tensor4D];
}

let splitEnabled = true;
/** Switch maxPoolBackwardSplit off (and on): for tests comparing it with the two-step path. */
export function setMaxPoolBackwardSplit(on: boolean): void {
  splitEnabled = on;
}

/** ReLU backward: d where ref > 0, else 0 (ref is the ReLU's output, or its input). */
export function reluMask<T extends tf.Tensor>(d: T, ref: tf.Tensor): T {
  if (simdKernelsActive() && d.size % 4 === 0) return run(K.reluMask, { d, ref }) as T;
  return tf.mul(d, tf.step(ref)) as T;
}

/** ReLU backward of a fire module's output, split into its expand-1×1 and expand-3×3 halves. */
export function reluMaskSplit(d: tf.Tensor4D, ref: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
  if (simdKernelsActive() && d.shape[3] % 8 === 0)
    return run(K.reluMaskSplit, { d, ref }) as unknown as [tf.Tensor4D, tf.Tensor4D];
  return tf.split(tf.mul(d, tf.step(ref)), 2, 3) as [tf.Tensor4D, tf.Tensor4D];
}

export function concatChannels(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  if (simdKernelsActive()) return run(K.concat, { a, b }) as tf.Tensor4D;
  return tf.concat([a, b], 3);
}

export function depthToSpace2(x: tf.Tensor4D): tf.Tensor4D {
  if (simdKernelsActive() && x.shape[3] % 4 === 0) return run(K.depthToSpace, { x }) as tf.Tensor4D;
  return tf.depthToSpace(x, 2, 'NHWC');
}

/**
 * A 1×1 convolution (+ bias) for inputs that are mostly zero (after a ReLU): on WASM the SIMD
 * kernel skips the zero inputs; elsewhere the stock fused convolution.
 */
export function conv1x1Sparse(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  if (simdKernelsActive() && w.shape[3] % 4 === 0) return run(K.sparse1x1, { x, w, bias }) as tf.Tensor4D;
  return tf.fused.conv2d({ x, filter: w, bias, strides: 1, pad: 'valid' });
}

/** Mean over the spatial cells of z and of ReLU(z): the pre-ReLU and the reference logits. */
export function classHeads(z: tf.Tensor4D): { preReluLogits: tf.Tensor2D; logits: tf.Tensor2D } {
  if (simdKernelsActive() && z.shape[3] % 4 === 0) {
    const [pre, post] = run(K.heads, { z }) as unknown as [tf.Tensor2D, tf.Tensor2D];
    return { preReluLogits: pre, logits: post };
  }
  if (z.shape[3] === 1) {
    // one class map (a one-class 'score' run): its cells flat, so the mean runs over the innermost
    // axis (the WASM mean transposes first otherwise)
    const cells = tf.reshape(z, [z.shape[0], -1]);
    return { preReluLogits: tf.mean(cells, 1, true), logits: tf.mean(tf.relu(cells), 1, true) };
  }
  return { preReluLogits: tf.mean(z, [1, 2]) as tf.Tensor2D, logits: tf.mean(tf.relu(z), [1, 2]) as tf.Tensor2D };
}

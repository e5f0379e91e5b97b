/**
 * A fire module's gradient from its output to its squeeze output by our zero-skipping kernel
 * (fire-backward-wat.ts) when the masked output gradient is sparse enough, on WASM; otherwise
 * (denser gradients, other backends, or switched off) the caller's dense path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fireBackwardScratch } from './fire-backward-wat.js';
import { lazyWasmKernels, simd, simdKernelsActive, type WasmBackendLike } from './ops.js';
import { compactTable } from './wat-helpers.js';

const KERNEL = 'SqueezeLensSimdFireBackwardSparse';

let enabled = true;
/** Switch the sparse fire gradient off (and on): for tests and benchmarks that compare both paths. */
export function setSparseFireBackward(on: boolean): void {
  enabled = on;
}

/**
 * The largest kept fraction (d ≠ 0 and y > 0) of the fire output's gradient at which the sparse
 * kernel is used. bench/fire-backward.ts (medians of 20–30, sparse vs dense ms at kept 0.1 / 0.2 /
 * 0.3): 13×13, 256 → 64: 0.40 / 0.67 / 0.87 vs 0.70 / 0.80 / 0.75; 13×13, 192 → 48: 0.31 / 0.38 /
 * 0.55 vs 0.57 / 0.44 / 0.56; 27×27, 128 → 32: 0.56 / 0.79 / 1.09 vs 0.73 / 0.71 / 0.76. Class-score
 * gradients keep (12 photos, mean) fire9 0.10, fire5 0.12 and fire3 0.14 (both below a max-pool),
 * fire8 0.30, fire2–7 otherwise 0.42–0.54.
 */
export const SPARSE_FIRE_MAX_KEPT = 0.15;

const TABLE = compactTable();

const register = lazyWasmKernels({
  [KERNEL]: ({ inputs, backend }) => {
    const { d, d1, d3, y, sq, w1, w3 } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, w, e2] = y.shape;
    const s = sq.shape[3];
    const { b, k, ptr } = simd(backend);
    // the whole gradient (branches at d and d + 4e, 8e bytes a pixel) or its masked halves (4e)
    const [p1, p3, dPix] = d ? [ptr(d), ptr(d) + 2 * e2, 4 * e2] : [ptr(d1), ptr(d3), 2 * e2];
    const out = b.makeOutput([n, h, w, s], 'float32');
    const scratch = b.makeOutput([fireBackwardScratch(n * h * w, e2 / 2)], 'float32');
    new Uint8Array(b.wasm.asm.memory.buffer, ptr(scratch), 256).set(TABLE);
    k.fireBackwardSparse(p1, p3, dPix, ptr(y), ptr(sq), ptr(w1), ptr(w3), ptr(out), ptr(scratch), n, h, w, e2 / 2, s);
    (b as WasmBackendLike).disposeData(scratch.dataId);
    return out;
  },
});

/**
 * Whether the sparse kernel runs for a fire module with e expand channels per branch and s squeeze
 * channels (checked before the kept fraction). Not below 32 squeeze channels: at 55×55, 64 → 16 (fire2-3) its per-pixel
 * costs (compacting 128 channels, visiting 10 lists for one chunk of 16 outputs) made it slower
 * than the dense path even at 5 % kept (1.05 vs 1.15 ms… 1.03 vs 0.99 at 10 %).
 */
export function sparseFireBackwardFits(e: number, s: number): boolean {
  return enabled && simdKernelsActive() && e % 4 === 0 && s % 16 === 0 && s >= 32;
}

/**
 * The fraction of d's entries that are nonzero where y > 0 (d, y the same shape, size % 4 == 0), or
 * with d the masked halves [d1, d3], of their entries that are nonzero.
 */
export function keptFraction(d: tf.Tensor | readonly [tf.Tensor, tf.Tensor], y: tf.Tensor): number {
  const { k, ptr } = simd(tf.backend());
  if (!Array.isArray(d)) return k.countKept(ptr(d as tf.Tensor), ptr(y), y.size) / y.size;
  const [d1, d3] = d as readonly [tf.Tensor, tf.Tensor];
  return (k.countNonzero(ptr(d1), d1.size) + k.countNonzero(ptr(d3), d3.size)) / y.size;
}

/**
 * dS = reluMask(conv1x1(d1, w1) + conv2d(d3, w3, 1, 'same'), sq) with [d1 ‖ d3] = reluMask(d, y):
 * d, y [n,h,w,2e]; sq [n,h,w,s]; w1 [1,1,e,s]; w3 [3,3,e,s] (the input-gradient kernels). `d` may
 * instead be [d1, d3], already masked and split ([n,h,w,e] each).
 */
export function fireBackwardSparse(
  d: tf.Tensor4D | readonly [tf.Tensor4D, tf.Tensor4D],
  y: tf.Tensor4D,
  sq: tf.Tensor4D,
  w1: tf.Tensor4D,
  w3: tf.Tensor4D,
): tf.Tensor4D {
  const [n, h, w, e2] = y.shape;
  const s = sq.shape[3];
  const split = Array.isArray(d) ? (d as readonly [tf.Tensor4D, tf.Tensor4D]) : null;
  const dShapesOk = split
    ? split.every((t) => t.shape.join() === [n, h, w, e2 / 2].join())
    : (d as tf.Tensor4D).shape.join() === y.shape.join();
  if (
    !dShapesOk ||
    sq.shape.slice(0, 3).join() !== [n, h, w].join() ||
    w1.shape.join() !== [1, 1, e2 / 2, s].join() ||
    w3.shape.join() !== [3, 3, e2 / 2, s].join() ||
    !sparseFireBackwardFits(e2 / 2, s)
  )
    throw new Error(`sparse fire gradient: shapes ${y.shape} ${sq.shape} ${w1.shape} ${w3.shape}`);
  register();
  const grads: tf.NamedTensorMap = split ? { d1: split[0], d3: split[1] } : { d: d as tf.Tensor4D };
  return tf.engine().runKernel(KERNEL, { ...grads, y, sq, w1, w3 }) as tf.Tensor4D;
}

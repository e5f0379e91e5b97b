/**
 * The backward pass's 1×1 convolutions (the squeeze and expand-1×1 input gradients) by our kernel
 * (conv1x1-split-wat.ts) on WASM, the squeeze gradient stored ReLU-masked and split for the fire
 * module below where one follows; elsewhere the stock conv2d (and reluMaskSplit).
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv1x1SplitWeights } from './conv1x1-split-wat.js';
import { lazyWasmKernels, reluMaskSplit, simd, simdKernelsActive } from './ops.js';

const KERNEL = 'SqueezeLensSimdConv1x1MaskSplit';
const KERNEL_PLAIN = 'SqueezeLensSimdConv1x1';

let enabled = true;
/** Switch the fused kernel off (and on): for tests and benchmarks that compare both paths. */
export function setConv1x1Kernels(on: boolean): void {
  enabled = on;
}

const register = lazyWasmKernels({
  [KERNEL]: ({ inputs, backend }) => {
    const { x, w, y } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, wd, k] = x.shape;
    const e = y.shape[3] / 2;
    const { b, k: kernels, ptr } = simd(backend);
    const outA = b.makeOutput([n, h, wd, e], 'float32');
    const outB = b.makeOutput([n, h, wd, e], 'float32');
    kernels.conv1x1MaskSplit(ptr(x), ptr(w), ptr(y), ptr(outA), ptr(outB), n * h * wd, k, e);
    return [outA, outB];
  },
  [KERNEL_PLAIN]: ({ inputs, backend, attrs }) => {
    const { x, w } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, wd, k] = x.shape;
    const { channels } = attrs as unknown as { channels: number };
    const { b, k: kernels, ptr } = simd(backend);
    const out = b.makeOutput([n, h, wd, channels], 'float32');
    kernels.conv1x1(ptr(x), ptr(w), ptr(out), n * h * wd, k, channels);
    return out;
  },
});

/**
 * A fixed 1×1 kernel [1,1,k,n] of the backward pass: its plain conv, or (n = 2e) its output masked
 * by a fire output y and split in halves.
 */
export class Conv1x1 {
  private packed: tf.Tensor1D | null = null;

  /** kernel: the 1×1 kernel as a tensor (the stock path); hwio: its values */
  constructor(
    private readonly kernel: tf.Tensor4D,
    private readonly hwio: Float32Array,
  ) {
    // packed now where it will run, so that no call creates a tensor (as the Winograd weights)
    if (simdKernelsActive()) this.packed = tf.keep(this.pack());
  }

  private pack(): tf.Tensor1D {
    const [, , k, n2] = this.kernel.shape;
    return tf.tensor1d(conv1x1SplitWeights(this.hwio, k, n2));
  }

  active(): boolean {
    return enabled && simdKernelsActive() && this.kernel.shape[3] % 16 === 0;
  }

  /** reluMaskSplit(conv2d(x, kernel, 1, 'valid'), y): x [n,h,w,k], y [n,h,w,2e] → two [n,h,w,e]. */
  maskSplit(x: tf.Tensor4D, y: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    const [, , k, n2] = this.kernel.shape;
    if (x.shape[3] !== k || y.shape[3] !== n2 || x.shape.slice(0, 3).join() !== y.shape.slice(0, 3).join())
      throw new Error(`1×1 mask-split: shapes ${x.shape} ${this.kernel.shape} ${y.shape}`);
    if (!this.active()) return tf.tidy(() => reluMaskSplit(tf.conv2d(x, this.kernel, 1, 'valid'), y));
    this.packed ??= tf.keep(this.pack());
    register();
    return tf.engine().runKernel(KERNEL, { x, w: this.packed, y }) as unknown as [tf.Tensor4D, tf.Tensor4D];
  }

  /**
   * conv2d(x, kernel, 1, 'valid'), by the same kernel without the mask and split (any n % 8 == 0).
   * Against XNNPACK's conv2d (interleaved, medians of 40; equal outputs): 55×55 64 → 16 0.207 →
   * 0.157 ms, 27×27 128 → 32 0.188 → 0.140, 13×13 192 → 48 0.096 → 0.074, 256 → 64 0.200 → 0.145,
   * 48 → 256 0.214 → 0.106 (and by the minima 55×55 16 → 64 0.35 → 0.19, 27×27 32 → 128 0.31 → 0.15).
   */
  conv(x: tf.Tensor4D): tf.Tensor4D {
    const [, , k, n2] = this.kernel.shape;
    if (x.shape[3] !== k) throw new Error(`1×1 conv: shapes ${x.shape} ${this.kernel.shape}`);
    if (!enabled || !simdKernelsActive() || n2 % 8 !== 0) return tf.conv2d(x, this.kernel, 1, 'valid');
    this.packed ??= tf.keep(this.pack());
    register();
    const attrs = { channels: n2 } as unknown as tf.NamedAttrMap;
    return tf.engine().runKernel(KERNEL_PLAIN, { x, w: this.packed }, attrs) as tf.Tensor4D;
  }

  dispose(): void {
    this.packed?.dispose();
    this.packed = null;
  }
}

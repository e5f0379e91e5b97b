/**
 * conv0's input gradient on WASM as our zero-skipping scatter (conv0-backward-wat.ts); elsewhere,
 * or switched off, the caller's stock path (a 2×2 phase conv + depth-to-space, see squeezenet.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv0BackwardWeights } from './conv0-backward-wat.js';
import { lazyWasmKernels, simd, simdKernelsActive, type WasmBackendLike } from './ops.js';

const KERNEL = 'SqueezeLensSimdConv0Backward';
const KERNEL_POOLED = 'SqueezeLensSimdConv0BackwardPooled';

let enabled = true;
/** Switch the sparse conv0 gradient off (and on): for tests and benchmarks that compare both paths. */
export function setSparseConv0Backward(on: boolean): void {
  enabled = on;
}

let pooledEnabled = true;
/** Switch the pool-fused form off (and on): tests and benchmarks comparing it with pool backward + apply. */
export function setPooledConv0Backward(on: boolean): void {
  pooledEnabled = on;
}

const register = lazyWasmKernels({
  [KERNEL]: ({ inputs, backend }) => {
    const { d, w, mask } = inputs as Record<string, tf.TensorInfo | undefined>;
    const [n, h, wd, ch] = d!.shape;
    const { b, k, ptr } = simd(backend);
    const out = b.makeOutput([n, 2 * h + 2, 2 * wd + 2, 3], 'float32');
    // one cell's nonzero values and weight offsets, each with room for a whole last store (freed below)
    const scratch = b.makeOutput([2 * (ch + 4)], 'float32');
    k.conv0Backward(ptr(d!), ptr(w!), ptr(out), n, h, wd, ch, ptr(scratch), mask ? ptr(mask) : 0);
    (b as WasmBackendLike).disposeData(scratch.dataId);
    return out;
  },
  [KERNEL_POOLED]: ({ inputs, backend }) => {
    const { x, y, dy, w } = inputs as Record<string, tf.TensorInfo>;
    const [n, h, wd, ch] = x.shape;
    const [, ho, wo] = y.shape;
    const { b, k, ptr } = simd(backend);
    const out = b.makeOutput([n, 2 * h + 2, 2 * wd + 2, 3], 'float32');
    // each pool window's share of its gradient, then one cell's nonzero list (both freed below)
    const share = b.makeOutput([...y.shape], 'float32');
    const scratch = b.makeOutput([2 * (ch + 4)], 'float32');
    k.maxPoolShare(ptr(x), ptr(y), ptr(dy), ptr(share), n, h, wd, ch, ho, wo);
    k.conv0BackwardPooled(ptr(x), ptr(w), ptr(out), n, h, wd, ch, ptr(scratch), 0, ptr(y), ptr(share), ho, wo);
    (b as WasmBackendLike).disposeData(share.dataId);
    (b as WasmBackendLike).disposeData(scratch.dataId);
    return out;
  },
});

export class Conv0Backward {
  private packed: tf.Tensor1D | null = null;

  /** k0: conv0's HWIO kernel [3,3,3,channels] */
  constructor(
    private readonly k0: Float32Array,
    private readonly channels: number,
  ) {
    if (simdKernelsActive()) this.packed = tf.tensor1d(conv0BackwardWeights(k0, channels));
  }

  active(): boolean {
    return enabled && simdKernelsActive();
  }

  /**
   * d: gradient w.r.t. conv0's output (below its ReLU) [n, h, w, channels] → gradient w.r.t. its
   * input [n, 2h+2, 2w+2, 3] (224×224 for SqueezeNet's 111×111). With `mask` (conv0's output after
   * its ReLU, d's shape) d is first masked where mask ≤ 0, in the same pass: reluMask(d, mask).
   */
  apply(d: tf.Tensor4D, mask?: tf.Tensor4D): tf.Tensor4D {
    if (d.shape[3] !== this.channels || this.channels % 4 !== 0)
      throw new Error(`conv0 gradient: ${d.shape[3]} channels, expected ${this.channels} (a multiple of 4)`);
    if (!this.packed) this.packed = tf.keep(tf.tensor1d(conv0BackwardWeights(this.k0, this.channels)));
    register();
    if (mask && mask.shape.join() !== d.shape.join())
      throw new Error(`conv0 gradient: mask ${mask.shape}, gradient ${d.shape}`);
    const inputs: tf.NamedTensorMap = mask ? { d, w: this.packed, mask } : { d, w: this.packed };
    return tf.engine().runKernel(KERNEL, inputs) as tf.Tensor4D;
  }

  /** Whether applyPooled takes this pool: unpadded (x is 2·ho + 1 × 2·wo + 1), on WASM. */
  pooledFits(x: tf.Tensor4D, y: tf.Tensor4D): boolean {
    return (
      this.active() &&
      pooledEnabled &&
      x.shape[1] === 2 * y.shape[1] + 1 &&
      x.shape[2] === 2 * y.shape[2] + 1 &&
      x.shape[3] === this.channels &&
      y.shape[3] === this.channels
    );
  }

  /**
   * apply(maxPoolBackward(x, y, dy), x) — the gradient through conv0's ReLU and the 3×3 stride-2
   * max-pool above it — in one pass that never writes the 111×111×64 gradient: each conv1 cell
   * gathers its channels' gradient from the (≤ 4) pool windows holding it, adding them in the
   * scatter's order (the same sums), and keeps only the nonzero ones. x: conv1 (after ReLU), y:
   * its max-pool, dy: the gradient at y. At 111×111×64 (x a ReLU of normal noise), interleaved,
   * medians of 40, two processes: 1.83 → 1.65 and 1.94 → 1.81 ms against maxPoolBackward + apply —
   * the gather does as many operations as the scatter, it saves the 3 MB gradient's traffic.
   */
  applyPooled(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
    if (!this.pooledFits(x, y) || dy.shape.join() !== y.shape.join())
      throw new Error(`conv0 gradient through the pool: shapes ${x.shape} ${y.shape} ${dy.shape}`);
    if (!this.packed) this.packed = tf.keep(tf.tensor1d(conv0BackwardWeights(this.k0, this.channels)));
    register();
    return tf.engine().runKernel(KERNEL_POOLED, { x, y, dy, w: this.packed }) as tf.Tensor4D;
  }

  dispose(): void {
    this.packed?.dispose();
    this.packed = null;
  }
}

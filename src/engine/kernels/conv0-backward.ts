/**
 * conv0's input gradient on WASM as our zero-skipping scatter (conv0-backward-wat.ts); elsewhere,
 * or switched off, the caller's stock path (a 2×2 phase conv + depth-to-space, see squeezenet.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv0BackwardWeights } from './conv0-backward-wat.js';
import { simd, simdKernelsActive, type WasmBackendLike } from './ops.js';

const KERNEL = 'SqueezeLensSimdConv0Backward';

let enabled = true;
/** Switch the sparse conv0 gradient off (and on): for tests and benchmarks that compare both paths. */
export function setSparseConv0Backward(on: boolean): void {
  enabled = on;
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
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
  });
}

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

  dispose(): void {
    this.packed?.dispose();
    this.packed = null;
  }
}

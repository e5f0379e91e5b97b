/**
 * The fire modules' 3×3 "same" convolutions (expand-3×3 forward, and its input gradient with the
 * flipped-and-transposed kernel) by Winograd F(2×2, 3×3) in our SIMD module (winograd-wat.ts),
 * where that is faster than TF.js's XNNPACK conv2d; elsewhere, and for layers where it is not,
 * the stock (fused) conv2d. The weight transform is made once per kernel, on first use on WASM.
 */
import * as tf from '@tensorflow/tfjs-core';
import { flipTranspose3x3 } from '../backward-kernels.js';
import { simd, simdKernelsActive, type WasmBackendLike } from './ops.js';

const KERNEL = 'SqueezeLensSimdWinograd3x3';

/** 'auto': Winograd where the benchmark measured it faster (WINOGRAD_FASTER); tests force either path. */
export type WinogradMode = 'auto' | 'always' | 'never';
let mode: WinogradMode = 'auto';
export function setWinogradMode(m: WinogradMode): void {
  mode = m;
}

/**
 * Layers (input size, in → out channels) where Winograd beat XNNPACK in bench/winograd-layers.ts.
 * Filled from measurements; a layer not listed runs XNNPACK.
 */
const WINOGRAD_FASTER = new Set<string>([
  '55:16>64',
  '55:64>16',
  '27:32>128',
  '27:128>32',
  '13:48>192',
  '13:192>48',
  '13:64>256',
  '13:256>64',
]);
export const layerKey = (size: number, cin: number, cout: number) => `${size}:${cin}>${cout}`;

/**
 * Tiles per block. The weights are re-read once per block, the block's transformed input
 * (16·tb·cin floats, ≤ 512 KB: in L2) once per 8 output channels. Measured with
 * bench/winograd-layers.ts --tb (min of 25, load ~7): tb 32 vs 8 on 128 → 32 at 27×27: 1.52 vs
 * 2.58 ms; 32 vs 16 elsewhere equal within noise; 64 for cin 16 (1.88 vs 2.15 ms at 55×55).
 */
let tileBlockOverride = 0;
export function tileBlock(cin: number): number {
  if (tileBlockOverride) return tileBlockOverride;
  return cin <= 16 ? 64 : 32;
}
/** For the layer benchmark: force a tile-block size (0: the default rule). */
export function setTileBlock(tb: number): void {
  tileBlockOverride = tb;
}

/**
 * U = G g Gᵀ with G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]], per (cin, cout), packed
 * [cout/8][16][cin][8]; in float64, rounded once. G applied row-wise then column-wise.
 */
export function winogradWeights(hwio: Float32Array, cin: number, cout: number): Float32Array {
  const out = new Float32Array(16 * cin * cout);
  const gg = new Float64Array(12); // G g: 4×3
  const apply = (a: number, b: number, c: number, put: (k: number, v: number) => void) => {
    put(0, a);
    put(1, (a + b + c) / 2);
    put(2, (a - b + c) / 2);
    put(3, c);
  };
  for (let ci = 0; ci < cin; ci++)
    for (let co = 0; co < cout; co++) {
      const at = (t: number) => hwio[(t * cin + ci) * cout + co];
      for (let col = 0; col < 3; col++) apply(at(col), at(3 + col), at(6 + col), (i, v) => (gg[i * 3 + col] = v));
      const base = ((co >> 3) * 16 * cin + ci) * 8 + (co & 7);
      for (let i = 0; i < 4; i++)
        apply(gg[i * 3], gg[i * 3 + 1], gg[i * 3 + 2], (j, v) => (out[base + (i * 4 + j) * cin * 8] = v));
    }
  return out;
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, u, bias } = inputs as Record<string, tf.TensorInfo | undefined>;
      const { cout, relu } = attrs as unknown as { cout: number; relu: boolean };
      const [n, h, w, cin] = x!.shape;
      const tb = tileBlock(cin);
      const { b, k, ptr } = simd(backend);
      const out = b.makeOutput([n, h, w, cout], 'float32');
      // scratch for one block: transformed inputs and GEMM results (freed below)
      const v = b.makeOutput([16 * tb * cin], 'float32');
      const m = b.makeOutput([tb * 16 * 8], 'float32');
      const flags = (bias ? 1 : 0) | (relu ? 2 : 0);
      k.winograd3x3(ptr(x!), ptr(u!), bias ? ptr(bias) : 0, ptr(out), ptr(v), ptr(m), n, h, w, cin, cout, tb, flags);
      (b as WasmBackendLike).disposeData(v.dataId);
      (b as WasmBackendLike).disposeData(m.dataId);
      return out;
    },
  });
}

/** One 3×3 stride-1 "same" convolution with a fixed kernel, either path. */
export class Conv3x3 {
  private packed: tf.Tensor1D | null = null;
  private disposed = false;

  constructor(
    private readonly hwio: Float32Array,
    readonly cin: number,
    readonly cout: number,
  ) {
    // On WASM with our kernels (always provided before the model is built) transform now, so
    // no call creates tensors; elsewhere only if a later backend switch asks for it.
    if (simdKernelsActive()) this.packed = tf.tensor1d(winogradWeights(hwio, cin, cout));
  }

  private useWinograd(x: tf.Tensor4D): boolean {
    if (mode === 'never' || !simdKernelsActive() || this.cin % 4 !== 0 || this.cout % 8 !== 0) return false;
    return mode === 'always' || WINOGRAD_FASTER.has(layerKey(x.shape[1], this.cin, this.cout));
  }

  /** conv2d(x, kernel, 1, 'same') + bias, then ReLU if asked; `kernel` holds the same weights as HWIO. */
  apply(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D | null, relu: boolean): tf.Tensor4D {
    if (!this.useWinograd(x)) {
      return tf.fused.conv2d({
        x,
        filter: kernel,
        bias: bias ?? undefined,
        strides: 1,
        pad: 'same',
        activation: relu ? 'relu' : 'linear',
      });
    }
    if (this.disposed) throw new Error('Conv3x3 used after dispose');
    if (!this.packed) this.packed = tf.keep(tf.tensor1d(winogradWeights(this.hwio, this.cin, this.cout)));
    register();
    const inputs: tf.NamedTensorMap = bias ? { x, u: this.packed, bias } : { x, u: this.packed };
    return tf
      .engine()
      .runKernel(KERNEL, inputs, { cout: this.cout, relu } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }

  dispose(): void {
    this.disposed = true;
    this.packed?.dispose();
    this.packed = null;
  }
}

/** A fire module's expand-3×3 (squeeze → expand) and its input gradient (expand → squeeze). */
export class Expand3x3 {
  readonly forward: Conv3x3;
  readonly backward: Conv3x3;
  constructor(kernel: Float32Array, squeeze: number, expand: number) {
    this.forward = new Conv3x3(kernel, squeeze, expand);
    this.backward = new Conv3x3(flipTranspose3x3(kernel, squeeze, expand), expand, squeeze);
  }
  dispose(): void {
    this.forward.dispose();
    this.backward.dispose();
  }
}

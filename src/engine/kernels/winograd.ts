/**
 * The fire modules' 3×3 "same" convolutions (expand-3×3 forward, and its input gradient with the
 * flipped-and-transposed kernel) by Winograd F(2×2, 3×3) in our SIMD module (winograd-wat.ts),
 * where that is faster than TF.js's XNNPACK conv2d; elsewhere, and for layers where it is not,
 * the stock (fused) conv2d. The weight transform is made once per kernel (see WinogradWeightsWhen).
 */
import * as tf from '@tensorflow/tfjs-core';
import { flipTranspose3x3 } from '../backward-kernels.js';
import { reluMask, simd, simdKernelsActive, type WasmBackendLike } from './ops.js';
import { F2, F4, type WinogradSpec, winogradScratch } from './winograd-wat.js';

const KERNEL = 'SqueezeLensSimdWinograd3x3';
const KERNEL_ADD_MASK = 'SqueezeLensSimdWinograd3x3AddMask';

export type WinogradVariant = 'f2' | 'f4';
const SPECS: Record<WinogradVariant, WinogradSpec> = { f2: F2, f4: F4 };

/**
 * 'auto': the variant the layer benchmark measured fastest for the layer (FASTEST), XNNPACK where
 * none is listed; 'never': XNNPACK everywhere; 'f2' / 'f4': that variant everywhere (tests).
 */
export type WinogradMode = 'auto' | 'never' | WinogradVariant;
let mode: WinogradMode = 'auto';
export function setWinogradMode(m: WinogradMode): void {
  mode = m;
}

/**
 * Per layer (in → out channels; each pair occurs at one size in SqueezeNet), the path that was
 * fastest in bench/winograd-layers.ts. A layer not listed runs XNNPACK. Measured (min of 30,
 * interleaved, load ~7; F(4,3) at tb 16): F(4,3) 1.75–2.26× faster than XNNPACK on all eight
 * (fire2-3 forward 1.21 vs 2.60 ms … fire8-9 gradient 1.09 vs 1.99 ms), F(2,3) 1.24–1.48×.
 * Measured before the V-plane padding and the one-channel-per-iteration GEMM (winograd-wat.ts),
 * which made F(4,3) another 20–50 % faster on every layer: the choice only got safer.
 */
const FASTEST: Record<string, WinogradVariant> = {
  '16>64': 'f4',
  '64>16': 'f4',
  '32>128': 'f4',
  '128>32': 'f4',
  '48>192': 'f4',
  '192>48': 'f4',
  '64>256': 'f4',
  '256>64': 'f4',
};

/**
 * Tiles per block. The weights are re-read once per block, the block's transformed input
 * (α²·tb·cin floats) once per 8 output channels. Measured with bench/winograd-layers.ts --tb
 * (min of 25–30, load ~7): F(2,3): tb 32 vs 8 on 128 → 32 at 27×27: 1.52 vs 2.58 ms, 32 vs 16
 * elsewhere equal within noise, 64 for cin 16 (1.88 vs 2.15 ms at 55×55); F(4,3): tb 16 ~8 %
 * faster than 32 on every layer (e.g. 256 → 64 at 13×13: 1.09 vs 1.21 ms). Re-measured after the
 * V-plane padding (bench/winograd-kernel.ts): 8, 24 and 32 gain nothing over 16.
 */
let tileBlockOverride = 0;
export function tileBlock(cin: number, variant: WinogradVariant = 'f4'): number {
  if (tileBlockOverride) return tileBlockOverride;
  if (variant === 'f4') return 16;
  return cin <= 16 ? 64 : 32;
}
/** For the layer benchmark: force a tile-block size (0: the default rule). */
export function setTileBlock(tb: number): void {
  tileBlockOverride = tb;
}

/**
 * U = G g Gᵀ (α×α per input/output channel pair), in float64 rounded once, packed
 * [cout/8][α²][cin][8] for the GEMM's constant offsets.
 */
export function winogradWeights(hwio: Float32Array, cin: number, cout: number, variant: WinogradVariant): Float32Array {
  // Plain loops over flat arrays: the first version (closures, nested arrays) took ~300 ms for
  // the model's 16 kernels, on the engine's cold start; this one ~10× less.
  const g = Float64Array.from(SPECS[variant].G.flat()); // α×3
  const A = g.length / 3;
  const out = new Float32Array(A * A * cin * cout);
  const gg = new Float64Array(A * 3); // G · kernel
  const plane = cin * cout;
  const xiStride = cin * 8;
  for (let ci = 0; ci < cin; ci++)
    for (let co = 0; co < cout; co++) {
      const src = ci * cout + co;
      const k0 = hwio[src];
      const k1 = hwio[src + plane];
      const k2 = hwio[src + 2 * plane];
      const k3 = hwio[src + 3 * plane];
      const k4 = hwio[src + 4 * plane];
      const k5 = hwio[src + 5 * plane];
      const k6 = hwio[src + 6 * plane];
      const k7 = hwio[src + 7 * plane];
      const k8 = hwio[src + 8 * plane];
      for (let i = 0; i < A; i++) {
        const a = g[i * 3];
        const b = g[i * 3 + 1];
        const c = g[i * 3 + 2];
        gg[i * 3] = a * k0 + b * k3 + c * k6;
        gg[i * 3 + 1] = a * k1 + b * k4 + c * k7;
        gg[i * 3 + 2] = a * k2 + b * k5 + c * k8;
      }
      let o = ((co >> 3) * A * A * cin + ci) * 8 + (co & 7);
      for (let i = 0; i < A; i++) {
        const x0 = gg[i * 3];
        const x1 = gg[i * 3 + 1];
        const x2 = gg[i * 3 + 2];
        for (let j = 0; j < A; j++, o += xiStride) out[o] = x0 * g[j * 3] + x1 * g[j * 3 + 1] + x2 * g[j * 3 + 2];
      }
    }
  return out;
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  for (const kernelName of [KERNEL, KERNEL_ADD_MASK])
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, u, bias, addend, mask } = inputs as Record<string, tf.TensorInfo | undefined>;
        const { cout, relu, variant } = attrs as unknown as { cout: number; relu: boolean; variant: WinogradVariant };
        const [n, h, w, cin] = x!.shape;
        const tb = tileBlock(cin, variant);
        const scratch = winogradScratch(SPECS[variant], tb, cin, cout);
        const { b, k, ptr } = simd(backend);
        const out = b.makeOutput([n, h, w, cout], 'float32');
        // scratch for one block: transformed inputs and GEMM results (freed below)
        const v = b.makeOutput([scratch.v], 'float32');
        const m = b.makeOutput([scratch.m], 'float32');
        const args = [ptr(x!), ptr(u!)] as const;
        const rest = [ptr(out), ptr(v), ptr(m), n, h, w, cin, cout, tb] as const;
        if (kernelName === KERNEL_ADD_MASK) {
          const fn = variant === 'f4' ? k.winograd4x3AddMask : k.winograd2x3AddMask;
          fn(...args, ptr(addend!), ...rest, 0, ptr(mask!));
        } else {
          const fn = variant === 'f4' ? k.winograd4x3 : k.winograd2x3;
          fn(...args, bias ? ptr(bias) : 0, ...rest, (bias ? 1 : 0) | (relu ? 2 : 0), 0);
        }
        (b as WasmBackendLike).disposeData(v.dataId);
        (b as WasmBackendLike).disposeData(m.dataId);
        return out;
      },
    });
}

/**
 * When a model's Winograd weights are transformed: 'now' (at construction: the CLI, tests),
 * 'later' (allocated at construction, filled in place LATER_MS after the model is first used, which
 * runs XNNPACK until then: the extension's worker, whose cold first answer must not wait for the
 * transform — 16 kernels in JavaScript, measured 113–127 ms of the worker's model build instead of
 * 27–33 ms without), or 'off' (XNNPACK only: short-lived models such as the sanity check's
 * randomized copies, which would pay the transform for a few passes).
 */
export type WinogradWeightsWhen = 'now' | 'later' | 'off';

/** After the first use of a 'later' model, how long until its weights are filled (the click's answer is written by then). */
const LATER_MS = 300;
const pendingFills = new Set<Conv3x3>();
let fillTimer: ReturnType<typeof setTimeout> | null = null;

function scheduleFill(): void {
  if (fillTimer !== null) return;
  fillTimer = setTimeout(() => {
    fillTimer = null;
    for (const conv of [...pendingFills]) conv.fill();
  }, LATER_MS);
}

/** One 3×3 stride-1 "same" convolution with a fixed kernel, either path. */
export class Conv3x3 {
  private readonly packed: Partial<Record<WinogradVariant, tf.Tensor1D>> = {};
  /** the preferred variant's weights are allocated but not yet filled ('later') */
  private pending: WinogradVariant | null = null;
  private disposed = false;
  private hwioCache: Float32Array | null = null;

  constructor(
    private readonly hwioSource: Float32Array | (() => Float32Array),
    readonly cin: number,
    readonly cout: number,
    private readonly when: WinogradWeightsWhen = 'now',
  ) {
    // On WASM with our kernels (always provided before the model is built) transform now, so
    // no call creates tensors; other variants (tests) and other backends only when asked.
    const preferred = FASTEST[`${cin}>${cout}`];
    if (!preferred || !simdKernelsActive() || when === 'off') return;
    if (when === 'now') this.weights(preferred);
    else {
      const a = SPECS[preferred].m + 2;
      this.packed[preferred] = tf.keep(tf.zeros([a * a * cin * cout])) as tf.Tensor1D;
      this.pending = preferred;
      pendingFills.add(this);
    }
  }

  private get hwio(): Float32Array {
    this.hwioCache ??= typeof this.hwioSource === 'function' ? this.hwioSource() : this.hwioSource;
    return this.hwioCache;
  }

  private weights(variant: WinogradVariant): tf.Tensor1D {
    let t = this.packed[variant];
    if (!t) {
      t = tf.keep(tf.tensor1d(winogradWeights(this.hwio, this.cin, this.cout, variant)));
      this.packed[variant] = t;
    }
    return t;
  }

  /** Transforms a 'later' model's weights into the tensor allocated for them (no new tensor). */
  fill(): void {
    pendingFills.delete(this);
    const variant = this.pending;
    if (!variant || this.disposed || !simdKernelsActive()) return;
    const t = this.packed[variant]!;
    const { b, ptr } = simd(tf.backend());
    const values = winogradWeights(this.hwio, this.cin, this.cout, variant);
    new Float32Array(b.wasm.asm.memory.buffer, ptr(t), values.length).set(values);
    this.pending = null;
  }

  private variant(): WinogradVariant | null {
    if (mode === 'never' || !simdKernelsActive() || this.cin % 4 !== 0 || this.cout % 8 !== 0) return null;
    if (mode !== 'auto') return mode;
    if (this.when === 'off') return null;
    const preferred = FASTEST[`${this.cin}>${this.cout}`] ?? null;
    if (preferred && preferred === this.pending) {
      scheduleFill();
      return null;
    }
    return preferred;
  }

  /** conv2d(x, kernel, 1, 'same') + bias, then ReLU if asked; `kernel` holds the same weights as HWIO. */
  apply(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D | null, relu: boolean): tf.Tensor4D {
    const variant = this.variant();
    if (!variant) {
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
    const u = this.weights(variant);
    register();
    const inputs: tf.NamedTensorMap = bias ? { x, u, bias } : { x, u };
    const attrs = { cout: this.cout, relu, variant } as unknown as tf.NamedAttrMap;
    return tf.engine().runKernel(KERNEL, inputs, attrs) as tf.Tensor4D;
  }

  /**
   * The backward pass's step: reluMask(conv2d(x, kernel, 1, 'same') + addend, mask), all three
   * [n,h,w,cout] — the gradient of the other branch added and the ReLU below applied as the
   * Winograd outputs are stored, instead of two more passes over the result.
   */
  applyAddMask(x: tf.Tensor4D, kernel: tf.Tensor4D, addend: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
    const variant = this.variant();
    if (!variant)
      return tf.tidy(() => reluMask(tf.add(addend, this.apply(x, kernel, null, false)) as tf.Tensor4D, mask));
    if (this.disposed) throw new Error('Conv3x3 used after dispose');
    const u = this.weights(variant);
    register();
    const attrs = { cout: this.cout, relu: false, variant } as unknown as tf.NamedAttrMap;
    return tf.engine().runKernel(KERNEL_ADD_MASK, { x, u, addend, mask }, attrs) as tf.Tensor4D;
  }

  dispose(): void {
    this.disposed = true;
    pendingFills.delete(this);
    tf.dispose(Object.values(this.packed));
    for (const key of Object.keys(this.packed)) delete this.packed[key as WinogradVariant];
  }
}

/** A fire module's expand-3×3 (squeeze → expand) and its input gradient (expand → squeeze). */
export class Expand3x3 {
  readonly forward: Conv3x3;
  readonly backward: Conv3x3;
  constructor(kernel: Float32Array, squeeze: number, expand: number, when: WinogradWeightsWhen = 'now') {
    this.forward = new Conv3x3(kernel, squeeze, expand, when);
    this.backward = new Conv3x3(() => flipTranspose3x3(kernel, squeeze, expand), expand, squeeze, when);
  }
  dispose(): void {
    this.forward.dispose();
    this.backward.dispose();
  }
}

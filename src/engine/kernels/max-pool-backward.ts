/**
 * Gradient of SqueezeNet's 3×3 stride-2 "valid" max-pool, with a tie rule we define: window
 * positions holding the maximum share the window's gradient equally. Stock kernels disagree on
 * ties across backends (WASM: last maximum; CPU: first), and photos with flat regions tie a lot.
 *
 * On WASM and CPU this is one custom kernel, a single pass over typed arrays: the composition of
 * stock ops it replaces spent ~300 ms in WASM's generic StridedSlice / DepthToSpace / Slice.
 * Elsewhere (WebGPU) the same rule runs as a composition of ops (`maxPoolBackwardOps`), which the
 * tests also use to cross-check the kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addAll } from './add-all.js';

export const MAX_POOL_BACKWARD = 'SqueezeLensMaxPool3x3s2Backward';

/** x: [N,H,W,C] with H = 2·Ho+1, W = 2·Wo+1; y, dy: [N,Ho,Wo,C]; out: like x, zero-filled. */
export function maxPoolBackwardInto(
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  out: Float32Array,
  [n, h, w, c]: readonly number[],
  [ho, wo]: readonly number[],
): void {
  const count = new Float32Array(c);
  const share = new Float32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oi = 0; oi < ho; oi++) {
      for (let oj = 0; oj < wo; oj++) {
        const q = ((b * ho + oi) * wo + oj) * c;
        count.fill(0);
        for (let a = 0; a < 3; a++) {
          for (let e = 0; e < 3; e++) {
            const p = ((b * h + 2 * oi + a) * w + 2 * oj + e) * c;
            for (let ch = 0; ch < c; ch++) if (x[p + ch] === y[q + ch]) count[ch] += 1;
          }
        }
        for (let ch = 0; ch < c; ch++) share[ch] = dy[q + ch] / count[ch];
        for (let a = 0; a < 3; a++) {
          for (let e = 0; e < 3; e++) {
            const p = ((b * h + 2 * oi + a) * w + 2 * oj + e) * c;
            for (let ch = 0; ch < c; ch++) if (x[p + ch] === y[q + ch]) out[p + ch] += share[ch];
          }
        }
      }
    }
  }
}

function checkShapes(x: tf.TensorInfo, y: tf.TensorInfo): void {
  const [, h, w] = x.shape;
  const [, ho, wo] = y.shape;
  if (h !== 2 * ho + 1 || w !== 2 * wo + 1)
    throw new Error(`maxPoolBackward: unexpected sizes ${h}×${w} → ${ho}×${wo}`);
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

let registered = false;
export function registerMaxPoolBackwardKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: MAX_POOL_BACKWARD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { x, y, dy } = inputs as { x: tf.TensorInfo; y: tf.TensorInfo; dy: tf.TensorInfo };
      checkShapes(x, y);
      const wasm = backend as unknown as WasmBackendLike;
      const out = wasm.makeOutput([...x.shape], 'float32');
      // Views only after makeOutput: allocating may grow (and detach) the heap.
      const o = wasm.typedArrayFromHeap(out);
      o.fill(0);
      maxPoolBackwardInto(
        wasm.typedArrayFromHeap(x),
        wasm.typedArrayFromHeap(y),
        wasm.typedArrayFromHeap(dy),
        o,
        x.shape,
        y.shape.slice(1),
      );
      return out;
    },
  });
  tf.registerKernel({
    kernelName: MAX_POOL_BACKWARD,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      const { x, y, dy } = inputs as { x: tf.TensorInfo; y: tf.TensorInfo; dy: tf.TensorInfo };
      checkShapes(x, y);
      const cpu = backend as unknown as CpuBackendLike;
      const o = new Float32Array(x.shape.reduce((a, b) => a * b, 1));
      const read = (t: tf.TensorInfo) => cpu.data.get(t.dataId).values;
      maxPoolBackwardInto(read(x), read(y), read(dy), o, x.shape, y.shape.slice(1));
      return cpu.makeTensorInfo([...x.shape], 'float32', o);
    },
  });
}

export function maxPoolBackward(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  registerMaxPoolBackwardKernels();
  if (tf.getKernel(MAX_POOL_BACKWARD, tf.getBackend())) {
    return tf.engine().runKernel(MAX_POOL_BACKWARD, { x, y, dy }) as tf.Tensor4D;
  }
  return maxPoolBackwardOps(x, y, dy);
}

/** The same rule from stock ops, for backends without the custom kernel. */
export function maxPoolBackwardOps(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  checkShapes(x, y);
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [, ho, wo] = y.shape;
    const hits: tf.Tensor4D[][] = [];
    for (let a = 0; a < 3; a++) {
      hits.push([]);
      for (let b = 0; b < 3; b++) {
        const xs = tf.stridedSlice(
          x,
          [0, a, b, 0],
          [n, a + 2 * ho - 1, b + 2 * wo - 1, c],
          [1, 2, 2, 1],
        ) as tf.Tensor4D;
        hits[a].push(tf.cast(tf.equal(xs, y), 'float32') as tf.Tensor4D);
      }
    }
    const share = tf.div(dy, addAll(hits.flat()));
    // Input row 2·o + a lies in row phase a mod 2, at phase index o + (a == 2 ? 1 : 0).
    const phase = (p: number, q: number): tf.Tensor4D => {
      const parts: tf.Tensor4D[] = [];
      for (const a of p === 0 ? [0, 2] : [1]) {
        for (const b of q === 0 ? [0, 2] : [1]) {
          const g = tf.mul(hits[a][b], share) as tf.Tensor4D;
          parts.push(
            tf.pad(g, [
              [0, 0],
              [a === 2 ? 1 : 0, a === 2 ? 0 : 1],
              [b === 2 ? 1 : 0, b === 2 ? 0 : 1],
              [0, 0],
            ]),
          );
        }
      }
      return addAll(parts);
    };
    const interleaved = tf.depthToSpace(
      tf.concat([phase(0, 0), phase(0, 1), phase(1, 0), phase(1, 1)], 3) as tf.Tensor4D,
      2,
      'NHWC',
    );
    return tf.slice(interleaved, [0, 0, 0, 0], [n, h, w, c]);
  });
}

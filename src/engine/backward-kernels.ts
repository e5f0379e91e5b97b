/**
 * The hand-written backward pass (./squeezenet.ts) runs forward convolutions with re-arranged
 * kernels: transposed 1×1, flipped and transposed 3×3, and conv0's stride-2 kernel split into its
 * four phases (a polyphase conv, then depthToSpace). Built once per model, from the HWIO weights.
 */

/** HWIO [1,1,I,O] → [1,1,O,I] */
export function transpose1x1(k: Float32Array, inC: number, outC: number): Float32Array {
  const t = new Float32Array(k.length);
  for (let i = 0; i < inC; i++) for (let o = 0; o < outC; o++) t[o * inC + i] = k[i * outC + o];
  return t;
}

/**
 * Input gradient of a "same" 3×3 conv as another "same" 3×3 conv: kernel HWIO [3,3,S,E] →
 * spatially flipped and transposed [3,3,E,S].
 */
export function flipTranspose3x3(k3: Float32Array, s: number, e: number): Float32Array {
  const out = new Float32Array(9 * e * s);
  for (let kh = 0; kh < 3; kh++)
    for (let kw = 0; kw < 3; kw++)
      for (let i = 0; i < s; i++)
        for (let o = 0; o < e; o++)
          out[((kh * 3 + kw) * e + o) * s + i] = k3[((2 - kh) * 3 + (2 - kw)) * s * e + i * e + o];
  return out;
}

/**
 * conv0 is 3×3 stride 2 valid, 3 → 64. Its input gradient at pixel 2m+p takes, from the
 * gradient map padded by one, tap t ∈ {0,1} (position m−1+t) with kernel row k: p=0 → t0:k2,
 * t1:k0; p=1 → t1:k1. Output channel (p·2+q)·3+c matches depthToSpace's NHWC order.
 */
export function conv0PhaseKernel(k0: Float32Array): Float32Array {
  const out = new Float32Array(2 * 2 * 64 * 12);
  const tap = (p: number, t: number): number => (p === 0 ? (t === 0 ? 2 : 0) : t === 1 ? 1 : -1);
  for (let th = 0; th < 2; th++)
    for (let tw = 0; tw < 2; tw++)
      for (let p = 0; p < 2; p++)
        for (let q = 0; q < 2; q++) {
          const kh = tap(p, th);
          const kw = tap(q, tw);
          if (kh < 0 || kw < 0) continue;
          for (let o = 0; o < 64; o++)
            for (let c = 0; c < 3; c++)
              out[((th * 2 + tw) * 64 + o) * 12 + (p * 2 + q) * 3 + c] = k0[((kh * 3 + kw) * 3 + c) * 64 + o];
        }
  return out;
}

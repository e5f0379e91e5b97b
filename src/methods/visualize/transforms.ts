/**
 * Random robustness transforms for feature visualization (Olah et al. 2017, "Transformation
 * robustness"; Lucid's `standard_transforms`: pad 12, jitter 8, scale 0.9–1.1, rotate −10…10°,
 * jitter 4): each step the network sees a slightly shifted, scaled and rotated copy of the image,
 * so the optimum cannot rest on patterns that only work at one exact pixel alignment.
 *
 * Our network takes exactly 224×224, so the transforms are one affine warp of the 224×224 image
 * onto the 224×224 network view, bilinear, with grey (0.5) wherever the view falls outside the
 * image — Lucid's constant padding, without the network input growing. A point u of the image lands
 * at v = c + t₂ + R(θ)·s·(u − c + t₁) (c the centre): shift t₁, scale s and rotation θ about the
 * centre, shift t₂. The warp is linear in the image (plus the constant grey), so its adjoint
 * (`warpAdjoint`) is the transposed sampling: each view pixel's gradient goes back to the ≤ 4 image
 * pixels it was interpolated from. Both run in plain JS on 224×224×3 values (~1 ms).
 */
import { INPUT } from '../../engine/preprocess.js';

export interface TransformOptions {
  /** largest shift before scaling and rotating, px each axis (default 8) */
  jitter?: number;
  /** scale factors drawn from (default Lucid's 0.90, 0.92 … 1.10) */
  scales?: readonly number[];
  /** rotations in degrees drawn from (default Lucid's −10 … 10 plus five extra 0s) */
  rotations?: readonly number[];
  /** largest shift after, px each axis (default 4) */
  jitterAfter?: number;
}

export const DEFAULT_TRANSFORMS: Required<TransformOptions> = {
  jitter: 8,
  scales: Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50),
  rotations: [...Array.from({ length: 21 }, (_, i) => i - 10), 0, 0, 0, 0, 0],
  jitterAfter: 4,
};

export interface Affine {
  /** shift before, px (x right, y down) */
  t1: [number, number];
  scale: number;
  /** degrees */
  rotation: number;
  t2: [number, number];
}

export const IDENTITY: Affine = { t1: [0, 0], scale: 1, rotation: 0, t2: [0, 0] };

/** One random draw (integer shifts uniform in ±jitter, scale and rotation from the lists). */
export function randomAffine(random: () => number, options: TransformOptions = {}): Affine {
  const o = { ...DEFAULT_TRANSFORMS, ...options };
  const shift = (d: number) => (d > 0 ? Math.floor(random() * (2 * d + 1)) - d : 0);
  const pick = <T>(list: readonly T[]) => list[Math.min(list.length - 1, Math.floor(random() * list.length))];
  const t1: [number, number] = [shift(o.jitter), shift(o.jitter)];
  const scale = o.scales.length ? pick(o.scales) : 1;
  const rotation = o.rotations.length ? pick(o.rotations) : 0;
  return { t1, scale, rotation, t2: [shift(o.jitterAfter), shift(o.jitterAfter)] };
}

/** The sampling of one warp: per view pixel, 4 image-pixel indices (−1: outside) and weights. */
export interface Warp {
  index: Int32Array;
  weight: Float32Array;
  /** per view pixel, the weight that fell outside the image (filled with the pad value) */
  outside: Float32Array;
}

/** Build the bilinear sampling of an affine map, for a size×size image and view. */
export function makeWarp(affine: Affine, size = INPUT): Warp {
  const n = size * size;
  const index = new Int32Array(4 * n).fill(-1);
  const weight = new Float32Array(4 * n);
  const outside = new Float32Array(n);
  const c = (size - 1) / 2;
  const theta = (affine.rotation * Math.PI) / 180;
  // inverse map: u = c − t₁ + R(−θ)·(v − c − t₂)/s
  const cos = Math.cos(theta) / affine.scale;
  const sin = Math.sin(theta) / affine.scale;
  for (let vy = 0; vy < size; vy++)
    for (let vx = 0; vx < size; vx++) {
      const dx = vx - c - affine.t2[0];
      const dy = vy - c - affine.t2[1];
      const ux = c - affine.t1[0] + cos * dx + sin * dy;
      const uy = c - affine.t1[1] - sin * dx + cos * dy;
      const x0 = Math.floor(ux);
      const y0 = Math.floor(uy);
      const fx = ux - x0;
      const fy = uy - y0;
      const p = vy * size + vx;
      for (let k = 0; k < 4; k++) {
        const y = y0 + (k >> 1);
        const x = x0 + (k & 1);
        const w = (k >> 1 ? fy : 1 - fy) * (k & 1 ? fx : 1 - fx);
        if (w === 0) continue;
        if (y < 0 || y >= size || x < 0 || x >= size) outside[p] += w;
        else {
          index[4 * p + k] = y * size + x;
          weight[4 * p + k] = w;
        }
      }
    }
  return { index, weight, outside };
}

/** View = warp(image), 3 interleaved channels; `pad` fills what lies outside. */
export function warpImage(image: Float32Array, warp: Warp, pad: number): Float32Array {
  const n = warp.outside.length;
  const out = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) {
    const base = pad * warp.outside[p];
    let r = base;
    let g = base;
    let b = base;
    for (let k = 4 * p; k < 4 * p + 4; k++) {
      const i = warp.index[k];
      if (i < 0) continue;
      const w = warp.weight[k];
      r += w * image[3 * i];
      g += w * image[3 * i + 1];
      b += w * image[3 * i + 2];
    }
    out[3 * p] = r;
    out[3 * p + 1] = g;
    out[3 * p + 2] = b;
  }
  return out;
}

/** The adjoint: a gradient on the view → the gradient on the image (the pad gets none). */
export function warpAdjoint(gView: Float32Array, warp: Warp): Float32Array {
  const n = warp.outside.length;
  const out = new Float32Array(3 * n);
  for (let p = 0; p < n; p++)
    for (let k = 4 * p; k < 4 * p + 4; k++) {
      const i = warp.index[k];
      if (i < 0) continue;
      const w = warp.weight[k];
      out[3 * i] += w * gView[3 * p];
      out[3 * i + 1] += w * gView[3 * p + 1];
      out[3 * i + 2] += w * gView[3 * p + 2];
    }
  return out;
}

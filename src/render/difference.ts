/**
 * Difference pictures for fooling images and other perturbations, as in the CS231n write-ups:
 * "Difference" (the signed change, around a neutral colour) and "Magnified difference (10×)".
 *
 * out = clamp(center + gain · (modified − original)) per channel, rounded to 8 bits (round half to
 * even, as Uint8ClampedArray stores). Centre: mid-grey 128 by default, or any colour: the ImageNet
 * mean × 255 (engine/preprocess.ts) reproduces the CS231n notebook exactly, which deprocesses the
 * normalized difference (diff·std + mean), so zero change shows as the mean colour. The one
 * implementation of these pictures: the CLI's --diff/--diff10 and the popup's fooling panel.
 * No TF.js and no engine import (the popup bundles it).
 */
import { type AnyImage, channelsOf, type RgbaBuffer, type ScalarMap } from '../shared/image.js';
import { type HeatmapOptions, heatmap } from './overlay.js';

export interface DifferenceOptions {
  /** multiply the difference (1: true size; 10: the CS231n magnified picture) */
  gain?: number;
  /** colour of "no change" (default 'grey', 128) */
  center?: 'grey' | readonly [number, number, number];
}

function centerColor(center: DifferenceOptions['center']): readonly [number, number, number] {
  return center === undefined || center === 'grey' ? [128, 128, 128] : center;
}

function checkPair(a: AnyImage, b: AnyImage): { ca: number; cb: number; n: number } {
  const ca = channelsOf(a);
  const cb = channelsOf(b);
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`difference: images are ${a.width}×${a.height} and ${b.width}×${b.height}`);
  return { ca, cb, n: a.width * a.height };
}

/** Signed difference picture (RGB or RGBA inputs, floats allowed), opaque RGBA out. */
export function differenceImage(original: AnyImage, modified: AnyImage, options: DifferenceOptions = {}): RgbaBuffer {
  const { ca, cb, n } = checkPair(original, modified);
  const gain = options.gain ?? 1;
  const center = centerColor(options.center);
  const data = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++)
      data[p * 4 + c] = center[c] + gain * (modified.data[p * cb + c] - original.data[p * ca + c]);
    data[p * 4 + 3] = 255;
  }
  return { width: original.width, height: original.height, data };
}

/** The CS231n "Magnified difference (10×)" picture (gain 10, clipped). */
export function magnifiedDifference(
  original: AnyImage,
  modified: AnyImage,
  gain = 10,
  center: DifferenceOptions['center'] = 'grey',
): RgbaBuffer {
  return differenceImage(original, modified, { gain, center });
}

export interface DifferenceStats {
  /** largest |change| of any channel value, pixel units (the L∞ norm) */
  maxAbs: number;
  /** mean |change| over all channel values */
  meanAbs: number;
  /** L2 norm of the change over all channel values */
  l2: number;
  /** fraction of channel values that changed by at least 0.5 (i.e. differ once rounded to 8 bits) */
  changed: number;
}

export function differenceStats(original: AnyImage, modified: AnyImage): DifferenceStats {
  const { ca, cb, n } = checkPair(original, modified);
  let maxAbs = 0;
  let sum = 0;
  let sq = 0;
  let changed = 0;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(modified.data[p * cb + c] - original.data[p * ca + c]);
      if (d > maxAbs) maxAbs = d;
      sum += d;
      sq += d * d;
      if (d >= 0.5) changed++;
    }
  }
  return { maxAbs, meanAbs: sum / (3 * n), l2: Math.sqrt(sq), changed: changed / (3 * n) };
}

/** Per-pixel signed change summed over RGB, as a scalar map (for a diverging heat map). */
export function differenceMap(original: AnyImage, modified: AnyImage): ScalarMap & { data: Float32Array } {
  const { ca, cb, n } = checkPair(original, modified);
  const data = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let s = 0;
    for (let c = 0; c < 3; c++) s += modified.data[p * cb + c] - original.data[p * ca + c];
    data[p] = s;
  }
  return { width: original.width, height: original.height, data };
}

/** The signed change as a diverging heat map (blue: darker, red: brighter; white: unchanged). */
export function differenceHeatmap(original: AnyImage, modified: AnyImage, options: HeatmapOptions = {}): RgbaBuffer {
  return heatmap(differenceMap(original, modified), { normalize: 'symmetric', colormap: 'rdbu_r', ...options });
}

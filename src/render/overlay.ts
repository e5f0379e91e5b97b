/**
 * Heat maps, overlays, thresholded masks, legends, and drawing a 224×224 map back onto the part of
 * the original image that the network saw (engine/preprocess.ts `Geometry`).
 *
 * Everything works on plain RGBA buffers (render/image.ts); no DOM.
 */
import { DEFAULT_MASK_KEEP } from '../shared/catalog.js';
import type { Geometry } from '../shared/image.js';
import { type AnyImage, channelsOf, type RgbaBuffer, type ScalarMap, toRgba } from '../shared/image.js';
import { nthSmallest, quantile as strictQuantile } from '../shared/numeric.js';
import { resampleAffine } from '../shared/resample.js';
import { type Colormap, type ColormapName, colormap, lutIndex } from './colormap.js';

/**
 * How raw map values become [0,1] before the colormap:
 *  - 'minmax': (v − min) / (max − min)
 *  - 'max': v / max, negatives → 0 (non-negative maps such as |gradient| saliency)
 *  - 'percentile': (v − min) / (q − min) clipped at 1, q the `percentile`-th percentile: a few
 *    extreme pixels (common in gradient saliency) no longer wash out the rest
 *  - 'symmetric': 0.5 + v / (2·max|v|), so 0 sits at the middle of a diverging colormap
 *  - 'none': values are taken as already in [0,1] (clamped)
 * `range: [lo, hi]` overrides the mode: (v − lo) / (hi − lo), clamped. A constant map gives 0
 * (0.5 for 'symmetric'); non-finite values count as 0.
 */
export type Normalization = 'minmax' | 'max' | 'percentile' | 'symmetric' | 'none';

export interface NormalizeOptions {
  normalize?: Normalization;
  /** for 'percentile' (default 99) */
  percentile?: number;
  range?: readonly [number, number];
}

export function normalizeMap(map: ScalarMap | ArrayLike<number>, options: NormalizeOptions = {}): Float32Array {
  const values = 'data' in map && 'width' in map ? (map as ScalarMap).data : (map as ArrayLike<number>);
  const n = values.length;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Number.isFinite(values[i]) ? values[i] : 0;
  const mode = options.normalize ?? 'minmax';
  let lo: number;
  let hi: number;
  if (options.range) {
    [lo, hi] = options.range;
  } else {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      if (v[i] < min) min = v[i];
      if (v[i] > max) max = v[i];
    }
    if (n === 0) min = max = 0;
    switch (mode) {
      case 'minmax':
        lo = min;
        hi = max;
        break;
      case 'max':
        lo = 0;
        hi = max;
        break;
      case 'percentile':
        lo = min;
        hi = quantile(v, (options.percentile ?? 99) / 100);
        break;
      case 'symmetric': {
        const m = Math.max(Math.abs(min), Math.abs(max));
        lo = -m;
        hi = m;
        if (m === 0) return v.fill(0.5);
        break;
      }
      case 'none':
        lo = 0;
        hi = 1;
        break;
      default:
        throw new RangeError(`unknown normalization ${String(mode)}`);
    }
  }
  const span = hi - lo;
  if (!(span > 0)) return v.fill(0);
  for (let i = 0; i < n; i++) v[i] = Math.min(Math.max((v[i] - lo) / span, 0), 1);
  return v;
}

/**
 * The q-quantile of the values (numpy's linear definition), lenient for display: q is clamped to
 * [0, 1] and an empty map gives 0.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  return values.length === 0 ? 0 : strictQuantile(values, Math.min(Math.max(q, 0), 1));
}

export interface HeatmapOptions extends NormalizeOptions {
  colormap?: ColormapName | Colormap;
}

function resolveColormap(cm: ColormapName | Colormap | undefined, fallback: ColormapName): Colormap {
  return typeof cm === 'object' ? cm : colormap(cm ?? fallback);
}

/** H×W scalar map → opaque RGBA through a colormap (default inferno; rdbu_r for 'symmetric'). */
export function heatmap(map: ScalarMap, options: HeatmapOptions = {}): RgbaBuffer {
  checkMap(map);
  const t = normalizeMap(map, options);
  const cm = resolveColormap(options.colormap, options.normalize === 'symmetric' ? 'rdbu_r' : 'inferno');
  return colorize(t, map.width, map.height, cm);
}

/** Values already in [0,1] → RGBA. */
export function colorize(t: ArrayLike<number>, width: number, height: number, cm: Colormap | ColormapName): RgbaBuffer {
  const lut = (typeof cm === 'string' ? colormap(cm) : cm).lut;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const i = lutIndex(t[p]) * 3;
    data[p * 4] = lut[i];
    data[p * 4 + 1] = lut[i + 1];
    data[p * 4 + 2] = lut[i + 2];
    data[p * 4 + 3] = 255;
  }
  return { width, height, data };
}

export interface OverlayOptions {
  /** weight of the heat map, 0 (image only) … 1 (heat map only); default 0.5 */
  opacity?: number;
  /**
   * Per-pixel weights in [0,1] multiplying the opacity (e.g. the normalized map itself, so cold
   * pixels show the image untouched and hot ones the colour).
   */
  weights?: ArrayLike<number>;
}

/**
 * out = image·(1 − a) + heat·a per channel (alpha too), a = opacity · weight · heatAlpha/255.
 * Opacity 0 returns the image exactly, opacity 1 (opaque heat map, no weights) the heat map exactly.
 */
export function overlay(image: AnyImage, heat: AnyImage, options: OverlayOptions = {}): RgbaBuffer {
  const base = toRgba(image);
  const top = toRgba(heat);
  if (base.width !== top.width || base.height !== top.height) {
    throw new RangeError(`overlay: image is ${base.width}×${base.height}, heat map ${top.width}×${top.height}`);
  }
  const opacity = options.opacity ?? 0.5;
  if (!(opacity >= 0 && opacity <= 1)) throw new RangeError(`opacity must be in [0,1], got ${opacity}`);
  const weights = options.weights;
  if (weights && weights.length !== base.width * base.height)
    throw new RangeError(`weights: expected ${base.width * base.height} values, got ${weights.length}`);
  const out = new Uint8ClampedArray(base.data.length);
  for (let p = 0; p < base.width * base.height; p++) {
    const q = p * 4;
    let a = opacity * (top.data[q + 3] / 255);
    if (weights) a *= Math.min(Math.max(weights[p], 0), 1);
    for (let c = 0; c < 4; c++) out[q + c] = base.data[q + c] + (top.data[q + c] - base.data[q + c]) * a;
  }
  return { width: base.width, height: base.height, data: out };
}

export interface MaskOptions extends NormalizeOptions {
  /** keep this fraction of the pixels, the highest values (default DEFAULT_MASK_KEEP, 0.2) … */
  keep?: number;
  /** … or keep pixels whose normalized value is ≥ threshold (overrides keep) */
  threshold?: number;
  /** brightness left to dropped pixels, blended toward `background` (default 0.2) */
  dim?: number;
  /** colour dropped pixels fade to (default black) */
  background?: readonly [number, number, number];
}

/**
 * 1 where a pixel is kept, 0 where not: the one top-k % mask (saliency as segmentation) of the CLI's
 * --mask and the popup. With `keep`, the pixels at or above the k-th largest normalized value, so
 * ties at the cut are all kept (a flat map keeps everything).
 */
export function keepMask(map: ScalarMap, options: MaskOptions = {}): Uint8Array {
  checkMap(map);
  const t = normalizeMap(map, options);
  let cut: number;
  if (options.threshold !== undefined) {
    cut = options.threshold;
  } else {
    const keep = options.keep ?? DEFAULT_MASK_KEEP;
    if (!(keep >= 0 && keep <= 1)) throw new RangeError(`keep must be a fraction in [0,1], got ${keep}`);
    if (keep === 0 || t.length === 0) return new Uint8Array(t.length);
    // the k-th largest value (by selection, not a sort); ties at the cut are all kept
    const k = Math.max(1, Math.round(keep * t.length));
    cut = nthSmallest(Float32Array.from(t), t.length - k);
  }
  const mask = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) mask[i] = t[i] >= cut ? 1 : 0;
  return mask;
}

/** The image where the map is high; elsewhere dimmed toward the background. */
export function maskImage(image: AnyImage, map: ScalarMap, options: MaskOptions = {}): RgbaBuffer {
  const base = toRgba(image);
  if (base.width !== map.width || base.height !== map.height) {
    throw new RangeError(`mask: image is ${base.width}×${base.height}, map ${map.width}×${map.height}`);
  }
  const mask = keepMask(map, options);
  const dim = options.dim ?? 0.2;
  const bg = options.background ?? [0, 0, 0];
  const out = new Uint8ClampedArray(base.data);
  for (let p = 0; p < mask.length; p++) {
    if (mask[p]) continue;
    const q = p * 4;
    for (let c = 0; c < 3; c++) out[q + c] = base.data[q + c] * dim + bg[c] * (1 - dim);
  }
  return { width: base.width, height: base.height, data: out };
}

export interface LegendOptions {
  width?: number;
  height?: number;
  /** horizontal: 0 at the left; vertical: 0 at the bottom (default horizontal) */
  orientation?: 'horizontal' | 'vertical';
  /** positions in [0,1] marked with a 1-pixel tick line in contrasting grey */
  ticks?: readonly number[];
}

/** A colorbar strip. */
export function legend(cm: ColormapName | Colormap, options: LegendOptions = {}): RgbaBuffer {
  const lut = resolveColormap(cm, 'inferno').lut;
  const vertical = options.orientation === 'vertical';
  const width = options.width ?? (vertical ? 16 : 256);
  const height = options.height ?? (vertical ? 256 : 16);
  const length = vertical ? height : width;
  const data = new Uint8ClampedArray(width * height * 4);
  const tickAt = new Set((options.ticks ?? []).map((t) => Math.round(Math.min(Math.max(t, 0), 1) * (length - 1))));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = vertical ? height - 1 - y : x; // position along the bar
      const t = length > 1 ? k / (length - 1) : 0;
      const i = lutIndex(t) * 3;
      const q = (y * width + x) * 4;
      let rgb = [lut[i], lut[i + 1], lut[i + 2]];
      if (tickAt.has(k)) {
        const lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
        rgb = lum > 128 ? [0, 0, 0] : [255, 255, 255];
      }
      data[q] = rgb[0];
      data[q + 1] = rgb[1];
      data[q + 2] = rgb[2];
      data[q + 3] = 255;
    }
  }
  return { width, height, data };
}

export interface SourceMapOptions {
  /** output size (default the source image size): e.g. the size the page displays it at */
  width?: number;
  height?: number;
  /** value outside the region the network saw (default 0) */
  outside?: number;
}

export interface SourceMap extends ScalarMap {
  data: Float32Array;
  /** 1 inside the region the network saw, 0 outside (crop mode cuts off the sides) */
  inside: Uint8Array;
}

/**
 * A map over the network input (normally 224×224) → a map over the ORIGINAL image (or the image
 * at a display size), bilinear: output pixel (x, y) is the source point ((x+0.5)·sw/W,
 * (y+0.5)·sh/H); inside `geometry.region` it is read from the map at the corresponding position
 * (pixel centres at i + 0.5, edges repeated); outside it is `outside`.
 */
export function mapToSource(map: ScalarMap, geometry: Geometry, options: SourceMapOptions = {}): SourceMap {
  checkMap(map);
  const { sourceWidth: sw, sourceHeight: sh, region } = geometry;
  const width = options.width ?? sw;
  const height = options.height ?? sh;
  const xScale = sw / width; // source pixels per output pixel
  const yScale = sh / height;
  const data = resampleAffine(
    map.data,
    map.width,
    map.height,
    1,
    width,
    height,
    { offset: (-region.x * map.width) / region.width, scale: (xScale * map.width) / region.width },
    { offset: (-region.y * map.height) / region.height, scale: (yScale * map.height) / region.height },
  );
  const inside = new Uint8Array(width * height);
  const colIn = new Uint8Array(width);
  for (let x = 0; x < width; x++) {
    const sx = (x + 0.5) * xScale;
    colIn[x] = sx >= region.x && sx < region.x + region.width ? 1 : 0;
  }
  const outside = options.outside ?? 0;
  for (let y = 0; y < height; y++) {
    const sy = (y + 0.5) * yScale;
    const rowIn = sy >= region.y && sy < region.y + region.height;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (rowIn && colIn[x]) inside[i] = 1;
      else data[i] = outside;
    }
  }
  return { width, height, data, inside };
}

export interface SourceOverlayOptions extends HeatmapOptions, SourceMapOptions {
  /** heat map weight (default 0.5) */
  opacity?: number;
  /** scale the opacity by the normalized value, so cold areas keep the photo (default false) */
  weightByValue?: boolean;
  /** brightness left outside the region the network saw (default 1: untouched) */
  dimOutside?: number;
}

/**
 * The heat map of a network-input map drawn over the original image (RGBA or RGB, any size),
 * exactly where the network looked. The map is normalized on the network-input grid first, so
 * the colours match `heatmap(map)`; then resampled onto the source (or display) grid.
 */
export function overlayOnSource(
  source: AnyImage,
  map: ScalarMap,
  geometry: Geometry,
  options: SourceOverlayOptions = {},
): RgbaBuffer {
  channelsOf(source);
  if (source.width !== geometry.sourceWidth || source.height !== geometry.sourceHeight) {
    throw new RangeError(
      `source image is ${source.width}×${source.height}, ` +
        `geometry says ${geometry.sourceWidth}×${geometry.sourceHeight}`,
    );
  }
  const t = normalizeMap(map, options);
  const onSource = mapToSource({ width: map.width, height: map.height, data: t }, geometry, {
    width: options.width,
    height: options.height,
  });
  let base = toRgba(source);
  if (onSource.width !== base.width || onSource.height !== base.height) {
    // display size differs from the source: resample the photo too
    const scaled = resampleAffine(
      base.data,
      base.width,
      base.height,
      4,
      onSource.width,
      onSource.height,
      { offset: 0, scale: base.width / onSource.width },
      { offset: 0, scale: base.height / onSource.height },
    );
    base = { width: onSource.width, height: onSource.height, data: Uint8ClampedArray.from(scaled, Math.round) };
  }
  const cm = resolveColormap(options.colormap, options.normalize === 'symmetric' ? 'rdbu_r' : 'inferno');
  const heat = colorize(onSource.data, onSource.width, onSource.height, cm);
  const opacity = options.opacity ?? 0.5;
  const weights = new Float32Array(onSource.data.length);
  for (let i = 0; i < weights.length; i++)
    weights[i] = onSource.inside[i] ? (options.weightByValue ? onSource.data[i] : 1) : 0;
  const out = overlay(base, heat, { opacity, weights });
  const dim = options.dimOutside ?? 1;
  if (dim !== 1) {
    for (let i = 0; i < weights.length; i++) {
      if (onSource.inside[i]) continue;
      for (let c = 0; c < 3; c++) out.data[i * 4 + c] = out.data[i * 4 + c] * dim;
    }
  }
  return out;
}

function checkMap(map: ScalarMap): void {
  if (map.data.length !== map.width * map.height)
    throw new RangeError(`map has ${map.data.length} values, expected ${map.width}×${map.height}`);
}

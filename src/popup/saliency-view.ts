/**
 * The saliency picture from the stored data: the 8-bit map (224×224, base64) over the 224×224 view
 * the network saw (raw RGB, base64, stored apart: `saliencyView:<id>`). Pure RGBA through render/ (the same code as the CLI), and
 * synchronous: the popup draws the map in the same task as the update that brought it.
 */
import { colorize, keepMask, maskImage, normalizeMap, overlay } from '../render/overlay.js';
import { base64ToBytes, rgbFromBase64 } from '../shared/base64.js';
import { gaussianBlur } from '../shared/blur.js';
import { DEFAULT_MASK_KEEP } from '../shared/catalog.js';
import { type RgbaBuffer, type ScalarMap, toRgba } from '../shared/image.js';
import type { SaliencyData } from '../shared/task-results.js';
import type { ViewChoices } from './ui-state.js';

export interface DecodedSaliency {
  /** the data it was decoded from (a re-run stores new data) */
  source: SaliencyData;
  view: RgbaBuffer;
  map: ScalarMap;
  /** the map blurred (σ = 1.5 px) and normalized again: raw gradients are speckled */
  smooth: ScalarMap;
}

export function decodeMap(base64: string, size: number): ScalarMap {
  const bytes = base64ToBytes(base64);
  if (bytes.length !== size * size) {
    throw new Error(`saliency map: expected ${size * size} values, got ${bytes.length}`);
  }
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i] / 255;
  return { width: size, height: size, data };
}

function smoothed(map: ScalarMap): ScalarMap {
  const blurred = gaussianBlur(map.data, map.width, map.height, 1, 1.5);
  const data = normalizeMap(blurred, { normalize: 'percentile', percentile: 99.5 });
  return { width: map.width, height: map.height, data };
}

/** The stored view (size²·3 RGB bytes, base64) as opaque RGBA. */
export function decodeView(base64: string, size: number): RgbaBuffer {
  return toRgba({ width: size, height: size, data: rgbFromBase64(base64, size) });
}

/** The stored map with its view (decoded once by the caller: a re-run changes only the map). */
export function decodeSaliency(source: SaliencyData, view: RgbaBuffer): DecodedSaliency {
  if (view.width !== source.size) throw new Error(`saliency view: ${view.width} pixels wide, map ${source.size}`);
  const map = decodeMap(source.map, source.size);
  return { source, view, map, smooth: smoothed(map) };
}

const shownMap = (d: DecodedSaliency, choices: ViewChoices) => (choices.smooth ? d.smooth : d.map);

/**
 * The picture: the view (dimmed outside the top 20 % when masking) with the coloured map on top,
 * each pixel's colour weighted by its own value, so cold parts show the image and hot ones glow.
 */
export function compose(d: DecodedSaliency, choices: ViewChoices): RgbaBuffer {
  const map = shownMap(d, choices);
  const heat = colorize(map.data, map.width, map.height, choices.colormap);
  const base = choices.mask ? maskImage(d.view, map, { normalize: 'none', keep: DEFAULT_MASK_KEEP }) : d.view;
  return overlay(base, heat, { opacity: choices.opacity, weights: map.data });
}

/**
 * What goes over the page: the map alone, coloured, each pixel's opacity its value × the overlay
 * opacity; with the mask on, only the top 20 % (the same keepMask as the popup's picture).
 */
export function pageOverlay(d: DecodedSaliency, choices: ViewChoices): RgbaBuffer {
  const map = shownMap(d, choices);
  const heat = colorize(map.data, map.width, map.height, choices.colormap);
  const keep = choices.mask ? keepMask(map, { normalize: 'none', keep: DEFAULT_MASK_KEEP }) : null;
  for (let p = 0; p < map.width * map.height; p++) {
    const alpha = keep && !keep[p] ? 0 : Math.round(255 * choices.opacity * Math.min(1, Math.max(0, map.data[p])));
    heat.data[p * 4 + 3] = alpha;
  }
  return heat;
}

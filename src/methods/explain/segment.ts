/**
 * Saliency segmentation (Simonyan, Vedaldi & Zisserman 2013, "Deep Inside Convolutional
 * Networks", section "Weakly supervised object localisation"): the pixels above the 95th
 * percentile of a class saliency map seed the object, those below the 30th the background; colour
 * models fitted to the seeds and a graph cut give the object mask, of which the paper keeps the
 * largest connected component. The cut is GrabCut's (Rother, Kolmogorov & Blake 2004): unary
 * terms −log of a 5-component Gaussian mixture per side, a contrast-sensitive Potts term
 * γ·exp(−β‖z_m − z_n‖²)/dist(m, n) on the 8-neighbour grid with β = 1 / (2⟨‖z_m − z_n‖²⟩), seeds
 * held by terminal arcs no cut can afford; then, as GrabCut iterates, the mixtures are re-fitted
 * to the current labelling and the image cut again until the labelling stops changing.
 *
 * Pure and TF-free: it takes any RGB(A) image and a saliency map (any method's) with the geometry
 * that places the map on the image (the 224×224 network view is the centre crop or the stretched
 * whole image: engine/preprocess.ts). The cut runs on a grid of at most `maxSide` (320) pixels on
 * the long side — the image is shrunk (antialiased) when larger — and the mask is brought back to
 * the image's own size by bilinear interpolation at 0.5: the map has only 224×224 values anyway,
 * and the cost stays bounded (a 4000×3000 photo is cut at 320×240). Pixels outside the network's
 * view (the sides a centre crop drops) get no seed; the colour models label them. Unlike the paper,
 * the map is blurred before the percentiles are taken (σ = SEGMENT_DEFAULTS.blur map pixels):
 * SqueezeNet's vanilla maps are speckled, and their raw top 5 % seeds fragments (catalog.ts says
 * what was measured).
 */

import { mapToSource } from '../../render/overlay.js';
import { gaussianBlur } from '../../shared/blur.js';
import { SEGMENT_DEFAULTS, type SegmentDefaults } from '../../shared/catalog.js';
import type { AnyImage, Geometry, ScalarMap } from '../../shared/image.js';
import { toRgbFloat } from '../../shared/image.js';
import { quantile } from '../../shared/numeric.js';
import { resize } from '../../shared/resample.js';
import { assignComponents, type ColourSet, fitGmm, type Gmm, initialAssignment, logLikelihood } from './gmm.js';
import { MaxFlowGraph } from './max-flow.js';

export class SegmentError extends Error {}

export interface SegmentOptions extends Partial<SegmentDefaults> {
  /** where the map lies on the image (default: the map covers the whole image, stretched) */
  geometry?: Geometry;
}

export interface Segmentation {
  /** the image's size: the mask has one value per image pixel */
  width: number;
  height: number;
  /** 1 = object, 0 = background, row-major */
  mask: Uint8Array;
  foregroundFraction: number;
  /** the grid the cut ran on (the image, shrunk to maxSide) */
  grid: { width: number; height: number };
  /** seed pixels on the grid, and the saliency values that chose them */
  seeds: { foreground: number; background: number; foregroundAbove: number; backgroundBelow: number };
  /** GrabCut rounds run (colour models fitted + one cut each) */
  iterations: number;
  /** true when the last round changed no pixel */
  converged: boolean;
  /** the energy (unaries + Potts) after each round's cut */
  energies: number[];
  /** share of the grid's foreground dropped as not connected to the largest component */
  droppedByComponent: number;
  ms: number;
}

/** Object mask of an image from a saliency map (see the file comment). */
export function segmentFromSaliency(image: AnyImage, saliency: ScalarMap, options: SegmentOptions = {}): Segmentation {
  const t0 = performance.now();
  const o = { ...SEGMENT_DEFAULTS, ...options };
  checkOptions(o);
  const { width, height } = image;
  if (saliency.data.length !== saliency.width * saliency.height)
    throw new SegmentError(
      `saliency map has ${saliency.data.length} values, expected ${saliency.width}×${saliency.height}`,
    );
  const geometry: Geometry = options.geometry ?? {
    mode: 'fit',
    sourceWidth: width,
    sourceHeight: height,
    region: { x: 0, y: 0, width, height },
  };
  if (geometry.sourceWidth !== width || geometry.sourceHeight !== height)
    throw new SegmentError(
      `image is ${width}×${height}, geometry says ${geometry.sourceWidth}×${geometry.sourceHeight}`,
    );

  // ---- the grid: the image at ≤ maxSide, its colours and the map on it
  const scale = Math.min(1, o.maxSide / Math.max(width, height));
  const gw = Math.max(1, Math.round(width * scale));
  const gh = Math.max(1, Math.round(height * scale));
  const n = gw * gh;
  let colours: Float32Array = toRgbFloat(image);
  if (gw !== width || gh !== height) colours = resize(colours, width, height, 3, gw, gh);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < saliency.data.length; i++) {
    lo = Math.min(lo, saliency.data[i]);
    hi = Math.max(hi, saliency.data[i]);
  }
  if (!(hi > lo)) throw new SegmentError(`the saliency map is flat (every value ${lo}), so it names no object`);
  const smoothed =
    o.blur > 0
      ? {
          width: saliency.width,
          height: saliency.height,
          data: gaussianBlur(saliency.data, saliency.width, saliency.height, 1, o.blur),
        }
      : saliency;
  const onGrid = mapToSource(smoothed, geometry, { width: gw, height: gh });

  // ---- seeds: percentiles of the map over the part of the grid the network saw
  let inside = 0;
  for (let i = 0; i < n; i++) inside += onGrid.inside[i];
  const seen = new Float32Array(inside);
  for (let i = 0, k = 0; i < n; i++) if (onGrid.inside[i]) seen[k++] = onGrid.data[i];
  if (seen.length < 2)
    throw new SegmentError(`the image is too small to segment (${width}×${height}: no two pixels to seed)`);
  const above = quantile(seen, o.foregroundPercentile / 100);
  const below = quantile(seen, o.backgroundPercentile / 100);
  if (!(above > below))
    throw new SegmentError(
      `the saliency map is flat: its ${o.foregroundPercentile}th and ${o.backgroundPercentile}th percentiles ` +
        `are equal (${above}), so it names no object`,
    );
  /** 1 = object seed, 2 = background seed, 0 = free */
  const seed = new Uint8Array(n);
  let fgSeeds = 0;
  let bgSeeds = 0;
  for (let i = 0; i < n; i++) {
    if (!onGrid.inside[i]) continue;
    const v = onGrid.data[i];
    if (v >= above) {
      seed[i] = 1;
      fgSeeds++;
    } else if (v <= below) {
      seed[i] = 2;
      bgSeeds++;
    }
  }

  // ---- pairwise terms, fixed for all rounds
  const pairs = gridPairs(colours, gw, gh, o.neighbours, o.smoothness);
  // A seed's terminal arc costs more than cutting all its neighbour links: no cut can relabel it.
  const hard = new Float64Array(n);
  for (let e = 0; e < pairs.count; e++) {
    hard[pairs.a[e]] += pairs.weight[e];
    hard[pairs.b[e]] += pairs.weight[e];
  }
  for (let i = 0; i < n; i++) hard[i] += 1;

  // ---- GrabCut rounds, on one graph: the Potts links stay, the terminal arcs change
  const graph = new MaxFlowGraph(n, pairs.count);
  graph.addEdges(pairs.a, pairs.b, pairs.weight);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = seed[i] === 1 ? 1 : 0;
  let fg: Gmm | undefined;
  let bg: Gmm | undefined;
  const energies: number[] = [];
  let converged = false;
  let iterations = 0;
  const fgCost = new Float64Array(n);
  const bgCost = new Float64Array(n);
  while (iterations < o.iterations) {
    iterations++;
    // Round 1 fits the models to the seeds alone (the paper's models); later rounds to the
    // current labelling, each pixel first moved to its most likely component (GrabCut step 1).
    const fgSet = pixelSet(colours, n, (i) => (iterations === 1 ? seed[i] === 1 : labels[i] === 1));
    const bgSet = pixelSet(colours, n, (i) => (iterations === 1 ? seed[i] === 2 : labels[i] === 0));
    fg = fitGmm(fgSet, fg ? assignComponents(fg, fgSet) : initialAssignment(fgSet, o.components), o.components);
    bg = fitGmm(bgSet, bg ? assignComponents(bg, bgSet) : initialAssignment(bgSet, o.components), o.components);
    if (iterations > 1) graph.reset();
    let constant = 0;
    for (let i = 0; i < n; i++) {
      if (seed[i] === 1) graph.addTerminal(i, hard[i], 0);
      else if (seed[i] === 2) graph.addTerminal(i, 0, hard[i]);
      else {
        const p = i * 3;
        fgCost[i] = -logLikelihood(fg, colours[p], colours[p + 1], colours[p + 2]);
        bgCost[i] = -logLikelihood(bg, colours[p], colours[p + 1], colours[p + 2]);
        // −log densities can be negative: only their difference matters to the cut
        const m = Math.min(fgCost[i], bgCost[i]);
        constant += m;
        // source side = object: being background cuts the source arc
        graph.addTerminal(i, bgCost[i] - m, fgCost[i] - m);
      }
    }
    energies.push(graph.maxFlow() + constant);
    const side = graph.sourceSide();
    let changed = 0;
    for (let i = 0; i < n; i++) if (side[i] !== labels[i]) changed++;
    labels.set(side);
    if (changed === 0 && iterations > 1) {
      converged = true;
      break;
    }
  }

  // ---- the paper's object: the largest 8-connected component of the foreground
  let droppedByComponent = 0;
  if (o.largestComponent) {
    const before = count(labels);
    keepLargestComponent(labels, gw, gh);
    droppedByComponent = before > 0 ? (before - count(labels)) / before : 0;
  }

  // ---- back to the image's size
  let mask: Uint8Array;
  if (gw === width && gh === height) mask = labels;
  else {
    const up = resize(labels, gw, gh, 1, width, height);
    mask = new Uint8Array(width * height);
    for (let i = 0; i < mask.length; i++) mask[i] = up[i] >= 0.5 ? 1 : 0;
  }
  return {
    width,
    height,
    mask,
    foregroundFraction: count(mask) / mask.length,
    grid: { width: gw, height: gh },
    seeds: { foreground: fgSeeds, background: bgSeeds, foregroundAbove: above, backgroundBelow: below },
    iterations,
    converged,
    energies,
    droppedByComponent,
    ms: performance.now() - t0,
  };
}

function checkOptions(o: SegmentDefaults): void {
  const bad = (what: string) => {
    throw new SegmentError(what);
  };
  if (
    !(o.backgroundPercentile >= 0 && o.backgroundPercentile < o.foregroundPercentile && o.foregroundPercentile <= 100)
  )
    bad(
      `percentiles must satisfy 0 ≤ background < foreground ≤ 100, got ${o.backgroundPercentile}, ${o.foregroundPercentile}`,
    );
  if (!(Number.isInteger(o.components) && o.components >= 1 && o.components <= 16))
    bad(`components must be an integer 1…16, got ${o.components}`);
  if (!(Number.isInteger(o.iterations) && o.iterations >= 1 && o.iterations <= 100))
    bad(`iterations must be an integer 1…100, got ${o.iterations}`);
  if (!(o.smoothness >= 0 && Number.isFinite(o.smoothness))) bad(`smoothness must be ≥ 0, got ${o.smoothness}`);
  if (o.neighbours !== 4 && o.neighbours !== 8) bad(`neighbours must be 4 or 8, got ${o.neighbours}`);
  if (!(o.blur >= 0 && o.blur <= 64)) bad(`blur must be 0…64 map pixels, got ${o.blur}`);
  if (!(Number.isInteger(o.maxSide) && o.maxSide >= 8)) bad(`maxSide must be an integer ≥ 8, got ${o.maxSide}`);
}

function pixelSet(colours: Float32Array, n: number, take: (i: number) => boolean): ColourSet {
  const chosen = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) if (take(i)) chosen[m++] = i;
  if (m === 0) throw new SegmentError('one side of the cut has no pixels left to fit a colour model to');
  return { colours, pixels: chosen.subarray(0, m) };
}

interface Pairs {
  count: number;
  a: Int32Array;
  b: Int32Array;
  weight: Float64Array;
}

/**
 * Neighbour pairs of the grid (right, down, and for 8 neighbours both diagonals down) with
 * GrabCut's weights γ·exp(−β‖z_a − z_b‖²)/dist, β = 1 / (2·mean ‖z_a − z_b‖²) over these pairs
 * (0 for a flat image: plain Potts).
 */
export function gridPairs(colours: ArrayLike<number>, w: number, h: number, neighbours: 4 | 8, gamma: number): Pairs {
  // right, down, down-right, down-left (the last two only for 8 neighbours)
  const dxs = [1, 0, 1, -1];
  const dys = [0, 1, 1, 1];
  const dists = [1, 1, Math.SQRT2, Math.SQRT2];
  const kinds = neighbours === 8 ? 4 : 2;
  const max = kinds * w * h;
  const a = new Int32Array(max);
  const b = new Int32Array(max);
  const weight = new Float64Array(max);
  const dist = new Float64Array(max);
  let count = 0;
  let total = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < kinds; k++) {
        const nx = x + dxs[k];
        const ny = y + dys[k];
        if (nx < 0 || nx >= w || ny >= h) continue;
        const i = y * w + x;
        const j = ny * w + nx;
        const dr = colours[i * 3] - colours[j * 3];
        const dg = colours[i * 3 + 1] - colours[j * 3 + 1];
        const db = colours[i * 3 + 2] - colours[j * 3 + 2];
        const d2 = dr * dr + dg * dg + db * db;
        a[count] = i;
        b[count] = j;
        weight[count] = d2; // colour distance for now
        dist[count] = dists[k];
        total += d2;
        count++;
      }
  const beta = total > 0 ? count / (2 * total) : 0;
  for (let e = 0; e < count; e++) weight[e] = (gamma / dist[e]) * Math.exp(-beta * weight[e]);
  return { count, a: a.subarray(0, count), b: b.subarray(0, count), weight: weight.subarray(0, count) };
}

function count(mask: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) s += mask[i];
  return s;
}

/** Zeroes every foreground pixel outside the largest 8-connected foreground component (in place). */
export function keepLargestComponent(mask: Uint8Array, w: number, h: number): void {
  const component = new Int32Array(mask.length); // 0 = unvisited
  const queue = new Int32Array(mask.length);
  let best = 0;
  let bestSize = 0;
  let id = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || component[start]) continue;
    id++;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    component[start] = id;
    while (head < tail) {
      const i = queue[head++];
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const j = ny * w + nx;
          if (mask[j] && !component[j]) {
            component[j] = id;
            queue[tail++] = j;
          }
        }
    }
    if (tail > bestSize) {
      bestSize = tail;
      best = id;
    }
  }
  for (let i = 0; i < mask.length; i++) if (mask[i] && component[i] !== best) mask[i] = 0;
}

/**
 * What each task leaves behind when it succeeds: the small summaries kept in the job record
 * (TaskResults in ./jobs.ts maps each task kind to one of these) and the larger data stored under
 * a key of its own (saliency maps, fooling images, segmentation masks, the kept style image).
 */

import type { AttackMethod, InvertLayer, SaliencyMethodName, StylePreset } from './catalog.js';
import type { ClassProb } from './classes.js';

/** What a saliency job computed (in the job record; small). */
export interface SaliencyInfo {
  /** method name, e.g. 'vanilla' */
  method: SaliencyMethodName;
  /** e.g. 'Vanilla gradient' */
  methodTitle: string;
  /** a signed map (gradient × input, IG) of which only the positive part (evidence for) is stored */
  positivePart?: boolean;
  /** the class explained (the top-1 class) */
  classIndex: number;
  label: string;
  probability: number;
  /** time to compute the map */
  ms: number;
}

/** The model-randomization check of a saliency map (Adebayo et al. 2018). */
export interface SanityInfo {
  /** the map's method and version it checked (a re-run with another method makes it stale) */
  method: SaliencyMethodName;
  mapMs: number;
  modelSensitive: boolean;
  /** Spearman rank correlation of |map| after the top layers were randomized, and the threshold */
  correlation: number;
  threshold: number;
  after: string;
  message: string;
  steps: { block: string; spearman: number }[];
  ms: number;
}

/** How the user named the target of a fooling image. */
export type TargetChoice =
  | { kind: 'index'; index: number }
  | { kind: 'least-likely' }
  | { kind: 'random'; seed: number };

export interface FoolInfo {
  method: AttackMethod;
  /** the budget used: at most this many steps (cs231n), or ε in /255 (pgd, fgsm) */
  budget: number;
  /** the target probability asked for (0: top-1 was enough) */
  confidence: number;
  target: { index: number; label: string; how: TargetChoice['kind'] };
  source: { index: number; label: string };
  success: boolean;
  iterations: number;
  /** max |Δ| in pixel levels (/255), L2 in pixel units, fraction of pixels changed */
  linf: number;
  l2: number;
  changedPixels: number;
  targetProbBefore: number;
  targetProbAfter: number;
  /** the fooled 8-bit image classified again, from its PNG bytes, as a fresh image */
  reclassified: ClassProb;
  backend: string;
  ms: number;
}

/** A fooling job's pictures: the exact 224×224 view the network saw and the fooled 8-bit image, both lossless PNG. */
export interface FoolData {
  size: number;
  view: string;
  fooled?: string;
}

export interface DreamInfo {
  layer: string;
  width: number;
  height: number;
  objectiveGain: number;
  ms: number;
  /** the backend that ran it, e.g. "wasm (SIMD, 1 thread)" */
  backend: string;
}

export interface VisualInfo {
  classIndex: number;
  label: string;
  iterations: number;
  /** done so far (live) */
  step: number;
  /** the final image's probability for the class, after 8-bit rounding */
  probability?: number;
  ms?: number;
  /** the backend that ran it */
  backend?: string;
}

/** The style image as kept in storage.local (STYLE_IMAGE_KEY). */
export interface StyleImage {
  /** the picture whole at its aspect ratio, smallest side 192 (SYNTHESIS_SIZES.style), lossless PNG data: URL */
  png: string;
  /** its top-1 class, to name it */
  label: string;
  /** where it came from (shortened data: URLs), and when it was kept */
  url?: string;
  pageUrl?: string;
  savedAt: number;
}

/** Largest stored style image PNG (a 512×192 RGB PNG, the largest at 192, is at most ~300 KB; base64 4/3 of that). */
const MAX_STYLE_PNG_CHARS = 1024 * 1024;

/** The stored style image, or null when there is none or it is malformed (never trusted blindly). */
export function parseStyleImage(v: unknown): StyleImage | null {
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Record<string, unknown>;
  const optionalText = (x: unknown) => x === undefined || (typeof x === 'string' && x.length <= 4096);
  if (
    typeof s.png !== 'string' ||
    s.png.length > MAX_STYLE_PNG_CHARS ||
    !s.png.startsWith('data:image/png;base64,') ||
    typeof s.label !== 'string' ||
    s.label.length > 200 ||
    !optionalText(s.url) ||
    !optionalText(s.pageUrl) ||
    typeof s.savedAt !== 'number' ||
    !Number.isFinite(s.savedAt)
  )
    return null;
  return {
    png: s.png,
    label: s.label,
    url: s.url as string | undefined,
    pageUrl: s.pageUrl as string | undefined,
    savedAt: s.savedAt,
  };
}

/** "Use as style image": the picture kept (its label; the image itself is in storage.local). */
export interface StyleInfo {
  label: string;
  savedAt: number;
}

/** The weighted loss terms of one image (methods/synthesize/losses.ts). */
export interface LossParts {
  total: number;
  content: number;
  style: number;
  tv: number;
}

/** Loss numbers of a synthesis (start: the initial image; end: the saved 8-bit result). */
export interface SynthesisNumbers {
  iterations: number;
  start: LossParts;
  end: LossParts;
  ms: number;
  msPerIteration: number;
  /** the backend that ran it */
  backend: string;
}

/** Feature inversion (Mahendran & Vedaldi 2015) of the job's picture (whole, smallest side 192). */
export interface InvertInfo extends SynthesisNumbers {
  layer: InvertLayer;
}

/** "What does each layer keep?": the view inverted from each of COMPARE_LAYERS, content loss per layer. */
export interface LayersInfo extends Omit<SynthesisNumbers, 'start' | 'end'> {
  layers: { layer: InvertLayer; start: number; end: number }[];
}

/** Style transfer (Gatys et al. 2016) of the job's picture (whole, smallest side 192) in the style image's style. */
export interface StylizeInfo extends SynthesisNumbers {
  preset: StylePreset;
  strength: number;
  /** the style image's label and when it was kept (a later style image makes a re-run differ) */
  style: { label: string; savedAt: number };
}

/** Texture synthesis (Gatys et al. 2015) from the style image: its Gram matrices, from noise. */
export interface TextureInfo extends SynthesisNumbers {
  style: { label: string; savedAt: number };
}

/** Channel / neuron visualization (activation maximization): a job of its own, from the popup's tools. */
export interface ChannelInfo {
  layer: string;
  channel: number;
  neuron: boolean;
  steps: number;
  /** done so far (live) */
  step: number;
  /** the objective (before the ReLU) of the starting image and of the 8-bit result */
  objectiveStart?: number;
  objectiveEnd?: number;
  ms?: number;
  backend?: string;
}

/** A fooling image from noise (Nguyen et al. 2015) for a class visualization's class. */
export interface NoiseInfo {
  classIndex: number;
  label: string;
  success: boolean;
  /** the saved 8-bit image's probability for the class */
  probability: number;
  iterations: number;
  ms: number;
  backend: string;
}

/** The object cut out along its saliency map (Simonyan et al. 2013 + GrabCut), on the network's view. */
export interface SegmentInfo {
  method: SaliencyMethodName;
  classIndex: number;
  label: string;
  foregroundFraction: number;
  iterations: number;
  converged: boolean;
  ms: number;
}

/** A segmentation's pictures, 224×224 PNG data: URLs: the view, the cut-out (transparent
 * outside the object) and the page overlay (the background dimmed, the object clear). */
export interface SegmentData {
  view: string;
  cutout: string;
  overlay: string;
}

/**
 * A saliency map as stored: SIZE×SIZE values normalized to [0,1] (clipped at the 99th percentile)
 * and quantized to 8 bits, base64; and the SIZE×SIZE view the network saw as a PNG data: URL
 * (lossless: the exact input pixels).
 */
export interface SaliencyData {
  size: number;
  /** base64 of size² bytes, row-major */
  map: string;
}

/**
 * The view a saliency map explains (`saliencyView:<id>`): base64 of the network's input view,
 * size²·3 bytes (RGB, row-major), the exact pixels, which the popup draws without an image decode
 * and a re-run classifies again (a PNG cost the click an encode in the worker and an asynchronous
 * decode in the popup).
 */
export type SaliencyView = string;

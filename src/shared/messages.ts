/**
 * Every message between SqueezeLens's contexts, typed and validated on arrival.
 *
 *   service worker → content script (tabs.sendMessage, one frame):  capture
 *   service worker → offscreen document (runtime.sendMessage):       rasterize-svg
 *   popup / options → service worker (runtime.sendMessage):          hello, cancel, saliency, fool,
 *                                                                    sanity, dream, visualize,
 *                                                                    invert, layers, stylize, texture,
 *                                                                    channel, noise
 *   popup → content script (tabs.sendMessage, the job's frame):      show-overlay, remove-overlay,
 *                                                                    replace-image, restore-image
 *
 * Web pages cannot send any of these: the manifest declares no `externally_connectable` and the
 * worker registers no onMessageExternal, and content scripts listen to runtime messages only (never
 * window.postMessage). Still, every receiver checks the sender (this extension, and the expected
 * kind of context) and the shape (exact type tag, field types, sizes) before acting, and answers
 * a malformed message with an error instead of guessing.
 */
import {
  ATTACK_METHODS,
  type AttackMethod,
  CHANNEL_LAYERS,
  CHANNEL_STEPS,
  type ChannelLayer,
  FOOL_CONFIDENCES,
  INVERT_LAYERS,
  type InvertLayer,
  PICKER_METHODS,
  type SaliencyMethodName,
  STYLE_PRESETS,
  STYLIZE_DEFAULTS,
  type StylePreset,
  VISUALIZE_ITERATIONS,
  validBudget,
} from './catalog.js';
import type { ErrorCode, JobError, TargetChoice } from './jobs.js';

export const MESSAGE_PREFIX = 'squeezelens/';

/** Largest data: URL a capture may carry (a canvas/video frame or a converted blob:). */
export const MAX_CAPTURE_CHARS = 48 * 1024 * 1024;
const MAX_URL_CHARS = MAX_CAPTURE_CHARS;
const MAX_ID_CHARS = 64;

// ---- service worker → content script ----------------------------------------------------------

export interface CaptureRequest {
  type: 'squeezelens/capture';
  jobId: string;
  /** what the browser says was right-clicked (images/video/audio), a hint */
  srcUrl?: string;
  mediaType?: string;
}

/** What the content script found under the pointer. */
export type CaptureSource =
  /** an address for the worker to fetch: http(s), data: (blob: is converted to data: first) */
  | { kind: 'url'; url: string; element: string; svg?: boolean; displayWidth?: number; displayHeight?: number }
  /** pixels the page itself drew (canvas, video frame), as a PNG data: URL */
  | { kind: 'pixels'; dataUrl: string; element: string; width: number; height: number };

export type CaptureReply = { ok: true; source: CaptureSource; pageUrl: string } | { ok: false; error: JobError };

// ---- service worker → offscreen document ------------------------------------------------------

export interface RasterizeRequest {
  type: 'squeezelens/rasterize-svg';
  target: 'offscreen';
  /** data:image/svg+xml;base64,… */
  dataUrl: string;
  /** size to use when the SVG has no intrinsic size (its size on the page) */
  fallbackWidth?: number;
  fallbackHeight?: number;
  maxPixels: number;
}

export type RasterizeReply =
  | { ok: true; dataUrl: string; width: number; height: number }
  | { ok: false; error: JobError };

// ---- popup / options → service worker ---------------------------------------------------------

export interface HelloRequest {
  type: 'squeezelens/hello';
}
export interface HelloReply {
  ok: true;
  /** the worker instance (its performance.timeOrigin) */
  worker: number;
}

export interface CancelRequest {
  type: 'squeezelens/cancel';
  jobId: string;
}
export interface CancelReply {
  ok: boolean;
  /** why nothing was cancelled */
  reason?: string;
}

/** Re-run a finished saliency job's map with another method (on the same 224×224 pixels). */
export interface SaliencyRequest {
  type: 'squeezelens/saliency';
  jobId: string;
  method: SaliencyMethodName;
}

/** Make a fooling image from a finished fooling job's 224×224 view. */
export interface FoolRequest {
  type: 'squeezelens/fool';
  jobId: string;
  target: TargetChoice;
  method: AttackMethod;
  /** cs231n: at most this many steps; pgd / fgsm: ε in /255 */
  budget: number;
  /** stop once the target's probability reaches this (0: as soon as it is top-1); one of FOOL_CONFIDENCES */
  confidence: number;
}

/** Check whether a saliency job's current map depends on the model (model randomization). */
export interface SanityRequest {
  type: 'squeezelens/sanity';
  jobId: string;
}

/** DeepDream a finished job's image. */
export interface DreamRequest {
  type: 'squeezelens/dream';
  jobId: string;
}

/** Start a class visualization (a new job without an image). */
export interface VisualizeRequest {
  type: 'squeezelens/visualize';
  classIndex: number;
  iterations: number;
}

/** Reconstruct a finished inversion job's view from another layer's activations. */
export interface InvertRequest {
  type: 'squeezelens/invert';
  jobId: string;
  layer: InvertLayer;
}

/** "Compare layers": invert a finished inversion job's view from each of COMPARE_LAYERS, as one task. */
export interface LayersRequest {
  type: 'squeezelens/layers';
  jobId: string;
}

/** Style a finished style-transfer job's view again (another preset or strength, or a new style image). */
export interface StylizeRequest {
  type: 'squeezelens/stylize';
  jobId: string;
  preset: StylePreset;
  /** multiplies the preset's style weights, within STYLIZE_DEFAULTS.strengthRange */
  strength: number;
}

/** Start texture synthesis from the style image (a new job without a page image). */
export interface TextureRequest {
  type: 'squeezelens/texture';
}

/** Start a channel / neuron visualization (a new job without an image). */
export interface ChannelRequest {
  type: 'squeezelens/channel';
  layer: ChannelLayer;
  /** checked against the layer's channel count by the worker */
  channel: number;
  neuron: boolean;
  steps: number;
}

/** A fooling image from noise for a finished class visualization's class. */
export interface NoiseRequest {
  type: 'squeezelens/noise';
  jobId: string;
}

/** What the worker answers to fool / sanity / dream / visualize / saliency: accepted, or why not. */
export interface TaskReply {
  ok: boolean;
  reason?: string;
  /** visualize: the new job */
  jobId?: string;
}

export type WorkerRequest =
  | HelloRequest
  | CancelRequest
  | SaliencyRequest
  | FoolRequest
  | SanityRequest
  | DreamRequest
  | VisualizeRequest
  | InvertRequest
  | LayersRequest
  | StylizeRequest
  | TextureRequest
  | ChannelRequest
  | NoiseRequest;

/** The worker's answer to each request. */
export interface WorkerReplies {
  'squeezelens/hello': HelloReply;
  'squeezelens/cancel': CancelReply;
  'squeezelens/saliency': TaskReply;
  'squeezelens/fool': TaskReply;
  'squeezelens/sanity': TaskReply;
  'squeezelens/dream': TaskReply;
  'squeezelens/visualize': TaskReply;
  'squeezelens/invert': TaskReply;
  'squeezelens/layers': TaskReply;
  'squeezelens/stylize': TaskReply;
  'squeezelens/texture': TaskReply;
  'squeezelens/channel': TaskReply;
  'squeezelens/noise': TaskReply;
}

// ---- popup → content script (the frame a job's image came from) ------------------------------

/** Where the network's 224×224 view lies in the page image (source pixels), as in Geometry. */
export interface OverlayGeometry {
  sourceWidth: number;
  sourceHeight: number;
  region: { x: number; y: number; width: number; height: number };
}

export type PageRequest =
  | { type: 'squeezelens/show-overlay'; jobId: string; png: string; geometry: OverlayGeometry }
  | { type: 'squeezelens/remove-overlay'; jobId: string }
  /** cover: the png is a centre crop (crop it to the element's box rather than stretch it) */
  | { type: 'squeezelens/replace-image'; jobId: string; png: string; cover: boolean }
  | { type: 'squeezelens/restore-image'; jobId: string };

export type PageReply = { ok: true } | { ok: false; reason: string };

/** Overlays and replacement images are 224×224 PNGs: a few hundred KB at most. */
const MAX_PAGE_PNG_CHARS = 4 * 1024 * 1024;

// ---- validation --------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const isOptStr = (v: unknown, max: number) => v === undefined || isStr(v, max);
const isDim = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1 << 16;
const isOptDim = (v: unknown) => v === undefined || isDim(v);
const onlyKeys = (o: Obj, keys: readonly string[]) => Object.keys(o).every((k) => keys.includes(k));
export const isJobId = (v: unknown): v is string => isStr(v, MAX_ID_CHARS) && /^[a-z0-9-]+$/i.test(v);

const ERROR_CODES: readonly ErrorCode[] = [
  'http',
  'network',
  'timeout',
  'not-image',
  'undecodable',
  'too-large',
  'tainted',
  'no-frame',
  'no-image',
  'page-unreachable',
  'engine',
  'cancelled',
  'interrupted',
  'internal',
];
function isJobError(v: unknown): v is JobError {
  return isObj(v) && (ERROR_CODES as readonly unknown[]).includes(v.code) && isStr(v.message, 2000);
}

export function parseCaptureRequest(v: unknown): CaptureRequest | null {
  if (!isObj(v) || v.type !== 'squeezelens/capture' || !onlyKeys(v, ['type', 'jobId', 'srcUrl', 'mediaType']))
    return null;
  if (!isJobId(v.jobId) || !isOptStr(v.srcUrl, MAX_URL_CHARS) || !isOptStr(v.mediaType, 32)) return null;
  return v as unknown as CaptureRequest;
}

const URL_SCHEMES = /^(https?:|data:)/i;

export function parseCaptureReply(v: unknown): CaptureReply | null {
  if (!isObj(v)) return null;
  if (v.ok === false)
    return isJobError(v.error) ? { ok: false, error: { code: v.error.code, message: v.error.message } } : null;
  if (v.ok !== true || !isStr(v.pageUrl, 8192) || !isObj(v.source)) return null;
  const s = v.source;
  if (!isStr(s.element, 32)) return null;
  if (s.kind === 'url') {
    if (!isStr(s.url, MAX_URL_CHARS) || !URL_SCHEMES.test(s.url)) return null;
    if (s.svg !== undefined && typeof s.svg !== 'boolean') return null;
    if (!isOptDim(s.displayWidth) || !isOptDim(s.displayHeight)) return null;
    return {
      ok: true,
      pageUrl: v.pageUrl,
      source: {
        kind: 'url',
        url: s.url,
        element: s.element,
        svg: s.svg as boolean | undefined,
        displayWidth: s.displayWidth as number | undefined,
        displayHeight: s.displayHeight as number | undefined,
      },
    };
  }
  if (s.kind === 'pixels') {
    if (!isStr(s.dataUrl, MAX_CAPTURE_CHARS) || !s.dataUrl.startsWith('data:image/png;base64,')) return null;
    if (!isDim(s.width) || !isDim(s.height)) return null;
    return {
      ok: true,
      pageUrl: v.pageUrl,
      source: { kind: 'pixels', dataUrl: s.dataUrl, element: s.element, width: s.width, height: s.height },
    };
  }
  return null;
}

export function parseRasterizeRequest(v: unknown): RasterizeRequest | null {
  if (!isObj(v) || v.type !== 'squeezelens/rasterize-svg' || v.target !== 'offscreen') return null;
  if (!onlyKeys(v, ['type', 'target', 'dataUrl', 'fallbackWidth', 'fallbackHeight', 'maxPixels'])) return null;
  if (!isStr(v.dataUrl, MAX_CAPTURE_CHARS) || !v.dataUrl.startsWith('data:image/svg+xml')) return null;
  if (!isOptDim(v.fallbackWidth) || !isOptDim(v.fallbackHeight)) return null;
  if (typeof v.maxPixels !== 'number' || !(v.maxPixels > 0)) return null;
  return v as unknown as RasterizeRequest;
}

export function parseRasterizeReply(v: unknown): RasterizeReply | null {
  if (!isObj(v)) return null;
  if (v.ok === false) return isJobError(v.error) ? { ok: false, error: v.error } : null;
  if (v.ok !== true || !isStr(v.dataUrl, MAX_CAPTURE_CHARS) || !v.dataUrl.startsWith('data:image/png;base64,'))
    return null;
  if (!isDim(v.width) || !isDim(v.height)) return null;
  return { ok: true, dataUrl: v.dataUrl, width: v.width, height: v.height };
}

function parseTargetChoice(v: unknown): TargetChoice | null {
  if (!isObj(v)) return null;
  if (
    v.kind === 'index' &&
    onlyKeys(v, ['kind', 'index']) &&
    Number.isInteger(v.index) &&
    (v.index as number) >= 0 &&
    (v.index as number) < 1000
  )
    return { kind: 'index', index: v.index as number };
  if (v.kind === 'least-likely' && onlyKeys(v, ['kind'])) return { kind: 'least-likely' };
  if (
    v.kind === 'random' &&
    onlyKeys(v, ['kind', 'seed']) &&
    Number.isInteger(v.seed) &&
    (v.seed as number) >= 0 &&
    (v.seed as number) <= 0xffffffff
  )
    return { kind: 'random', seed: v.seed as number };
  return null;
}

const isGeometry = (v: unknown): v is OverlayGeometry => {
  const pos = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= 1 << 16;
  const nonNeg = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1 << 16;
  return (
    isObj(v) &&
    onlyKeys(v, ['sourceWidth', 'sourceHeight', 'region', 'mode']) &&
    pos(v.sourceWidth) &&
    pos(v.sourceHeight) &&
    isObj(v.region) &&
    nonNeg(v.region.x) &&
    nonNeg(v.region.y) &&
    pos(v.region.width) &&
    pos(v.region.height)
  );
};
const isPng = (v: unknown): v is string => isStr(v, MAX_PAGE_PNG_CHARS) && v.startsWith('data:image/png;base64,');

export function parsePageRequest(v: unknown): PageRequest | null {
  if (!isObj(v) || !isJobId(v.jobId)) return null;
  switch (v.type) {
    case 'squeezelens/show-overlay':
      if (!onlyKeys(v, ['type', 'jobId', 'png', 'geometry']) || !isPng(v.png) || !isGeometry(v.geometry)) return null;
      return {
        type: v.type,
        jobId: v.jobId,
        png: v.png,
        geometry: {
          sourceWidth: v.geometry.sourceWidth,
          sourceHeight: v.geometry.sourceHeight,
          region: { ...(v.geometry.region as OverlayGeometry['region']) },
        },
      };
    case 'squeezelens/replace-image':
      if (!onlyKeys(v, ['type', 'jobId', 'png', 'cover']) || !isPng(v.png) || typeof v.cover !== 'boolean') return null;
      return { type: v.type, jobId: v.jobId, png: v.png, cover: v.cover };
    case 'squeezelens/remove-overlay':
    case 'squeezelens/restore-image':
      return onlyKeys(v, ['type', 'jobId']) ? { type: v.type, jobId: v.jobId } : null;
    default:
      return null;
  }
}

export function parseWorkerRequest(v: unknown): WorkerRequest | null {
  if (!isObj(v)) return null;
  if (
    v.type === 'squeezelens/fool' &&
    onlyKeys(v, ['type', 'jobId', 'target', 'method', 'budget', 'confidence']) &&
    isJobId(v.jobId) &&
    (ATTACK_METHODS as readonly unknown[]).includes(v.method)
  ) {
    const target = parseTargetChoice(v.target);
    const method = v.method as AttackMethod;
    if (!target || !validBudget(method, v.budget) || !(FOOL_CONFIDENCES as readonly unknown[]).includes(v.confidence))
      return null;
    return {
      type: 'squeezelens/fool',
      jobId: v.jobId,
      target,
      method,
      budget: v.budget,
      confidence: v.confidence as number,
    };
  }
  if (
    (v.type === 'squeezelens/sanity' || v.type === 'squeezelens/dream' || v.type === 'squeezelens/layers') &&
    onlyKeys(v, ['type', 'jobId']) &&
    isJobId(v.jobId)
  )
    return { type: v.type, jobId: v.jobId };
  if (v.type === 'squeezelens/visualize' && onlyKeys(v, ['type', 'classIndex', 'iterations'])) {
    const { classIndex, iterations } = v;
    if (!Number.isInteger(classIndex) || (classIndex as number) < 0 || (classIndex as number) >= 1000) return null;
    if (
      !Number.isInteger(iterations) ||
      (iterations as number) < VISUALIZE_ITERATIONS.min ||
      (iterations as number) > VISUALIZE_ITERATIONS.max
    )
      return null;
    return { type: v.type, classIndex: classIndex as number, iterations: iterations as number };
  }
  if (
    v.type === 'squeezelens/invert' &&
    onlyKeys(v, ['type', 'jobId', 'layer']) &&
    isJobId(v.jobId) &&
    (INVERT_LAYERS as readonly unknown[]).includes(v.layer)
  )
    return { type: v.type, jobId: v.jobId, layer: v.layer as InvertLayer };
  if (
    v.type === 'squeezelens/stylize' &&
    onlyKeys(v, ['type', 'jobId', 'preset', 'strength']) &&
    isJobId(v.jobId) &&
    (STYLE_PRESETS as readonly unknown[]).includes(v.preset) &&
    typeof v.strength === 'number' &&
    v.strength >= STYLIZE_DEFAULTS.strengthRange.min &&
    v.strength <= STYLIZE_DEFAULTS.strengthRange.max
  )
    return { type: v.type, jobId: v.jobId, preset: v.preset as StylePreset, strength: v.strength };
  if (v.type === 'squeezelens/hello' && onlyKeys(v, ['type'])) return { type: 'squeezelens/hello' };
  if (v.type === 'squeezelens/texture' && onlyKeys(v, ['type'])) return { type: 'squeezelens/texture' };
  if (v.type === 'squeezelens/noise' && onlyKeys(v, ['type', 'jobId']) && isJobId(v.jobId))
    return { type: v.type, jobId: v.jobId };
  if (
    v.type === 'squeezelens/channel' &&
    onlyKeys(v, ['type', 'layer', 'channel', 'neuron', 'steps']) &&
    (CHANNEL_LAYERS as readonly unknown[]).includes(v.layer) &&
    Number.isInteger(v.channel) &&
    (v.channel as number) >= 0 &&
    (v.channel as number) < 1000 &&
    typeof v.neuron === 'boolean' &&
    Number.isInteger(v.steps) &&
    (v.steps as number) >= CHANNEL_STEPS.min &&
    (v.steps as number) <= CHANNEL_STEPS.max
  )
    return {
      type: v.type,
      layer: v.layer as ChannelLayer,
      channel: v.channel as number,
      neuron: v.neuron,
      steps: v.steps as number,
    };
  if (v.type === 'squeezelens/cancel' && onlyKeys(v, ['type', 'jobId']) && isJobId(v.jobId))
    return { type: 'squeezelens/cancel', jobId: v.jobId };
  if (
    v.type === 'squeezelens/saliency' &&
    onlyKeys(v, ['type', 'jobId', 'method']) &&
    isJobId(v.jobId) &&
    (PICKER_METHODS as readonly unknown[]).includes(v.method)
  ) {
    return { type: 'squeezelens/saliency', jobId: v.jobId, method: v.method as SaliencyMethodName };
  }
  return null;
}

// ---- senders -----------------------------------------------------------------------------------

/** The minimal sender shape (chrome.runtime.MessageSender and the polyfill's agree on these). */
export interface SenderLike {
  id?: string;
  url?: string;
  tab?: unknown;
}

/**
 * Inside the package: `chrome-extension://<id>/…` (a prefix test: URL.origin of such a URL is
 * "null" outside Chromium).
 */
function inPackage(url: string | undefined, extensionOrigin: string): boolean {
  return typeof url === 'string' && url.startsWith(`${extensionOrigin}/`);
}

/**
 * From one of this extension's own pages (popup, options, offscreen document) or its worker:
 * the extension id matches and the sending document is inside the package. A content script
 * shares the id but its url is the web page's, so it fails this check.
 */
export function isFromExtensionPage(sender: SenderLike, extensionId: string, extensionOrigin: string): boolean {
  return sender.id === extensionId && inPackage(sender.url, extensionOrigin);
}

/**
 * For a content script receiving from the worker or the popup (tabs.sendMessage): this extension,
 * and not from a tab (another content script of ours would carry `tab`). When Chrome includes the
 * url, it must be inside the package.
 */
export function isFromWorker(sender: SenderLike, extensionId: string, extensionOrigin: string): boolean {
  if (sender.id !== extensionId || sender.tab !== undefined) return false;
  return sender.url === undefined || inPackage(sender.url, extensionOrigin);
}

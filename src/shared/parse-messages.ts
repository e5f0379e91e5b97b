/**
 * Validation of every message in ./messages.ts on arrival: exact type tag, field types and sizes
 * (a malformed message is answered with an error instead of guessed at). Which contexts may send
 * what is checked separately by the sender tests at the end of ./messages.ts.
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
import type { ErrorCode, JobError } from './jobs.js';
import {
  type CaptureReply,
  type CaptureRequest,
  MAX_CAPTURE_CHARS,
  type OverlayGeometry,
  type PageRequest,
  type RasterizeReply,
  type RasterizeRequest,
  type WorkerRequest,
} from './messages.js';
import type { TargetChoice } from './task-results.js';

const MAX_URL_CHARS = MAX_CAPTURE_CHARS;
const MAX_ID_CHARS = 64;
/** Overlays and replacement images are 224×224 PNGs: a few hundred KB at most. */
const MAX_PAGE_PNG_CHARS = 4 * 1024 * 1024;

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

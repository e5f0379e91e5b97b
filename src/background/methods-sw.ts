/**
 * The methods (saliency, fooling images, class visualization) run inside the service worker, on
 * the worker's engine: the same code as the CLI. Used by the test/benchmark hook now and by the
 * popup's saliency and fooling panels next.
 */
import { preprocess, type PreprocessMode } from '../engine/preprocess.js';
import { attackSummary, runAttack, type AttackProgress, type AttackRequest, type AttackSummary } from '../methods/attack/index.js';
import { describeBackend } from '../engine/backend.js';
import { CASCADE, modelRandomization, type MapFn } from '../methods/trust/model-randomization.js';
import { deepDream } from '../methods/visualize/deepdream.js';
import type { FoolMethod, SanityInfo, TargetChoice } from '../shared/jobs.js';
import { parseTarget, resolveTarget } from '../methods/attack/targets.js';
import { pixelImage } from '../methods/common.js';
import { explain, SALIENCY_METHODS, type SaliencyMethodName, type SaliencyOptions } from '../methods/explain/index.js';
import { normalizeMap } from '../render/overlay.js';
import type { SaliencyInfo } from '../shared/jobs.js';
import { visualizeClass } from '../methods/visualize/class-visualization.js';
import { normalize } from '../engine/preprocess.js';
import { decodeImageBlob, fetchImageBlob } from './decode-sw.js';
import { classifyTensor, getEngine, liveTensors } from './engine-sw.js';

export interface SaliencyReply {
  method: string;
  classIndex: number;
  label: string;
  probability: number;
  stats: { min: number; max: number; mean: number; std: number };
  finite: boolean;
  /** the 224×224 map, row-major (for tests and the popup) */
  map: number[];
  backend: string;
  ms: number;
  numTensors: { before: number; after: number };
}

async function imageAt(url: string, mode: PreprocessMode = 'crop') {
  const image = await decodeImageBlob(await fetchImageBlob(url));
  return { image, pre: preprocess(image, mode) };
}

export async function saliencyOfUrl(url: string, method: SaliencyMethodName, options: SaliencyOptions = {}): Promise<SaliencyReply> {
  const engine = await getEngine();
  const { pre } = await imageAt(url);
  const before = liveTensors();
  const t0 = performance.now();
  const map = await explain(engine.model, pixelImage(pre.pixels), method, options);
  const ms = performance.now() - t0;
  return {
    method: map.method,
    classIndex: map.classIndex,
    label: engine.labels[map.classIndex],
    probability: map.probability,
    stats: { min: map.stats.min, max: map.stats.max, mean: map.stats.mean, std: map.stats.std },
    finite: map.data.every(Number.isFinite),
    map: Array.from(map.data),
    backend: engine.backend.backend,
    ms,
    numTensors: { before, after: liveTensors() },
  };
}

/**
 * A job's saliency map, from the 224×224 pixels its classification used: the map normalized to
 * [0,1] (clipped at the 99th percentile: a few extreme gradients would wash out the rest) and
 * quantized to 8 bits for storage.
 */
export async function saliencyForJob(
  pixels: ArrayLike<number>,
  method: SaliencyMethodName,
  control: { signal?: AbortSignal; onProgress?: (text: string, fraction?: number) => void } = {},
): Promise<{ info: SaliencyInfo; bytes: Uint8Array; size: number }> {
  const engine = await getEngine();
  const t0 = performance.now();
  const map = await explain(engine.model, pixelImage(pixels), method, {}, {
    signal: control.signal,
    onProgress: (p) => control.onProgress?.(p.message ?? `step ${p.step} of ${p.total}`, p.total ? p.step / p.total : undefined),
  });
  const ms = performance.now() - t0;
  // Signed maps (gradient × input, IG): the popup shows the evidence for the class, the positive part.
  let signed = false;
  for (let i = 0; i < map.data.length && !signed; i++) signed = map.data[i] < 0;
  const values = signed ? map.data.map((v) => Math.max(v, 0)) : map.data;
  const t = normalizeMap({ width: map.width, height: map.height, data: values }, { normalize: 'percentile' });
  const bytes = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) bytes[i] = Math.round(Math.min(Math.max(t[i], 0), 1) * 255);
  return {
    info: { method, methodTitle: SALIENCY_METHODS[method].title, positivePart: signed || undefined, classIndex: map.classIndex, label: engine.labels[map.classIndex], probability: map.probability, ms },
    bytes,
    size: map.width,
  };
}

export interface FoolReply extends AttackSummary {
  /** the fooled 8-bit image classified again from its bytes, as a fresh image would be */
  reclassified: { index: number; label: string; prob: number };
  numTensors: { before: number; after: number };
}

export async function foolUrl(url: string, target: string, request: Omit<AttackRequest, 'target'> & { margin?: number }): Promise<FoolReply> {
  const engine = await getEngine();
  const { pre } = await imageAt(url);
  const before = liveTensors();
  const probs = (await classifyTensor(pre.input, 1, { topk: 1000 })).top[0];
  const byIndex = new Float32Array(1000);
  for (const t of probs) byIndex[t.index] = t.prob;
  const resolved = resolveTarget(parseTarget(target), engine.labels, byIndex);
  const result = await runAttack(engine.model, pixelImage(pre.pixels), { ...request, target: resolved.index, backend: engine.backend.backend } as AttackRequest);
  const again = (await classifyTensor(normalize(result.pixels), 1, { topk: 1 })).top[0][0];
  return { ...attackSummary(result, engine.labels), reclassified: { index: again.index, label: again.label, prob: again.prob }, numTensors: { before, after: liveTensors() } };
}

export async function visualizeInWorker(classIndex: number, iterations: number): Promise<{ probability: number; msPerIteration: number; top1: number }> {
  const engine = await getEngine();
  const result = await visualizeClass(engine.model, classIndex, { iterations, seed: 0 });
  return { probability: result.probability8bit, msPerIteration: result.msPerIteration, top1: result.top5[0].index };
}

export interface JobControl {
  signal?: AbortSignal;
  onProgress?: (text: string, fraction?: number) => void;
  /** an intermediate image (8-bit RGB) */
  onPreview?: (image: { width: number; height: number; rgb: Uint8ClampedArray }) => void;
}

/** Logit margin the popup's fooling images keep over every other class: they still fool on another backend (logits differ by ~1e-4). */
export const FOOL_MARGIN = 0.05;

/**
 * A fooling image from a job's 224×224 pixels: resolves the user's target against the image's own
 * probabilities (least likely / random), runs the attack with its budget, and returns the 8-bit
 * result. Success is judged by the attack on exactly these bytes; the caller re-checks from the PNG.
 */
export async function foolForJob(pixels: Uint8ClampedArray, request: { target: TargetChoice; method: FoolMethod; budget: number; confidence: number }, control: JobControl = {}) {
  const engine = await getEngine();
  const probs = (await classifyTensor(normalize(pixels), 1, { topk: 1000 })).top[0];
  const byIndex = new Float32Array(1000);
  for (const t of probs) byIndex[t.index] = t.prob;
  const target = resolveTarget(request.target, engine.labels, byIndex);
  const targetLabel = engine.labels[target.index];
  const common = {
    backend: engine.backend.backend,
    margin: FOOL_MARGIN,
    minProb: request.confidence,
    signal: control.signal,
    onProgress: (p: AttackProgress) =>
      control.onProgress?.(`step ${p.step}${request.method === 'cs231n' ? ` of at most ${p.total}` : ` of ${p.total}`} · ${targetLabel} ${(p.prob * 100).toFixed(1)} %`, p.total ? p.step / p.total : undefined),
  };
  const attack: AttackRequest =
    request.method === 'cs231n'
      ? { method: 'cs231n', target: target.index, maxIterations: request.budget, ...common }
      : request.method === 'pgd'
        ? // α = ε/4 (at least 0.25): ε 2 with α 0.5 fooled 12/12 photos (pgd.ts)
          { method: 'pgd', target: target.index, epsilon: request.budget, stepSize: Math.max(0.25, request.budget / 4), ...common }
        : { method: 'fgsm', target: target.index, epsilon: request.budget, ...common };
  const result = await runAttack(engine.model, pixelImage(pixels), attack);
  return { result, target, summary: attackSummary(result, engine.labels), backend: describeBackend(engine.backend) };
}

/** The 224×224 RGB pixels classified as a fresh image would be (from its bytes). */
export async function classifyPixels(pixels: Uint8ClampedArray): Promise<{ index: number; label: string; prob: number }[]> {
  return (await classifyTensor(normalize(pixels), 1, { topk: 5 })).top[0];
}

/**
 * The model-randomization check (Adebayo et al. 2018) of a job's saliency map: the map is
 * recomputed with the classifier, fire9 and fire8 re-drawn at random (cascading, top down); a map
 * that keeps Spearman(|map|) ≥ 0.7 with the original does not depend on what the network learned.
 */
export async function sanityForJob(pixels: Uint8ClampedArray, method: SaliencyMethodName, classIndex: number, control: JobControl = {}): Promise<SanityInfo> {
  const engine = await getEngine();
  const t0 = performance.now();
  // Fewer samples / steps than the panel's own map: the check compares rank structure, not detail.
  const mapFn: MapFn = async (model, image, cls, c) => (await explain(model, image, method, { classIndex: cls, samples: 16, steps: 32 }, c)).data;
  const after = 'fire8';
  const blocks = CASCADE.findIndex((c) => c.block === after) + 1;
  const r = await modelRandomization(engine.model, engine.weights, pixelImage(pixels), mapFn, { classIndex, blocks, verdictAfter: after }, {
    signal: control.signal,
    onProgress: (p) => control.onProgress?.(p.message ?? `step ${p.step} of ${p.total}`, p.total ? p.step / p.total : undefined),
  });
  return {
    method,
    mapMs: 0,
    modelSensitive: r.verdict.modelSensitive,
    correlation: r.verdict.correlation,
    threshold: r.verdict.threshold,
    after: r.verdict.after,
    message: r.verdict.message,
    steps: r.steps.map((s) => ({ block: s.block, spearman: s.spearmanAbs })),
    ms: performance.now() - t0,
  };
}

/** DeepDream (fire5, 3 octaves) of an RGB image; returns the dream as 8-bit RGB. */
export async function dreamForJob(image: { width: number; height: number; data: Uint8ClampedArray }, control: JobControl = {}) {
  const engine = await getEngine();
  const t0 = performance.now();
  const r = await deepDream(engine.model, image, {
    layer: 'fire5',
    maxSide: 400,
    seed: 0,
    previewEvery: control.onPreview ? 5 : 0,
    signal: control.signal,
    onProgress: (p) => {
      control.onProgress?.(`step ${p.step} of ${p.total}${p.message ? ` · ${p.message}` : ''}`, p.total ? p.step / p.total : undefined);
      if (p.preview && control.onPreview) control.onPreview({ width: p.preview.width, height: p.preview.height, rgb: Uint8ClampedArray.from(p.preview.data) });
    },
  });
  const rgb = Uint8ClampedArray.from(r.image.data, Math.round);
  return { width: r.image.width, height: r.image.height, rgb, layer: r.layer, gain: r.objectiveAfter / Math.max(r.objectiveBefore, 1e-12), ms: performance.now() - t0, backend: describeBackend(engine.backend) };
}

/**
 * The methods (saliency, fooling images, class visualization) run inside the service worker, on
 * the worker's engine: the same code as the CLI. Used by the test/benchmark hook now and by the
 * popup's saliency and fooling panels next.
 */
import { preprocess, type PreprocessMode } from '../engine/preprocess.js';
import { attackSummary, runAttack, type AttackRequest, type AttackSummary } from '../methods/attack/index.js';
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

/**
 * What the test/benchmark hook calls (./index.ts): the methods on an image address, input
 * gradients and timed runs of the worker's engine. Not part of the product: only the test build
 * (dist/chrome-test) contains it.
 */

import { benchFeatures, type FeatureTiming } from '../../../bench/features.js';
import type { BackendReport } from '../../engine/backend.js';
import {
  normalize,
  type PreprocessMode,
  preprocess,
  preprocessWhole,
  type RgbaImage,
} from '../../engine/preprocess.js';
import { classScore, type ScoreHead, type ScoreKind } from '../../engine/scores.js';
import { type AttackRequest, type AttackSummary, attackSummary, runAttack } from '../../methods/attack/index.js';
import { parseTarget, resolveTarget } from '../../methods/attack/targets.js';
import { pixelImage } from '../../methods/common.js';
import { explain, type SaliencyMethodName, type SaliencyOptions } from '../../methods/explain/index.js';
import { visualizeClass } from '../../methods/visualize/class-visualization.js';
import { base64ToFloat32 } from '../../shared/base64.js';
import { SYNTHESIS_SIZES } from '../../shared/catalog.js';
import { median } from '../../shared/numeric.js';
import { decodeImageBlob, fetchImageBlob } from '../decode-sw.js';
import {
  checkInput,
  classifyTensor,
  type EngineOptions,
  getEngine,
  IMAGE_ELEMENTS,
  type InputSize,
  type LoadTimings,
  liveTensors,
  rows,
  runAndRead,
  type SwEngine,
} from '../engine-sw.js';

/** A float32 NHWC batch: base64 of its little-endian bytes (compact, exact) or plain numbers. */
export type HookArray = string | number[];

export function decodeFloat32(input: HookArray): Float32Array {
  if (Array.isArray(input)) return Float32Array.from(input);
  if (typeof input !== 'string') throw new TypeError('input must be a base64 string or an array of numbers');
  return base64ToFloat32(input);
}

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

export async function saliencyOfUrl(
  url: string,
  method: SaliencyMethodName,
  options: SaliencyOptions = {},
): Promise<SaliencyReply> {
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

export interface FoolReply extends AttackSummary {
  /** the fooled 8-bit image classified again from its bytes, as a fresh image would be */
  reclassified: { index: number; label: string; prob: number };
  numTensors: { before: number; after: number };
}

export async function foolUrl(
  url: string,
  target: string,
  request: Omit<AttackRequest, 'target'> & { margin?: number },
): Promise<FoolReply> {
  const engine = await getEngine();
  const { pre } = await imageAt(url);
  const before = liveTensors();
  const probs = (await classifyTensor(pre.input, 1, { topk: 1000 })).top[0];
  const byIndex = new Float32Array(1000);
  for (const t of probs) byIndex[t.index] = t.prob;
  const resolved = resolveTarget(parseTarget(target), engine.labels, byIndex);
  const result = await runAttack(engine.model, pixelImage(pre.pixels), {
    ...request,
    target: resolved.index,
    backend: engine.backend.backend,
  } as AttackRequest);
  const again = (await classifyTensor(normalize(result.pixels), 1, { topk: 1 })).top[0][0];
  return {
    ...attackSummary(result, engine.labels),
    reclassified: { index: again.index, label: again.label, prob: again.prob },
    numTensors: { before, after: liveTensors() },
  };
}

export async function visualizeInWorker(
  classIndex: number,
  iterations: number,
): Promise<{ probability: number; msPerIteration: number; top1: number }> {
  const engine = await getEngine();
  const result = await visualizeClass(engine.model, classIndex, { iterations, seed: 0 });
  return { probability: result.probability8bit, msPerIteration: result.msPerIteration, top1: result.top5[0].index };
}

/** Issue 9's four timed methods in the worker (bench/features.ts), on two image addresses. */
export async function featuresInWorker(req: {
  contentUrl: string;
  styleUrl: string;
  stepScale?: number;
  only?: string[];
}): Promise<{
  backend: string;
  timings: Record<string, FeatureTiming>;
  numTensors: { before: number; after: number };
}> {
  const engine = await getEngine();
  const [c, s] = [await imageAt(req.contentUrl), await imageAt(req.styleUrl)];
  const content = pixelImage(c.pre.pixels);
  const style = pixelImage(s.pre.pixels);
  // Style transfer and inversion at the goals' size, as the Node bench: whole, smallest side 192.
  const whole = (image: RgbaImage) => {
    const p = preprocessWhole(image, SYNTHESIS_SIZES.stylize.default);
    return { width: p.width, height: p.height, data: Float32Array.from(p.pixels) };
  };
  const synthesis = { content: whole(c.image), style: whole(s.image) };
  const before = liveTensors();
  const timings = await benchFeatures(
    engine.model,
    { content, style, synthesis },
    { stepScale: req.stepScale, only: req.only },
  );
  return { backend: engine.backend.backend, timings, numTensors: { before, after: liveTensors() } };
}

export interface GradientOptions {
  /** one target class per example */
  classes: readonly number[];
  /** [height, width] of the inputs (default 224×224; the engine takes 64…512 a side) */
  size?: InputSize;
  kind?: ScoreKind;
  head?: ScoreHead;
  /** 'score': the class score's columns of the classifier only, as the gradient methods run it (no logits back) */
  heads?: 'score';
}

export interface GradientResult {
  /** d score / d input, NHWC [n,H,W,3] (224×224 by default), in the preprocessed input's units */
  gradient: Float32Array;
  logits: number[][];
  score: number[];
  backend: BackendReport;
  /** upload + forward + backward + download, engine load excluded */
  ms: number;
  numTensors: { before: number; after: number };
}

export async function inputGradient(
  data: Float32Array,
  n: number,
  options: GradientOptions & { engine?: EngineOptions },
): Promise<GradientResult> {
  checkInput(data, n, options.size);
  if (options.classes.length !== n)
    throw new RangeError(`one class per example: got ${options.classes.length} classes for ${n} examples`);
  const score = classScore(options.classes, options.kind ?? 'raw', options.head ?? 'logits');
  const engine = await getEngine(options.engine);
  const before = liveTensors();
  const t0 = performance.now();
  const out = await runAndRead(
    engine,
    data,
    n,
    { score, gradients: ['input'], heads: options.heads ?? true },
    async (r) => ({
      gradient: (await r.gradients.input!.data()) as Float32Array,
      // a heads: 'score' run has none
      logits: r.logits ? ((await r.logits.data()) as Float32Array) : new Float32Array(0),
      score: Array.from((await r.score!.data()) as Float32Array),
    }),
    options.size,
  );
  const ms = performance.now() - t0;
  return {
    gradient: out.gradient,
    logits: rows(out.logits, n),
    score: out.score,
    backend: engine.backend,
    ms,
    numTensors: { before, after: liveTensors() },
  };
}

/** For benchmarks: one timed run (upload → run → download → dispose). */
export async function timedRun(
  engine: SwEngine,
  data: Float32Array,
  n: number,
  kind: 'forward' | 'gradient',
  classes: readonly number[],
): Promise<number> {
  const t0 = performance.now();
  if (kind === 'forward') {
    await runAndRead(engine, data, n, {}, (r) => r.logits.data());
  } else {
    // Downloading the input gradient waits for the whole backward pass.
    await runAndRead(
      engine,
      data,
      n,
      { score: classScore(classes, 'raw', 'preReluLogits'), gradients: ['input'] },
      (r) => r.gradients.input!.data(),
    );
  }
  return performance.now() - t0;
}

export interface BenchmarkRequest {
  kind: 'forward' | 'gradient';
  batch: 1 | 8;
  warmup?: number;
  runs?: number;
  engine?: EngineOptions;
  /**
   * One preprocessed 224×224×3 image (base64 float32 or numbers), repeated over the batch. Without
   * it: deterministic noise. A photo is the honest input: the classifier skips fire9's zeros, and
   * how many there are depends on the image (~90 % on photos).
   */
  input?: HookArray;
}

export interface BenchmarkReply {
  kind: 'forward' | 'gradient';
  batch: number;
  warmup: number;
  /** warm runs, ms each: upload → run → download → dispose */
  ms: number[];
  median: number;
  min: number;
  max: number;
  mean: number;
  /** ms of the first warm-up run (includes WebGPU shader compilation, WASM first-touch) */
  firstRunMs: number | null;
  backend: BackendReport;
  engineLoad: LoadTimings;
  /** live tensors before the benchmark and after it; any run that changed it is listed */
  numTensors: { baseline: number; after: number; leakingRuns: number[] };
}

/** Deterministic pseudo-random input in the range of a preprocessed photo (≈ −2.1 … 2.6). */
function syntheticInput(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n * IMAGE_ELEMENTS);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4.7 - 2.1;
  }
  return out;
}

export async function benchmark(req: BenchmarkRequest): Promise<BenchmarkReply> {
  const warmup = req.warmup ?? 3;
  const runs = req.runs ?? 20;
  if (req.kind !== 'forward' && req.kind !== 'gradient')
    throw new RangeError(`kind must be forward or gradient, got ${String(req.kind)}`);
  if (!Number.isInteger(req.batch) || req.batch < 1)
    throw new RangeError(`batch must be a positive integer, got ${req.batch}`);
  const engine = await getEngine(req.engine);
  let data: Float32Array;
  if (req.input !== undefined) {
    const one = decodeFloat32(req.input);
    if (one.length !== IMAGE_ELEMENTS)
      throw new RangeError(
        `benchmark input must be one 224×224×3 image (${IMAGE_ELEMENTS} values), ` + `got ${one.length}`,
      );
    data = new Float32Array(req.batch * IMAGE_ELEMENTS);
    for (let i = 0; i < req.batch; i++) data.set(one, i * IMAGE_ELEMENTS);
  } else data = syntheticInput(req.batch);
  const classes = Array.from({ length: req.batch }, (_, i) => (i * 97) % 1000);
  const baseline = liveTensors();
  const leakingRuns: number[] = [];
  const ms: number[] = [];
  let firstRunMs: number | null = null;
  for (let i = 0; i < warmup + runs; i++) {
    const t = await timedRun(engine, data, req.batch, req.kind, classes);
    if (i === 0 && warmup > 0) firstRunMs = t;
    if (i >= warmup) ms.push(t);
    if (liveTensors() !== baseline) leakingRuns.push(i);
  }
  return {
    kind: req.kind,
    batch: req.batch,
    warmup,
    ms,
    median: median(ms),
    min: Math.min(...ms),
    max: Math.max(...ms),
    mean: ms.reduce((a, b) => a + b, 0) / ms.length,
    firstRunMs,
    backend: engine.backend,
    engineLoad: engine.load,
    numTensors: { baseline, after: liveTensors(), leakingRuns },
  };
}

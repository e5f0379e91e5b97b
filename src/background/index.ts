/**
 * Service-worker entry (bundled to dist/extension/background.js, a module worker).
 *
 * The product (context menu, capture, job queue, popup requests) is wired by ./product.ts. This
 * file also installs a test/benchmark hook, `self.__squeezelens`, because module-scope names are
 * not globals and tests drive the worker with `worker.evaluate(...)`. The hook is reachable only
 * through DevTools / CDP (Playwright), never from web pages or other extensions: a page cannot
 * reach a service worker's global scope, and no message handler calls it.
 *
 * Startup must stay instant: this module only records timestamps and defines functions; the
 * engine loads lazily on the first call (../shared/PLATFORM.md).
 */
// First import: its timestamp is taken before TF.js's module bodies evaluate (see started-at.ts).
import { scriptStartedAt } from './started-at.js';
import type { BackendReport } from '../engine/backend.js';
import type { ScoreHead, ScoreKind } from '../engine/scores.js';
import { preprocess, type Geometry, type PreprocessMode } from '../engine/preprocess.js';
import { decodeImageBlob, fetchImageBlob } from './decode-sw.js';
import { median } from '../shared/numeric.js';
import { foolUrl, saliencyOfUrl, visualizeInWorker, type FoolReply, type SaliencyReply } from './methods-sw.js';
import type { SaliencyMethodName, SaliencyOptions } from '../methods/explain/index.js';
import type { AttackRequest } from '../methods/attack/index.js';
import {
  classifyTensor,
  engineLoadStarted,
  engineReset,
  getEngine,
  IMAGE_ELEMENTS,
  inputGradient,
  liveTensors,
  peekEngine,
  timedRun,
  type ClassifyResult,
  type EngineOptions,
  type LoadTimings,
} from './engine-sw.js';
import { installProduct } from './product.js';

/** End of this module's evaluation, i.e. after the whole bundle (TF.js included) evaluated. */
const swStartedAt = performance.now();

/** A float32 NHWC batch: base64 of its little-endian bytes (compact, exact) or plain numbers. */
export type HookArray = string | number[];

export interface CallTiming {
  /** performance.now() of this worker when the call arrived / returned */
  receivedAt: number;
  doneAt: number;
  /** this call started the engine load (first call in a fresh worker, or after engineReset) */
  loadedEngine: boolean;
  /** the engine's load breakdown, when this call loaded it */
  load?: LoadTimings;
  /** decoding the input argument */
  decodeMs: number;
}

export interface WorkerClock {
  /** the worker's time origin (ms since epoch): changes on every worker start */
  timeOrigin: number;
  /** performance.now() when background.js began evaluating (worker start → script start) */
  scriptStartedAt: number;
  /** performance.now() when index.ts finished evaluating (bundle evaluated) */
  swStartedAt: number;
}

export type ClassifyReply = ClassifyResult & { timing: CallTiming; clock: WorkerClock };

export interface GradientReply {
  /** base64 of the float32 NHWC gradient, when requested */
  gradient?: string;
  shape: [number, number, number, number];
  stats: { finite: boolean; nonZero: number; maxAbs: number; meanAbs: number };
  logits: number[][];
  score: number[];
  backend: BackendReport;
  ms: number;
  numTensors: { before: number; after: number };
  timing: CallTiming;
  clock: WorkerClock;
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

export interface InfoReply {
  clock: WorkerClock;
  now: number;
  numTensors: number;
  engine: { options: EngineOptions; backend: BackendReport; load: LoadTimings; baselineTensors: number } | null;
  userAgent: string;
  gpu: boolean;
}

export interface ClassifyUrlReply {
  top: ClassifyResult['top'][number];
  geometry: Geometry;
  image: { width: number; height: number; originalWidth: number; originalHeight: number };
  backend: BackendReport;
  /** fetch + decode + preprocess + network, engine load excluded */
  ms: number;
}

export interface SqueezeLensHook {
  /** fetch, decode and classify an image URL inside the worker (the extension's own image path) */
  classifyUrl(req: { url: string; topk?: number; preprocess?: PreprocessMode; engine?: EngineOptions }): Promise<ClassifyUrlReply>;
  /** the methods, in the worker (the popup's panels will use the same functions) */
  saliencyUrl(req: { url: string; method: SaliencyMethodName; options?: SaliencyOptions }): Promise<SaliencyReply>;
  foolUrl(req: { url: string; target: string; attack: Omit<AttackRequest, 'target'> }): Promise<FoolReply>;
  visualize(req: { classIndex: number; iterations: number }): Promise<{ probability: number; msPerIteration: number; top1: number }>;
  classify(req: { input: HookArray; n?: number; topk?: number; engine?: EngineOptions }): Promise<ClassifyReply>;
  gradient(req: { input: HookArray; n?: number; classes: number[]; kind?: ScoreKind; head?: ScoreHead; engine?: EngineOptions; returnGradient?: boolean }): Promise<GradientReply>;
  benchmark(req: BenchmarkRequest): Promise<BenchmarkReply>;
  info(): Promise<InfoReply>;
  engineReset(): Promise<void>;
}

function clock(): WorkerClock {
  return { timeOrigin: performance.timeOrigin, scriptStartedAt, swStartedAt };
}

export function decodeFloat32(input: HookArray): Float32Array {
  if (Array.isArray(input)) return Float32Array.from(input);
  if (typeof input !== 'string') throw new TypeError('input must be a base64 string or an array of numbers');
  const binary = atob(input);
  if (binary.length % 4 !== 0) throw new RangeError(`base64 input decodes to ${binary.length} bytes, not a whole number of float32s`);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer); // little-endian on every platform Chrome runs on
}

export function encodeFloat32(data: Float32Array): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let binary = '';
  const chunk = 0x8000; // String.fromCharCode's argument count is bounded
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

function batchOf(data: Float32Array, n: number | undefined): number {
  if (n !== undefined) return n; // classifyTensor / inputGradient check it against the length
  if (data.length === 0 || data.length % IMAGE_ELEMENTS !== 0) {
    throw new RangeError(`input must hold whole 224×224×3 images (NHWC, ${IMAGE_ELEMENTS} values each), got ${data.length} values`);
  }
  return data.length / IMAGE_ELEMENTS;
}

/** Wraps a call so it reports whether it loaded the engine and when it arrived and finished. */
async function timed<T>(engine: EngineOptions | undefined, decode: () => Float32Array, call: (data: Float32Array) => Promise<T>): Promise<T & { timing: CallTiming; clock: WorkerClock }> {
  const receivedAt = performance.now();
  const data = decode();
  const decodeMs = performance.now() - receivedAt;
  const loadedEngine = !engineLoadStarted();
  const result = await call(data);
  const timing: CallTiming = { receivedAt, doneAt: performance.now(), loadedEngine, decodeMs };
  if (loadedEngine) timing.load = (await getEngine(engine)).load;
  return { ...result, timing, clock: clock() };
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
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4.7 - 2.1);
  }
  return out;
}

async function benchmark(req: BenchmarkRequest): Promise<BenchmarkReply> {
  const warmup = req.warmup ?? 3;
  const runs = req.runs ?? 20;
  if (req.kind !== 'forward' && req.kind !== 'gradient') throw new RangeError(`kind must be forward or gradient, got ${String(req.kind)}`);
  if (!Number.isInteger(req.batch) || req.batch < 1) throw new RangeError(`batch must be a positive integer, got ${req.batch}`);
  const engine = await getEngine(req.engine);
  let data: Float32Array;
  if (req.input !== undefined) {
    const one = decodeFloat32(req.input);
    if (one.length !== IMAGE_ELEMENTS) throw new RangeError(`benchmark input must be one 224×224×3 image (${IMAGE_ELEMENTS} values), got ${one.length}`);
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

const hook: SqueezeLensHook = {
  saliencyUrl: (req) => saliencyOfUrl(req.url, req.method, req.options),
  foolUrl: (req) => foolUrl(req.url, req.target, req.attack),
  visualize: (req) => visualizeInWorker(req.classIndex, req.iterations),
  classifyUrl: async (req) => {
    await getEngine(req.engine); // load first, so ms measures the image work only
    const t0 = performance.now();
    const image = await decodeImageBlob(await fetchImageBlob(req.url));
    const { input, geometry } = preprocess(image, req.preprocess ?? 'crop');
    const result = await classifyTensor(input, 1, { topk: req.topk, engine: req.engine });
    return {
      top: result.top[0],
      geometry,
      image: { width: image.width, height: image.height, originalWidth: image.originalWidth, originalHeight: image.originalHeight },
      backend: result.backend,
      ms: performance.now() - t0,
    };
  },
  classify: (req) =>
    timed(req.engine, () => decodeFloat32(req.input), (data) => classifyTensor(data, batchOf(data, req.n), { topk: req.topk, engine: req.engine })),

  gradient: (req) =>
    timed(
      req.engine,
      () => decodeFloat32(req.input),
      async (data) => {
        const n = batchOf(data, req.n);
        const r = await inputGradient(data, n, { classes: req.classes, kind: req.kind, head: req.head, engine: req.engine });
        let finite = true;
        let nonZero = 0;
        let maxAbs = 0;
        let sumAbs = 0;
        for (const v of r.gradient) {
          if (!Number.isFinite(v)) finite = false;
          const a = Math.abs(v);
          if (a > 0) nonZero++;
          if (a > maxAbs) maxAbs = a;
          sumAbs += a;
        }
        const reply: Omit<GradientReply, 'timing' | 'clock'> = {
          shape: [n, 224, 224, 3],
          stats: { finite, nonZero, maxAbs, meanAbs: sumAbs / r.gradient.length },
          logits: r.logits,
          score: r.score,
          backend: r.backend,
          ms: r.ms,
          numTensors: r.numTensors,
        };
        if (req.returnGradient) reply.gradient = encodeFloat32(r.gradient);
        return reply;
      },
    ),

  benchmark,

  async info() {
    const engine = await peekEngine();
    return {
      clock: clock(),
      now: performance.now(),
      numTensors: liveTensors(),
      engine: engine && { options: engine.options, backend: engine.backend, load: engine.load, baselineTensors: engine.baselineTensors },
      userAgent: navigator.userAgent,
      gpu: 'gpu' in navigator,
    };
  },

  engineReset,
};

(globalThis as unknown as { __squeezelens: SqueezeLensHook }).__squeezelens = hook;

// Context menu, messages and jobs: listeners must be registered synchronously at startup.
installProduct();

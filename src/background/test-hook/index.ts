/**
 * The test/benchmark build's service-worker entry (dist/chrome-test/background.js): the product
 * exactly as shipped (../index.ts), plus a hook, `self.__squeezelens`, that tests and `npm run bench`
 * drive with `worker.evaluate(...)` (module-scope names are not globals). The shipped build
 * (dist/chrome) never contains it: esbuild.config.ts checks that.
 */
// First import: its timestamp is taken before TF.js's module bodies evaluate (see started-at.ts).
import { scriptStartedAt } from '../started-at.js';
import '../index.js';
import type { BackendReport } from '../../engine/backend.js';
import type { Geometry, PreprocessMode } from '../../engine/preprocess.js';
import { preprocess } from '../../engine/preprocess.js';
import type { ScoreHead, ScoreKind } from '../../engine/scores.js';
import type { AttackRequest } from '../../methods/attack/index.js';
import type { SaliencyMethodName, SaliencyOptions } from '../../methods/explain/index.js';
import { float32ToBase64 } from '../../shared/base64.js';
import { decodeImageBlob, fetchImageBlob, sizesOf } from '../decode-sw.js';
import {
  type ClassifyResult,
  classifyTensor,
  type EngineOptions,
  engineLoadStarted,
  engineReset,
  getEngine,
  type LoadTimings,
  liveTensors,
  peekEngine,
} from '../engine-sw.js';
import {
  type BenchmarkReply,
  type BenchmarkRequest,
  benchmark,
  decodeFloat32,
  type FoolReply,
  featuresInWorker,
  foolUrl,
  type HookArray,
  inputGradient,
  type SaliencyReply,
  saliencyOfUrl,
  visualizeInWorker,
} from './calls.js';

export type { BenchmarkReply, BenchmarkRequest, HookArray };

/** End of the bundle's evaluation (TF.js and the product included). */
const swStartedAt = performance.now();

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

/** What the agreement measurement (bench/agreement) needs from the extension's image path. */
export interface InspectUrlReply {
  top: ClassifyResult['top'][number];
  /** the 1000 logits (post-ReLU average), for the largest difference from the CLI's */
  logits: number[];
  /** base64 of the float32 NHWC input the engine saw (the float64 oracle runs on it) */
  input: string;
  /** SHA-256 (hex) of the decoded RGBA bytes, to compare with the CLI's decode */
  rgbaSha256: string;
  image: { width: number; height: number; originalWidth: number; originalHeight: number };
  backend: BackendReport;
}

export interface SqueezeLensHook {
  /** fetch, decode and classify an image URL inside the worker (the extension's own image path) */
  classifyUrl(req: {
    url: string;
    topk?: number;
    preprocess?: PreprocessMode;
    engine?: EngineOptions;
  }): Promise<ClassifyUrlReply>;
  /** classifyUrl's path (fetch → decode → preprocess → engine), returning what it saw: pixels' digest, input, logits */
  inspectUrl(req: { url: string }): Promise<InspectUrlReply>;
  /** the methods, in the worker (the popup's panels will use the same functions) */
  saliencyUrl(req: { url: string; method: SaliencyMethodName; options?: SaliencyOptions }): Promise<SaliencyReply>;
  foolUrl(req: { url: string; target: string; attack: Omit<AttackRequest, 'target'> }): Promise<FoolReply>;
  visualize(req: {
    classIndex: number;
    iterations: number;
  }): Promise<{ probability: number; msPerIteration: number; top1: number }>;
  /** issue 9's timed "images from features" (bench/features.ts) */
  features: typeof featuresInWorker;
  classify(req: { input: HookArray; n?: number; topk?: number; engine?: EngineOptions }): Promise<ClassifyReply>;
  gradient(req: {
    input: HookArray;
    n?: number;
    classes: number[];
    kind?: ScoreKind;
    head?: ScoreHead;
    heads?: 'score';
    engine?: EngineOptions;
    returnGradient?: boolean;
    /** [height, width] of each input (default 224×224) */
    size?: [number, number];
  }): Promise<GradientReply>;
  benchmark(req: BenchmarkRequest): Promise<BenchmarkReply>;
  info(): Promise<InfoReply>;
  engineReset(): Promise<void>;
}

function clock(): WorkerClock {
  return { timeOrigin: performance.timeOrigin, scriptStartedAt, swStartedAt };
}

function batchOf(data: Float32Array, n: number | undefined, [h, w]: readonly number[] = [224, 224]): number {
  if (n !== undefined) return n; // classifyTensor / inputGradient check it against the length
  const elements = h * w * 3;
  if (data.length === 0 || data.length % elements !== 0) {
    throw new RangeError(
      `input must hold whole ${h}×${w}×3 images (NHWC, ${elements} values each), got ${data.length} values`,
    );
  }
  return data.length / elements;
}

/** Wraps a call so it reports whether it loaded the engine and when it arrived and finished. */
async function timed<T>(
  engine: EngineOptions | undefined,
  decode: () => Float32Array,
  call: (data: Float32Array) => Promise<T>,
): Promise<T & { timing: CallTiming; clock: WorkerClock }> {
  const receivedAt = performance.now();
  const data = decode();
  const decodeMs = performance.now() - receivedAt;
  const loadedEngine = !engineLoadStarted();
  const result = await call(data);
  const timing: CallTiming = { receivedAt, doneAt: performance.now(), loadedEngine, decodeMs };
  if (loadedEngine) timing.load = (await getEngine(engine)).load;
  return { ...result, timing, clock: clock() };
}

const hook: SqueezeLensHook = {
  saliencyUrl: (req) => saliencyOfUrl(req.url, req.method, req.options),
  foolUrl: (req) => foolUrl(req.url, req.target, req.attack),
  visualize: (req) => visualizeInWorker(req.classIndex, req.iterations),
  features: featuresInWorker,
  classifyUrl: async (req) => {
    await getEngine(req.engine); // load first, so ms measures the image work only
    const t0 = performance.now();
    const image = await decodeImageBlob(await fetchImageBlob(req.url));
    const { input, geometry } = preprocess(image, req.preprocess ?? 'crop');
    const result = await classifyTensor(input, 1, { topk: req.topk, engine: req.engine });
    return {
      top: result.top[0],
      geometry,
      image: sizesOf(image),
      backend: result.backend,
      ms: performance.now() - t0,
    };
  },
  inspectUrl: async (req) => {
    const image = await decodeImageBlob(await fetchImageBlob(req.url));
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', image.data.slice()));
    const { input } = preprocess(image, 'crop');
    const result = await classifyTensor(input, 1, { topk: 5 });
    return {
      top: result.top[0],
      logits: result.logits[0],
      input: float32ToBase64(input),
      rgbaSha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
      image: sizesOf(image),
      backend: result.backend,
    };
  },
  classify: (req) =>
    timed(
      req.engine,
      () => decodeFloat32(req.input),
      (data) => classifyTensor(data, batchOf(data, req.n), { topk: req.topk, engine: req.engine }),
    ),

  gradient: (req) =>
    timed(
      req.engine,
      () => decodeFloat32(req.input),
      async (data) => {
        const size = req.size ?? [224, 224];
        const n = batchOf(data, req.n, size);
        const r = await inputGradient(data, n, {
          size,
          classes: req.classes,
          kind: req.kind,
          head: req.head,
          heads: req.heads,
          engine: req.engine,
        });
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
          shape: [n, size[0], size[1], 3],
          stats: { finite, nonZero, maxAbs, meanAbs: sumAbs / r.gradient.length },
          logits: r.logits,
          score: r.score,
          backend: r.backend,
          ms: r.ms,
          numTensors: r.numTensors,
        };
        if (req.returnGradient) reply.gradient = float32ToBase64(r.gradient);
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
      engine: engine && {
        options: engine.options,
        backend: engine.backend,
        load: engine.load,
        baselineTensors: engine.baselineTensors,
      },
      userAgent: navigator.userAgent,
      gpu: 'gpu' in navigator,
    };
  },

  engineReset,
};

(globalThis as unknown as { __squeezelens: SqueezeLensHook }).__squeezelens = hook;

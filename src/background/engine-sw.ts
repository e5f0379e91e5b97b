/**
 * The engine as the service worker uses it: loaded lazily on first use, shared by every caller.
 *
 * A module service worker must start instantly and may be stopped after ~30 s idle, losing all
 * memory (docs/platform.md, "Module service workers"). So nothing here runs at import time beyond definitions (the
 * TF.js packages only register backend factories when imported; no backend initializes until
 * selectBackend asks for one), and every entry point goes through getEngine(), which loads on
 * demand after a restart.
 *
 * Loading: backend selection and the weight downloads run concurrently; the weights binary is
 * checked (length + SHA-256 against its manifest) before it is unpacked; the model's tensors are
 * created only once the chosen backend is active.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { INPUT_SIZE, NUM_CLASSES } from '../engine/architecture.js';
import { type BackendName, type BackendReport, selectBackend } from '../engine/backend.js';
import { kernelBuild, provideSimdKernels, relaxedSimdSupported, simdKernelsActive } from '../engine/kernels/ops.js';
import { disposeResult, type RunResult, SqueezeNet } from '../engine/squeezenet.js';
import { type ModelWeights, type PackedManifest, unpackWeights, type WeightDType } from '../engine/weights.js';
import type { ForwardHeads } from '../methods/explain/saliency.js';
import { type ClassProb, topK } from '../shared/classes.js';
import { verifyWeightsBinary, WeightsIntegrityError } from './integrity.js';

export interface EngineOptions {
  /**
   * 'auto' (default): WebGPU on a hardware adapter, else WASM, else CPU. A named backend forces
   * it (no fallback), e.g. for tests and benchmarks.
   */
  backend?: 'auto' | BackendName;
  /**
   * Accept a WebGPU software (fallback) adapter. Off by default: on GPU-less machines the only
   * adapter is SwiftShader, about 50× slower than WASM, so 'auto' must not prefer it.
   */
  allowFallbackAdapter?: boolean;
  /** packaged weights to load (default float32: reproduces the reference logits exactly) */
  weights?: WeightDType;
}

type ResolvedOptions = Required<EngineOptions>;

export interface LoadTimings {
  /** selectBackend (adapter probe + backend init), concurrent with the downloads */
  backendMs: number;
  /** manifest + binary + labels fetched from the package */
  fetchMs: number;
  /** SHA-256 of the binary */
  verifyMs: number;
  unpackMs: number;
  /** tensors created on the chosen backend */
  modelMs: number;
  totalMs: number;
}

export interface SwEngine {
  model: SqueezeNet;
  labels: string[];
  backend: BackendReport;
  options: ResolvedOptions;
  load: LoadTimings;
  /** live tensors right after loading (the model's weights) */
  baselineTensors: number;
  /** the weights on the host (the sanity check builds randomized models from them) */
  weights: ModelWeights;
}

export interface ClassifyResult {
  logits: number[][];
  top: ClassProb[][];
  backend: BackendReport;
  /** upload + forward + download, engine load excluded */
  ms: number;
  numTensors: { before: number; after: number };
  /** the first image's forward outputs, when asked for (`heads: true`): what a saliency map needs */
  heads?: ForwardHeads;
}

export const IMAGE_ELEMENTS = INPUT_SIZE * INPUT_SIZE * 3;

/**
 * Live tensor count. Not tf.memory(): that asks the active backend, and with none active yet
 * TF.js would initialize the highest-priority one on the spot (WebGPU, even on a software
 * adapter), bypassing selectBackend.
 */
export function liveTensors(): number {
  return tf.engine().state.numTensors;
}

function resolve(options: EngineOptions = {}): ResolvedOptions {
  return {
    backend: options.backend ?? 'auto',
    allowFallbackAdapter: options.allowFallbackAdapter ?? false,
    weights: options.weights ?? 'float32',
  };
}

const sameOptions = (a: ResolvedOptions, b: ResolvedOptions) =>
  a.backend === b.backend && a.allowFallbackAdapter === b.allowFallbackAdapter && a.weights === b.weights;

/** The one load in flight or done; concurrent callers share it, a failure clears it. */
let current: { options: ResolvedOptions; promise: Promise<SwEngine> } | null = null;
let wasmPathsSet = false;

function packageUrl(path: string): string {
  return chrome.runtime.getURL(path);
}

async function fetchPackaged(path: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(packageUrl(path));
  } catch (error) {
    throw new Error(`could not read ${path} from the extension package: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`could not read ${path} from the extension package: HTTP ${response.status}`);
  return response;
}

const registerHooks = {
  wasm: () => {
    // The .wasm binaries ship in wasm/; by default TF.js looks next to background.js. May only
    // be set before the backend's first initialization (it throws afterwards), hence the flag:
    // after engineReset() the already-initialized backend is simply reused.
    if (wasmPathsSet) return;
    setWasmPaths(packageUrl('wasm/'));
    wasmPathsSet = true;
  },
};

async function loadWeights(
  dtype: WeightDType,
): Promise<{ manifest: PackedManifest; bin: Uint8Array; labels: string[]; fetchMs: number }> {
  const t0 = performance.now();
  const manifestPath = `models/squeezenet1_1.${dtype}.json`;
  const binPath = `models/squeezenet1_1.${dtype}.bin`;
  const labelsPath = 'models/imagenet_classes.json';
  const [manifest, bin, labels] = await Promise.all([
    fetchPackaged(manifestPath).then((r) => r.json() as Promise<PackedManifest & { sha256?: unknown }>),
    fetchPackaged(binPath).then(async (r) => new Uint8Array(await r.arrayBuffer())),
    fetchPackaged(labelsPath).then((r) => r.json() as Promise<unknown>),
  ]);
  if (!Array.isArray(labels) || labels.length !== NUM_CLASSES || labels.some((l) => typeof l !== 'string')) {
    throw new Error(`${labelsPath}: expected ${NUM_CLASSES} class names`);
  }
  if (manifest.dtype !== dtype)
    throw new WeightsIntegrityError(`${manifestPath} describes ${String(manifest.dtype)} weights, expected ${dtype}`);
  return { manifest, bin, labels: labels as string[], fetchMs: performance.now() - t0 };
}

async function load(options: ResolvedOptions): Promise<SwEngine> {
  const t0 = performance.now();
  const candidates: BackendName[] = options.backend === 'auto' ? ['webgpu', 'wasm', 'cpu'] : [options.backend];
  const backendPromise = (async () => {
    const t = performance.now();
    const report = await selectBackend({
      candidates,
      allowFallbackAdapter: options.allowFallbackAdapter,
      register: registerHooks,
    });
    return { report, ms: performance.now() - t };
  })();
  const weightsPromise = loadWeights(options.weights);
  // Our SIMD kernels (max-pool gradient, masks, concat, class heads) for the WASM backend.
  const compiled = (path: string) => fetchPackaged(path).then(async (r) => WebAssembly.compile(await r.arrayBuffer()));
  // The relaxed-SIMD build only where this browser validates it (else it is not even fetched).
  const kernelsPromise = Promise.all([
    compiled('kernels/simd-kernels.wasm'),
    relaxedSimdSupported() ? compiled('kernels/simd-kernels-relaxed.wasm') : null,
  ]);
  kernelsPromise.catch(() => {}); // only awaited (and reported) if WASM is chosen
  // Settle both before throwing, so a failed download does not leave backend init dangling.
  const [backendSettled, weightsSettled] = await Promise.allSettled([backendPromise, weightsPromise]);
  if (backendSettled.status === 'rejected') throw backendSettled.reason;
  if (weightsSettled.status === 'rejected') throw weightsSettled.reason;
  const { report, ms: backendMs } = backendSettled.value;
  const { manifest, bin, labels, fetchMs } = weightsSettled.value;

  if (report.backend === 'wasm') {
    const [plain, relaxed] = await kernelsPromise;
    provideSimdKernels(plain, relaxed);
    report.simdKernels = simdKernelsActive();
    report.kernelBuild = kernelBuild() ?? undefined;
  }
  let t = performance.now();
  await verifyWeightsBinary(
    bin,
    { sha256: (manifest as { sha256?: unknown }).sha256, byteLength: manifest.byteLength },
    `models/squeezenet1_1.${options.weights}.bin`,
    `models/squeezenet1_1.${options.weights}.json`,
  );
  const verifyMs = performance.now() - t;
  t = performance.now();
  const weights = unpackWeights(manifest, bin);
  const unpackMs = performance.now() - t;
  t = performance.now();
  // selectBackend left the chosen backend active; tensors are created there.
  if (tf.getBackend() !== report.backend)
    throw new Error(`backend changed during load: ${tf.getBackend()} instead of ${report.backend}`);
  // The Winograd weights are filled after the first answer: a cold click does not wait for them.
  const model = new SqueezeNet(weights, { winograd: 'later' });
  const modelMs = performance.now() - t;
  return {
    model,
    labels,
    backend: report,
    options,
    load: { backendMs, fetchMs, verifyMs, unpackMs, modelMs, totalMs: performance.now() - t0 },
    baselineTensors: liveTensors(),
    weights,
  };
}

/**
 * The loaded engine. Without options: whatever is loaded (or the defaults). With options that
 * differ from the loaded engine's: the old model is released and a new one loaded.
 */
export async function getEngine(options?: EngineOptions): Promise<SwEngine> {
  const resolved = resolve(options);
  // Re-check after each await: another caller may have started a load meanwhile.
  while (current) {
    if (!options || sameOptions(current.options, resolved)) return current.promise;
    await engineReset();
  }
  const entry = {
    options: resolved,
    promise: load(resolved).catch((error: unknown) => {
      // Let the next caller retry from scratch (e.g. after a transient fetch failure).
      if (current === entry) current = null;
      throw error;
    }),
  };
  current = entry;
  return entry.promise;
}

/** Whether a load has been started (and not reset or failed) in this worker. */
export function engineLoadStarted(): boolean {
  return current !== null;
}

/** The loaded engine, if any, without triggering a load. */
export async function peekEngine(): Promise<SwEngine | null> {
  if (!current) return null;
  return current.promise.catch(() => null);
}

/** Releases the model; the next call loads afresh (with the options it passes). */
export async function engineReset(): Promise<void> {
  const entry = current;
  current = null;
  if (!entry) return;
  const engine = await entry.promise.catch(() => null);
  engine?.model.dispose();
}

/** Height and width of an input batch: 224×224 unless a caller (a test hook) says otherwise. */
export type InputSize = readonly [height: number, width: number];
const SQUARE: InputSize = [INPUT_SIZE, INPUT_SIZE];

export function checkInput(data: Float32Array, n: number, [h, w]: InputSize = SQUARE): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`batch size must be a positive integer, got ${n}`);
  if (!(data instanceof Float32Array)) throw new TypeError('input must be a Float32Array');
  if (data.length !== n * h * w * 3) {
    throw new RangeError(`input must hold ${n}×${h}×${w}×3 = ${n * h * w * 3} values (NHWC), got ${data.length}`);
  }
}

export function rows(flat: Float32Array, n: number): number[][] {
  const width = flat.length / n;
  return Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * width, (i + 1) * width)));
}

/** Runs the model on a preprocessed NHWC batch, releasing every tensor it made. */
export async function runAndRead<T>(
  engine: SwEngine,
  data: Float32Array,
  n: number,
  options: Parameters<SqueezeNet['run']>[1],
  read: (r: RunResult) => Promise<T>,
  [h, w]: InputSize = SQUARE,
): Promise<T> {
  const x = tf.tensor4d(data, [n, h, w, 3], 'float32');
  let result: RunResult | undefined;
  try {
    result = engine.model.run(x, options);
    return await read(result);
  } finally {
    x.dispose();
    if (result) disposeResult(result);
  }
}

export async function classifyTensor(
  data: Float32Array,
  n: number,
  options: { topk?: number; engine?: EngineOptions; heads?: boolean } = {},
): Promise<ClassifyResult> {
  checkInput(data, n);
  const engine = await getEngine(options.engine);
  const before = liveTensors();
  const t0 = performance.now();
  const { logits, probs, preReluLogits } = await runAndRead(engine, data, n, {}, async (r) => ({
    logits: (await r.logits.data()) as Float32Array,
    probs: (await r.probs.data()) as Float32Array,
    preReluLogits: options.heads ? ((await r.preReluLogits.data()) as Float32Array) : undefined,
  }));
  const ms = performance.now() - t0;
  const k = options.topk ?? 5;
  const probRows = rows(probs, n);
  return {
    logits: rows(logits, n),
    top: probRows.map((p) => topK(p, engine.labels, k)),
    backend: engine.backend,
    ms,
    numTensors: { before, after: liveTensors() },
    heads: preReluLogits && {
      logits: logits.subarray(0, NUM_CLASSES),
      probs: probs.subarray(0, NUM_CLASSES),
      preReluLogits: preReluLogits.subarray(0, NUM_CLASSES),
    },
  };
}

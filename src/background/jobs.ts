/**
 * The job queue of the extension: one job runs at a time, the others wait; every job can be
 * cancelled (queued: dropped; running: its download aborted and its result discarded); each
 * stage is written to storage.session so the popup can follow it; finished jobs stay there.
 *
 * A job whose worker is stopped (Chrome stops idle workers; memory is lost) cannot go on. The
 * next worker finds it still active in storage and marks it `interrupted`, with the stage it was in,
 * so it is reported rather than lost. The engine itself reloads lazily on the next job.
 */
import { describeBackend } from '../engine/backend.js';
import { INPUT, preprocess } from '../engine/preprocess.js';
import { visualizeClass } from '../methods/visualize/class-visualization.js';
import { quantizePixels } from '../methods/visualize/image-ops.js';
import { isFinal, STATE_TEXT, STORAGE_KEYS, type FoolData, type JobError, type JobKind, type JobRecord, type JobState, type SaliencyData, type SourceInfo } from '../shared/jobs.js';
import type { CaptureSource } from '../shared/messages.js';
import type { SaliencyMethodName } from '../methods/explain/index.js';
import { DEFAULT_SETTINGS, parseSettings, SETTINGS_KEY, type Settings } from '../shared/settings.js';
import { decodeImageBlob, fetchImageBlob, ImageFetchError, isSvg, MAX_DECODE_PIXELS, type DecodedImage } from './decode-sw.js';
import { classifyTensor, engineLoadStarted, getEngine, type EngineOptions } from './engine-sw.js';
import { saliencyForJob } from './methods-sw.js';
import { rasterizeSvg } from './offscreen-client.js';
import { addJob, getJobs, patchJob, updateJob } from './store.js';

/** This worker instance; a different value on a job means its worker is gone. */
export const WORKER_ID = performance.timeOrigin;

interface Active {
  id: string;
  kind: JobKind;
  controller: AbortController;
  source?: CaptureSource;
  startedAt: number;
}

const active = new Map<string, Active>();

/** One piece of work for the engine: a job, or a task on a finished job. */
interface QueueItem {
  id: string;
  controller: AbortController;
  execute: () => Promise<void>;
  /** tells it how many items are ahead of it */
  waiting: (ahead: number) => Promise<unknown>;
}
const queue: QueueItem[] = [];
let running: QueueItem | null = null;

let seq = 0;
export function newJobId(): string {
  return `${Date.now().toString(36)}-${(seq++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function readSettings(): Promise<Settings> {
  try {
    return parseSettings((await chrome.storage.local.get(SETTINGS_KEY))[SETTINGS_KEY]);
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

/** The engine a job asks for. Forcing WebGPU accepts a software adapter (the user chose it; the result says which adapter ran). */
export function engineOptionsOf(settings: Settings): EngineOptions {
  return { backend: settings.backend, weights: settings.weights, allowFallbackAdapter: settings.backend === 'webgpu' };
}

export function log(job: string, message: string, level: 'info' | 'warn' = 'info'): void {
  console[level](`[SqueezeLens] job ${job}: ${message}`);
}

/** A new job, created when the menu item is clicked (before the page is asked for the image). */
export async function createJob(kind: JobKind, pageUrl: string | undefined, page?: JobRecord['page']): Promise<{ id: string; signal: AbortSignal }> {
  const id = newJobId();
  const entry: Active = { id, kind, controller: new AbortController(), startedAt: Date.now() };
  active.set(id, entry);
  const now = Date.now();
  await addJob({ id, kind, state: 'capturing', createdAt: now, updatedAt: now, worker: WORKER_ID, source: pageUrl ? { element: '?', pageUrl } : undefined, page });
  return { id, signal: entry.controller.signal };
}

/**
 * A class visualization: a job with no image, queued like the others. Its live preview and final
 * image go to `visual:<id>`, its numbers to the record's `visual`.
 */
export async function createVisualJob(classIndex: number, iterations: number): Promise<string> {
  const id = newJobId();
  const entry: Active = { id, kind: 'visualize', controller: new AbortController(), startedAt: Date.now() };
  active.set(id, entry);
  const now = Date.now();
  const ahead = queue.length + (running ? 1 : 0);
  await addJob({ id, kind: 'visualize', state: 'queued', createdAt: now, updatedAt: now, worker: WORKER_ID, visual: { classIndex, label: `class ${classIndex}`, iterations, step: 0 }, progress: ahead ? `${ahead} job(s) ahead` : undefined });
  queue.push(jobItem(entry, () => runVisualization(entry, classIndex, iterations)));
  void pump();
  return id;
}

async function runVisualization(entry: Active, classIndex: number, iterations: number): Promise<void> {
  const { id, controller } = entry;
  const signal = controller.signal;
  try {
    const { engine } = await loadEngineFor(id, await readSettings());
    signal.throwIfAborted();
    const label = engine.labels[classIndex];
    const visual = { classIndex, label, iterations, step: 0 };
    await updateJob(id, { state: 'visualizing', visual, progress: `${label}: starting`, fraction: 0 });
    let lastWrite = 0;
    const result = await visualizeClass(engine.model, classIndex, {
      iterations,
      seed: Date.now() % 100_000,
      previewEvery: 10,
      signal,
      onProgress: (p) => {
        const now = Date.now();
        // Text at most twice a second; a preview image as soon as 250 ms have passed.
        if (now - lastWrite < (p.preview ? 250 : 500)) return;
        lastWrite = now;
        void (async () => {
          const extra = p.preview ? { [STORAGE_KEYS.visualPrefix + id]: await rgbPng(p.preview.data, INPUT) } : undefined;
          await updateJob(id, { visual: { ...visual, step: p.step }, progress: `step ${p.step} of ${p.total}${p.message ? ` · ${p.message.replace(/^class \d+: /, '')}` : ''}`, fraction: p.step / p.total }, extra);
        })();
      },
    });
    signal.throwIfAborted();
    // The same rounding as probability8bit was measured on.
    const png = await rgbPng(quantizePixels(result.image).data, INPUT);
    const done = { ...visual, step: iterations, probability: result.probability8bit, ms: Date.now() - entry.startedAt, backend: describeBackend(engine.backend) };
    await updateJob(id, { state: 'done', visual: done, progress: undefined, fraction: undefined }, { [STORAGE_KEYS.visualPrefix + id]: png });
    log(id, `class visualization of ${label}: p = ${result.probability8bit.toFixed(3)} after ${iterations} steps [${describeBackend(engine.backend)}]`);
    await announce('done');
  } catch (error) {
    if (signal.aborted) return;
    const { error: e, state } = toJobError(error);
    await failJob(id, e, state);
  }
}

/**
 * The engine a job needs, loading it first if this worker has not (the job shows "Loading
 * SqueezeNet"); a load failure becomes the job's `engine` error. `loadMs` when this call loaded it.
 */
async function loadEngineFor(id: string, settings: Settings) {
  const loading = !engineLoadStarted();
  if (loading) await updateJob(id, { state: 'loading-model', progress: undefined });
  try {
    const engine = await getEngine(engineOptionsOf(settings));
    return { engine, loadMs: loading ? engine.load.totalMs : undefined };
  } catch (error) {
    throw Object.assign(new ImageFetchError(`SqueezeNet could not be loaded: ${(error as Error).message}`, 'engine'), { cause: error });
  }
}

/** The page answered: queue the job (or record why there is nothing to analyse). */
export async function enqueue(id: string, source: CaptureSource, info: SourceInfo): Promise<void> {
  const entry = active.get(id);
  if (!entry || entry.controller.signal.aborted) return;
  entry.source = source;
  queue.push(jobItem(entry));
  await updateJob(id, { state: 'queued', source: info, progress: queue.length > 1 || running ? `${queue.length + (running ? 1 : 0) - 1} job(s) ahead` : undefined });
  void pump();
}

export async function failJob(id: string, error: JobError, state: JobState = 'error'): Promise<void> {
  active.delete(id);
  const before = (await getJobs()).find((j) => j.id === id);
  log(id, `${state}: ${error.code}: ${error.message}`, 'warn');
  await updateJob(id, { state, error, failedIn: before?.state, progress: undefined, fraction: undefined });
  await announce(state === 'error' ? 'error' : 'none');
}

/** Cancels a job of this worker (or the task running on it); answers why not when it cannot. */
export async function cancelJob(id: string): Promise<{ ok: boolean; reason?: string }> {
  const task = tasks.get(id);
  if (task) {
    task.abort(new DOMException('cancelled by the user', 'AbortError'));
    const i = queue.findIndex((q) => q.controller === task);
    if (i >= 0) {
      // Not started: it will never run, so clean up here.
      queue.splice(i, 1);
      tasks.delete(id);
      await patchJob(id, (j) => {
        for (const f of TASK_FIELDS) if (j[f]?.state === 'running') delete j[f];
      });
    }
    return { ok: true };
  }
  const entry = active.get(id);
  if (!entry) {
    const job = (await getJobs()).find((j) => j.id === id);
    if (!job) return { ok: false, reason: 'no such job' };
    if (isFinal(job.state)) return { ok: false, reason: `the job already ended (${job.state})` };
    // Active in storage but unknown here: its worker is gone.
    await recoverInterrupted();
    return { ok: true };
  }
  entry.controller.abort(new DOMException('cancelled by the user', 'AbortError'));
  const i = queue.findIndex((q) => q.id === id && q.controller === entry.controller);
  if (i >= 0) queue.splice(i, 1);
  await failJob(id, { code: 'cancelled', message: 'Cancelled.' }, 'cancelled');
  return { ok: true };
}

function jobItem(entry: Active, execute: () => Promise<void> = () => run(entry)): QueueItem {
  return {
    id: entry.id,
    controller: entry.controller,
    execute: async () => {
      try {
        await execute();
      } finally {
        active.delete(entry.id);
      }
    },
    waiting: (n) => updateJob(entry.id, { progress: n ? `${n} job(s) ahead` : 'next' }),
  };
}

async function pump(): Promise<void> {
  if (running) return;
  while (queue.length) {
    running = queue.shift()!;
    try {
      await running.execute();
    } catch (error) {
      console.error('[SqueezeLens] unexpected failure in the queue', error);
    } finally {
      running = null;
    }
    // Tell the work still waiting how much is ahead of it.
    for (const [i, q] of queue.entries()) await q.waiting(i);
  }
}

const shortUrl = (url: string) => (url.startsWith('data:') ? `${url.slice(0, url.indexOf(',') + 1)}… (${(url.length / 1024).toFixed(1)} KB)` : url);
export function sourceInfo(source: CaptureSource, pageUrl: string | undefined): SourceInfo {
  return { element: source.element, url: source.kind === 'url' ? shortUrl(source.url) : undefined, pageUrl };
}

async function toImage(entry: Active, settings: Settings): Promise<DecodedImage> {
  const source = entry.source!;
  const signal = entry.controller.signal;
  let blob: Blob;
  if (source.kind === 'pixels') {
    blob = await (await fetch(source.dataUrl)).blob();
  } else {
    let lastWrite = 0;
    blob = await fetchImageBlob(source.url, {
      signal,
      timeoutMs: settings.fetchTimeoutSec * 1000,
      onBytes: (received, total) => {
        const now = Date.now();
        if (now - lastWrite < 250) return;
        lastWrite = now;
        const text = total ? `${(received / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB` : `${(received / 1e6).toFixed(1)} MB`;
        void updateJob(entry.id, { progress: text, fraction: total ? received / total : undefined });
      },
    });
  }
  signal.throwIfAborted();
  await updateJob(entry.id, { state: 'decoding', progress: `${(blob.size / 1e6).toFixed(2)} MB`, fraction: undefined });
  if (source.kind === 'url' && (source.svg || (await isSvg(blob)))) {
    const dataUrl = `data:image/svg+xml;base64,${await base64(blob)}`;
    blob = await rasterizeSvg({ dataUrl, fallbackWidth: source.displayWidth, fallbackHeight: source.displayHeight, maxPixels: MAX_DECODE_PIXELS });
    signal.throwIfAborted();
  }
  return decodeImageBlob(blob);
}

async function base64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A small WebP of the image for the popup (long side ≤ 400 px), as a data: URL. */
async function thumbnail(image: DecodedImage): Promise<string> {
  const scale = Math.min(1, 400 / Math.max(image.width, image.height));
  const w = Math.max(1, Math.round(image.width * scale));
  const h = Math.max(1, Math.round(image.height * scale));
  const pixels = new ImageData(new Uint8ClampedArray(image.data.buffer as ArrayBuffer, image.data.byteOffset, image.data.byteLength), image.width, image.height);
  const bitmap = await createImageBitmap(pixels, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
  const canvas = new OffscreenCanvas(w, h);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: 'image/webp', quality: 0.85 });
  return `data:${blob.type};base64,${await base64(blob)}`;
}

/** RGB pixels (row-major) as a PNG data: URL: lossless, so the exact pixels come back (the 224×224 view, a fooled image). */
export async function rgbPng(pixels: ArrayLike<number>, width: number, height = width): Promise<string> {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = pixels[p * 3];
    rgba[p * 4 + 1] = pixels[p * 3 + 1];
    rgba[p * 4 + 2] = pixels[p * 3 + 2];
    rgba[p * 4 + 3] = 255;
  }
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return `data:${blob.type};base64,${await base64(blob)}`;
}

const bytesToBase64 = (bytes: Uint8Array) => base64(new Blob([bytes as BlobPart]));

function toJobError(error: unknown): { error: JobError; state: JobState } {
  if ((error as DOMException)?.name === 'AbortError') return { state: 'cancelled', error: { code: 'cancelled', message: 'Cancelled.' } };
  if (error instanceof ImageFetchError) return { state: 'error', error: { code: error.code, message: error.message } };
  const message = (error as Error)?.message ?? String(error);
  return { state: 'error', error: { code: 'internal', message: `Something went wrong: ${message}` } };
}

async function run(entry: Active): Promise<void> {
  const { id, controller } = entry;
  const signal = controller.signal;
  const t0 = entry.startedAt;
  try {
    const settings = await readSettings();
    await updateJob(id, { state: 'fetching', progress: undefined });
    const image = await toImage(entry, settings);
    signal.throwIfAborted();

    const engineLoadMs = (await loadEngineFor(id, settings)).loadMs;
    signal.throwIfAborted();

    await updateJob(id, { state: 'classifying', progress: undefined });
    const pre = preprocess(image, settings.preprocess);
    const { input, geometry } = pre;
    const r = await classifyTensor(input, 1, { topk: 5, engine: engineOptionsOf(settings) });
    const thumb = await thumbnail(image);
    signal.throwIfAborted();
    const extra: Record<string, unknown> = { [STORAGE_KEYS.thumbPrefix + id]: thumb };
    let saliency: JobRecord['saliency'];
    if (entry.kind === 'saliency') {
      await updateJob(id, { state: 'explaining', progress: `${r.top[0][0].label}: vanilla gradient`, fraction: undefined });
      let lastWrite = 0;
      const s = await saliencyForJob(pre.pixels, 'vanilla', {
        signal,
        onProgress: (text, fraction) => {
          const now = Date.now();
          if (now - lastWrite < 250) return;
          lastWrite = now;
          void updateJob(id, { progress: text, fraction });
        },
      });
      signal.throwIfAborted();
      saliency = s.info;
      const data: SaliencyData = { size: s.size, map: await bytesToBase64(s.bytes), view: await rgbPng(pre.pixels, s.size) };
      extra[STORAGE_KEYS.saliencyPrefix + id] = data;
      signal.throwIfAborted();
    }
    if (entry.kind === 'fool') {
      // The attack waits for the user's target; keep the exact pixels it will start from.
      const data: FoolData = { size: INPUT, view: await rgbPng(pre.pixels, INPUT) };
      extra[STORAGE_KEYS.foolPrefix + id] = data;
    }
    const result = {
      top: r.top[0],
      geometry,
      image: { width: image.width, height: image.height, originalWidth: image.originalWidth, originalHeight: image.originalHeight },
      backend: r.backend,
      backendText: describeBackend(r.backend),
      inferenceMs: r.ms,
      totalMs: Date.now() - t0,
      engineLoadMs,
    };
    await updateJob(id, { state: 'done', result, saliency, progress: undefined, fraction: undefined }, extra);
    log(id, `${result.top[0].label} ${(result.top[0].prob * 100).toFixed(1)}% [${result.backendText}, ${r.ms.toFixed(0)} ms]`);
    await announce('done');
  } catch (error) {
    if (signal.aborted) return; // cancelJob already recorded it
    const { error: e, state } = toJobError(error);
    await failJob(id, e, state);
  }
}

/** Work on finished jobs (re-runs, attacks, checks, dreams) by job id: at most one per job. */
const tasks = new Map<string, AbortController>();

/** The job-record field that shows a task's progress or failure. */
export type TaskField = 'saliencyRun' | 'foolRun' | 'sanityRun' | 'dreamRun';
export const TASK_FIELDS: readonly TaskField[] = ['saliencyRun', 'foolRun', 'sanityRun', 'dreamRun'];

export interface TaskOutcome {
  /** applied to the job record when the task ends well (the task field is cleared too) */
  patch: (job: JobRecord) => void;
  /** storage keys written with it (maps, images) — only while the job still exists */
  extra?: Record<string, unknown>;
  /** a line for the log */
  log: string;
}

export interface TaskSpec {
  field: TaskField;
  /** shown while it runs (for saliency re-runs: the method name, which the picker shows) */
  method: string;
  /** why the job cannot take this task, or null */
  refuse: (job: JobRecord) => string | null;
  work: (job: JobRecord, signal: AbortSignal, progress: (text: string, fraction?: number) => void, preview: (pngDataUrl: string) => void) => Promise<TaskOutcome>;
}

/**
 * Queues a task on a finished job behind the jobs and tasks already waiting (one piece of work at
 * a time: they share the engine and the worker's one thread). Progress goes to the job's task
 * field; the outcome is applied when done; a cancelled task leaves the job as it was; a failed one
 * leaves an error in the field.
 */
export async function startTask(id: string, spec: TaskSpec): Promise<{ ok: boolean; reason?: string }> {
  const job = (await getJobs()).find((j) => j.id === id);
  if (!job) return { ok: false, reason: 'no such job (it may have been removed: only the last 20 are kept)' };
  const refusal = spec.refuse(job);
  if (refusal) return { ok: false, reason: refusal };
  if (tasks.has(id)) return { ok: false, reason: 'SqueezeLens is already working on this image; wait for it or cancel it' };
  const { field, method } = spec;
  const controller = new AbortController();
  tasks.set(id, controller);
  const ahead = queue.length + (running ? 1 : 0);
  await patchJob(id, (j) => (j[field] = { method, state: 'running', progress: ahead ? `waiting: ${ahead} job(s) ahead` : 'starting…', worker: WORKER_ID }));
  const execute = async () => {
    const signal = controller.signal;
    let previewed = false;
    try {
      signal.throwIfAborted();
      const current = (await getJobs()).find((j) => j.id === id);
      if (!current) throw new Error('the job was removed meanwhile');
      await patchJob(id, (j) => (j[field] = { method, state: 'running', worker: WORKER_ID }));
      let lastWrite = 0;
      let lastPreview = 0;
      const outcome = await spec.work(
        current,
        signal,
        (text, fraction) => {
          const now = Date.now();
          if (now - lastWrite < 250) return; // the popup redraws on every write
          lastWrite = now;
          void patchJob(id, (j) => {
            const run = j[field];
            if (run?.state === 'running') Object.assign(run, { progress: text, fraction });
          });
        },
        (png) => {
          const now = Date.now();
          // (previews are encoded asynchronously: one may arrive after the task ended)
          if (now - lastPreview < 1000 || signal.aborted || tasks.get(id) !== controller) return;
          lastPreview = now;
          previewed = true;
          void patchJob(id, (j) => {
            const run = j[field];
            if (run?.state === 'running') run.preview = true;
          }, { [STORAGE_KEYS.previewPrefix + id]: png });
        },
      );
      signal.throwIfAborted();
      await patchJob(id, (j) => {
        outcome.patch(j);
        delete j[field];
      }, outcome.extra);
      log(id, outcome.log);
    } catch (error) {
      if (signal.aborted) {
        await patchJob(id, (j) => delete j[field]);
      } else {
        const message = (error as Error)?.message ?? String(error);
        log(id, `${method} failed: ${message}`, 'warn');
        await patchJob(id, (j) => (j[field] = { method, state: 'error', error: message, worker: WORKER_ID }));
      }
    } finally {
      tasks.delete(id);
      if (previewed) {
        // The preview was for while it ran; a late preview write is chained before this removal.
        await patchJob(id, (j) => {
          if (j[field]) delete j[field]!.preview;
        });
        await chrome.storage.session.remove(STORAGE_KEYS.previewPrefix + id);
      }
    }
  };
  queue.push({ id, controller, execute, waiting: (n) => patchJob(id, (j) => {
    const run = j[field];
    if (run?.state === 'running') run.progress = n ? `waiting: ${n} job(s) ahead` : 'next';
  }) });
  void pump();
  return { ok: true };
}

/** The exact RGB pixels of a lossless PNG data: URL (a job's stored 224×224 view, a fooled image). */
export async function pngPixels(dataUrl: string): Promise<{ width: number; height: number; rgb: Uint8ClampedArray }> {
  const bitmap = await createImageBitmap(await (await fetch(dataUrl)).blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8ClampedArray(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    rgb[p * 3] = rgba[p * 4];
    rgb[p * 3 + 1] = rgba[p * 4 + 1];
    rgb[p * 3 + 2] = rgba[p * 4 + 2];
  }
  return { width, height, rgb };
}

/**
 * Re-computes a finished saliency job's map with another method, on the pixels the first map
 * used. The new map replaces the old one when done; a cancelled or failed run leaves the old map.
 */
export function rerunSaliency(id: string, method: SaliencyMethodName): Promise<{ ok: boolean; reason?: string }> {
  const key = STORAGE_KEYS.saliencyPrefix + id;
  return startTask(id, {
    field: 'saliencyRun',
    method,
    refuse: (job) => (job.kind !== 'saliency' || job.state !== 'done' || !job.saliency ? 'not a finished saliency job' : null),
    work: async (_job, signal, progress) => {
      const data = (await chrome.storage.session.get(key))[key] as SaliencyData | undefined;
      if (!data) throw new Error('the image of this job is not stored any more');
      const { rgb } = await pngPixels(data.view);
      const s = await saliencyForJob(rgb, method, { signal, onProgress: progress });
      const next: SaliencyData = { size: s.size, map: await bytesToBase64(s.bytes), view: data.view };
      return {
        patch: (j) => {
          j.saliency = s.info;
          delete j.sanity; // it checked the previous map
        },
        extra: { [key]: next },
        log: `saliency ${method}: ${s.info.ms.toFixed(0)} ms`,
      };
    },
  });
}

/** Marks jobs left active by a stopped worker as interrupted (run at startup and on demand). */
export async function recoverInterrupted(): Promise<number> {
  const jobs = await getJobs();
  let n = 0;
  for (const job of jobs) {
    if (isFinal(job.state) || job.worker === WORKER_ID) continue;
    n++;
    const stage = STATE_TEXT[job.state].replace(/…$/, '').toLowerCase();
    const message =
      job.state === 'queued' || job.state === 'capturing'
        ? `The extension's background worker was stopped while this job was waiting (${stage}); it did not run. Please try again.`
        : `The extension's background worker was stopped while this job was running (${stage}); its result was lost. Please try again.`;
    log(job.id, `interrupted: ${message}`, 'warn');
    await updateJob(job.id, { state: 'interrupted', error: { code: 'interrupted', message }, failedIn: job.state, progress: undefined, fraction: undefined });
  }
  // A task whose worker is gone: the job keeps what it had; say so.
  for (const job of jobs) {
    for (const field of TASK_FIELDS) {
      const run = job[field];
      if (run?.state === 'running' && run.worker !== WORKER_ID) {
        const what = field === 'saliencyRun' ? 'the map was being computed' : field === 'foolRun' ? 'the fooling image was being made' : field === 'sanityRun' ? 'the map was being checked' : 'the dream was being made';
        await patchJob(job.id, (j) => (j[field] = { method: run.method, state: 'error', error: `The extension's background worker was stopped while ${what}. Please try again.`, worker: WORKER_ID }));
      }
    }
  }
  if (n) await announce('error');
  return n;
}

/**
 * The toolbar badge: set when a result or an error is ready (the fallback when the popup could not
 * be opened), cleared when the popup shows it.
 */
export async function announce(what: 'done' | 'error' | 'none' | 'clear'): Promise<void> {
  try {
    if (what === 'clear' || what === 'none') {
      if (what === 'clear') await chrome.action.setBadgeText({ text: '' });
      return;
    }
    await chrome.action.setBadgeBackgroundColor({ color: what === 'done' ? '#1a7f37' : '#c62828' });
    await chrome.action.setBadgeText({ text: what === 'done' ? '1' : '!' });
    await chrome.action.setTitle({ title: what === 'done' ? 'SqueezeLens: a result is ready — click to see it' : 'SqueezeLens: a job failed — click for details' });
  } catch {
    // no action UI (e.g. during shutdown): nothing to announce
  }
}

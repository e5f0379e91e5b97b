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
import { preprocess } from '../engine/preprocess.js';
import { isFinal, STATE_TEXT, STORAGE_KEYS, type JobError, type JobKind, type JobRecord, type JobState, type SaliencyData, type SourceInfo } from '../shared/jobs.js';
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
const queue: Active[] = [];
let running: Active | null = null;

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

export function log(job: string, message: string, level: 'info' | 'warn' = 'info'): void {
  console[level](`[SqueezeLens] job ${job}: ${message}`);
}

/** A new job, created when the menu item is clicked (before the page is asked for the image). */
export async function createJob(kind: JobKind, pageUrl: string | undefined): Promise<{ id: string; signal: AbortSignal }> {
  const id = newJobId();
  const entry: Active = { id, kind, controller: new AbortController(), startedAt: Date.now() };
  active.set(id, entry);
  const now = Date.now();
  await addJob({ id, kind, state: 'capturing', createdAt: now, updatedAt: now, worker: WORKER_ID, source: pageUrl ? { element: '?', pageUrl } : undefined });
  return { id, signal: entry.controller.signal };
}

/** The page answered: queue the job (or record why there is nothing to analyse). */
export async function enqueue(id: string, source: CaptureSource, info: SourceInfo): Promise<void> {
  const entry = active.get(id);
  if (!entry || entry.controller.signal.aborted) return;
  entry.source = source;
  queue.push(entry);
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

/** Cancels a job of this worker (or its saliency re-run); answers why not when it cannot. */
export async function cancelJob(id: string): Promise<{ ok: boolean; reason?: string }> {
  const rerun = reruns.get(id);
  if (rerun) {
    rerun.abort(new DOMException('cancelled by the user', 'AbortError'));
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
  const i = queue.indexOf(entry);
  if (i >= 0) queue.splice(i, 1);
  await failJob(id, { code: 'cancelled', message: 'Cancelled.' }, 'cancelled');
  return { ok: true };
}

async function pump(): Promise<void> {
  if (running) return;
  while (queue.length) {
    running = queue.shift()!;
    try {
      await run(running);
    } finally {
      active.delete(running.id);
      running = null;
    }
    // Tell the jobs still waiting how many are ahead of them.
    for (const [i, q] of queue.entries()) await updateJob(q.id, { progress: i ? `${i} job(s) ahead` : 'next' });
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

/** The 224×224 RGB view the network saw, as a PNG data: URL (lossless: the exact input pixels). */
async function viewImage(pixels: Uint8ClampedArray, size: number): Promise<string> {
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    rgba[p * 4] = pixels[p * 3];
    rgba[p * 4 + 1] = pixels[p * 3 + 1];
    rgba[p * 4 + 2] = pixels[p * 3 + 2];
    rgba[p * 4 + 3] = 255;
  }
  const canvas = new OffscreenCanvas(size, size);
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, size, size), 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return `data:${blob.type};base64,${await base64(blob)}`;
}

const bytesToBase64 = (bytes: Uint8Array) => base64(new Blob([bytes as BlobPart]));

const NOTICES: Partial<Record<JobKind, string>> = {
  fool: 'Fooling images are not available in this version yet. Here is the classification an attack would start from.',
};

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
    const engineOptions: EngineOptions = { backend: settings.backend, weights: settings.weights };
    await updateJob(id, { state: 'fetching', progress: undefined });
    const image = await toImage(entry, settings);
    signal.throwIfAborted();

    let engineLoadMs: number | undefined;
    if (!engineLoadStarted()) await updateJob(id, { state: 'loading-model', progress: undefined });
    try {
      const loading = !engineLoadStarted();
      const engine = await getEngine(engineOptions);
      if (loading) engineLoadMs = engine.load.totalMs;
    } catch (error) {
      throw Object.assign(new ImageFetchError(`SqueezeNet could not be loaded: ${(error as Error).message}`, 'engine'), { cause: error });
    }
    signal.throwIfAborted();

    await updateJob(id, { state: 'classifying', progress: undefined });
    const pre = preprocess(image, settings.preprocess);
    const { input, geometry } = pre;
    const r = await classifyTensor(input, 1, { topk: 5, engine: engineOptions });
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
      const data: SaliencyData = { size: s.size, map: await bytesToBase64(s.bytes), view: await viewImage(pre.pixels, s.size) };
      extra[STORAGE_KEYS.saliencyPrefix + id] = data;
      signal.throwIfAborted();
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
    await updateJob(id, { state: 'done', result, notice: NOTICES[entry.kind], saliency, progress: undefined, fraction: undefined }, extra);
    log(id, `${result.top[0].label} ${(result.top[0].prob * 100).toFixed(1)}% [${result.backendText}, ${r.ms.toFixed(0)} ms]`);
    await announce('done');
  } catch (error) {
    if (signal.aborted) return; // cancelJob already recorded it
    const { error: e, state } = toJobError(error);
    await failJob(id, e, state);
  }
}

/** Saliency re-runs in progress (job id → their abort controller); run one at a time. */
const reruns = new Map<string, AbortController>();
let rerunChain: Promise<unknown> = Promise.resolve();

/** The exact 224×224 RGB pixels stored with a saliency job (its lossless PNG view). */
async function storedPixels(data: SaliencyData): Promise<Uint8ClampedArray> {
  const bitmap = await createImageBitmap(await (await fetch(data.view)).blob());
  const canvas = new OffscreenCanvas(data.size, data.size);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, data.size, data.size).data;
  const rgb = new Uint8ClampedArray(data.size * data.size * 3);
  for (let p = 0; p < data.size * data.size; p++) {
    rgb[p * 3] = rgba[p * 4];
    rgb[p * 3 + 1] = rgba[p * 4 + 1];
    rgb[p * 3 + 2] = rgba[p * 4 + 2];
  }
  return rgb;
}

/**
 * Re-computes a finished saliency job's map with another method, on the pixels the first map
 * used. Progress goes to the job's `saliencyRun`; the new map replaces the old one when done; a
 * cancelled or failed run leaves the old map.
 */
export async function rerunSaliency(id: string, method: SaliencyMethodName): Promise<{ ok: boolean; reason?: string }> {
  const job = (await getJobs()).find((j) => j.id === id);
  if (!job) return { ok: false, reason: 'no such job' };
  if (job.kind !== 'saliency' || job.state !== 'done' || !job.saliency) return { ok: false, reason: 'not a finished saliency job' };
  if (reruns.has(id)) return { ok: false, reason: 'a map is already being computed for this job' };
  const key = STORAGE_KEYS.saliencyPrefix + id;
  const data = (await chrome.storage.session.get(key))[key] as SaliencyData | undefined;
  if (!data) return { ok: false, reason: 'the image of this job is not stored any more' };
  const controller = new AbortController();
  reruns.set(id, controller);
  await patchJob(id, (j) => (j.saliencyRun = { method, state: 'running', progress: 'waiting…', worker: WORKER_ID }));
  const run = rerunChain.then(async () => {
    const signal = controller.signal;
    try {
      signal.throwIfAborted();
      const pixels = await storedPixels(data);
      await patchJob(id, (j) => (j.saliencyRun = { method, state: 'running', worker: WORKER_ID }));
      let lastWrite = 0;
      const s = await saliencyForJob(pixels, method, {
        signal,
        onProgress: (text, fraction) => {
          const now = Date.now();
          if (now - lastWrite < 250) return;
          lastWrite = now;
          void patchJob(id, (j) => {
            if (j.saliencyRun?.state === 'running') Object.assign(j.saliencyRun, { progress: text, fraction });
          });
        },
      });
      signal.throwIfAborted();
      const next: SaliencyData = { size: s.size, map: await bytesToBase64(s.bytes), view: data.view };
      await patchJob(id, (j) => {
        j.saliency = s.info;
        delete j.saliencyRun;
      }, { [key]: next });
      log(id, `saliency ${method}: ${s.info.ms.toFixed(0)} ms`);
    } catch (error) {
      if (signal.aborted) {
        await patchJob(id, (j) => delete j.saliencyRun);
      } else {
        const message = (error as Error)?.message ?? String(error);
        log(id, `saliency ${method} failed: ${message}`, 'warn');
        await patchJob(id, (j) => (j.saliencyRun = { method, state: 'error', error: `The map could not be computed: ${message}`, worker: WORKER_ID }));
      }
    } finally {
      reruns.delete(id);
    }
  });
  rerunChain = run.catch(() => {});
  return { ok: true };
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
  // A saliency re-run whose worker is gone: the old map stays; say so.
  for (const job of jobs) {
    if (job.saliencyRun?.state === 'running' && job.saliencyRun.worker !== WORKER_ID) {
      const method = job.saliencyRun.method;
      await patchJob(job.id, (j) => (j.saliencyRun = { method, state: 'error', error: "The extension's background worker was stopped while the map was being computed. Please try again.", worker: WORKER_ID }));
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

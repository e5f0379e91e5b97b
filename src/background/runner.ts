/**
 * Runs the task specs (./tasks/) on the queue (./queue.ts), in one of two ways:
 * - as a job's own pipeline (a menu job: classify, then a saliency job's map; a class
 *   visualization): the job's state and progress line follow it, its result lands when it ends;
 * - as work on a finished job (a saliency re-run, the sanity check, a fooling image, DeepDream):
 *   its progress goes to `job.runs[kind]`; a cancelled run leaves the job as it was, a failed one
 *   leaves its error there.
 */

import { layerChannels } from '../engine/architecture.js';
import type { ForwardHeads } from '../methods/explain/saliency.js';
import { DEFAULT_SALIENCY_METHOD, INVERT_DEFAULTS, STYLIZE_DEFAULTS } from '../shared/catalog.js';
import { t } from '../shared/i18n.js';
import {
  type ActiveState,
  type JobError,
  type JobRecord,
  type JobState,
  type MenuJobKind,
  STORAGE_KEYS,
  type TaskKind,
  type TaskResults,
} from '../shared/jobs.js';
import type { CaptureSource } from '../shared/messages.js';
import { DEFAULT_SETTINGS, parseSettings, SETTINGS_KEY, type Settings } from '../shared/settings.js';
import { ImageFetchError } from './decode-sw.js';
import { type EngineOptions, getEngine } from './engine-sw.js';
import {
  aheadText,
  announce,
  createJob,
  failJob,
  keptCapture,
  log,
  queueJob,
  queueTask,
  type Requeue,
  taskBusy,
  taskCurrent,
  throttle,
  WORKER_ID,
  workAhead,
} from './queue.js';
import { getJobs, mutateJobs, patchJob, removeKeys, updateJob } from './store.js';
import { TASKS } from './tasks/index.js';
import type { TaskContext, TaskOutcome, TaskRequests, TaskSpec, WholeView } from './tasks/types.js';
import { endTimings, mark, timingsOf } from './timings.js';

/** The progress line is written at most 4 times a second (the popup redraws on every write). */
const PROGRESS_MS = 250;
/** A live preview image at most once a second, unless the task says otherwise. */
const PREVIEW_MS = 1000;

export async function readSettings(): Promise<Settings> {
  try {
    return parseSettings((await chrome.storage.local.get(SETTINGS_KEY))[SETTINGS_KEY]);
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

/**
 * The engine the settings ask for. Forcing WebGPU accepts a software adapter (the user chose it;
 * results name the adapter).
 */
export function engineOptionsOf(settings: Settings): EngineOptions {
  return { backend: settings.backend, weights: settings.weights, allowFallbackAdapter: settings.backend === 'webgpu' };
}

async function loadEngine(settings: Settings) {
  try {
    return await getEngine(engineOptionsOf(settings));
  } catch (error) {
    throw Object.assign(new ImageFetchError(t('errEngine', (error as Error).message), 'engine'), {
      cause: error,
    });
  }
}

async function stored<T>(key: string): Promise<T | undefined> {
  return (await chrome.storage.session.get(key))[key] as T | undefined;
}

function toJobError(error: unknown): { error: JobError; state: JobState } {
  if ((error as DOMException)?.name === 'AbortError')
    return { state: 'cancelled', error: { code: 'cancelled', message: t('errCancelled') } };
  if (error instanceof ImageFetchError) return { state: 'error', error: { code: error.code, message: error.message } };
  const message = (error as Error)?.message ?? String(error);
  return { state: 'error', error: { code: 'internal', message: t('errSomethingWrong', message) } };
}

/** How a running task reports: to the job itself, or to its run on a finished job. */
interface Sink {
  stage(state: ActiveState, progress?: string): Promise<void>;
  progress(text: string, fraction: number | undefined, patch?: (job: JobRecord) => void): void;
  /** writes a live preview image under `key` */
  preview(key: string, png: string): void;
}

function contextFor<K extends TaskKind>(
  spec: TaskSpec<K>,
  job: JobRecord,
  signal: AbortSignal,
  settings: Settings,
  sink: Sink,
  live: () => boolean,
) {
  const previewKey = (spec.previewPrefix ?? STORAGE_KEYS.previewPrefix) + job.id;
  let previewed = false;
  const ctx: TaskContext = {
    jobId: job.id,
    job,
    signal,
    settings,
    engine: () => loadEngine(settings),
    stage: (state, progress) => sink.stage(state, progress),
    progress: throttle(PROGRESS_MS, (text: string, fraction?: number, patch?: (j: JobRecord) => void) =>
      sink.progress(text, fraction, patch),
    ),
    preview: throttle(spec.previewEveryMs ?? PREVIEW_MS, (png: string) => {
      // (previews are encoded asynchronously: one may arrive after the task ended)
      if (!live()) return;
      previewed = true;
      sink.preview(previewKey, png);
    }),
    stored,
  };
  return { ctx, previewKey, wasPreviewed: () => previewed };
}

/** Lands a task's result in the record (the spec may decide how). */
function land<K extends TaskKind>(kind: K, job: JobRecord, outcome: TaskOutcome<K>): void {
  const spec = TASKS[kind] as TaskSpec<K>;
  if (spec.land) spec.land(job, outcome.result);
  else (job.results as Record<K, unknown>)[kind] = outcome.result;
}

/**
 * Runs one task as (part of) a job's pipeline; returns its outcome and the record with its result.
 * The last step waits for its result's write. A step that another follows does not: the write
 * goes out (the popup shows the classification) while the next step already runs, which waits for
 * it (`after`) only before writing its own result. What a step leaves for after its answer
 * (`later`, the thumbnail) is for the caller to start once the job's last result is written.
 */
async function jobStep<K extends TaskKind>(
  kind: K,
  job: JobRecord,
  request: TaskRequests[K],
  signal: AbortSignal,
  settings: Settings,
  last: boolean,
  after?: Promise<unknown>,
) {
  const spec = TASKS[kind] as TaskSpec<K>;
  const id = job.id;
  // Stage writes are not waited for (each is a storage write of the job list, 5–20 ms): the one
  // write chain keeps them in order before the result, and the click's answer does not wait.
  const write = (patch: Partial<JobRecord>) =>
    void updateJob(id, patch).catch((error: unknown) => log(id, `stage write failed: ${error}`, 'warn'));
  write({ state: spec.state, progress: undefined, fraction: undefined });
  const sink: Sink = {
    stage: async (state, progress) => write({ state, progress, fraction: undefined }),
    progress: (progress, fraction, patch) => void updateJob(id, { progress, fraction }, undefined, patch),
    preview: (key, png) => void updateJob(id, {}, { [key]: png }),
  };
  let ended = false;
  const live = () => !ended && !signal.aborted;
  const { ctx, previewKey, wasPreviewed } = contextFor(spec, job, signal, settings, sink, live);
  // A live preview under the shared `preview:` key is for while it runs: removed once the result
  // is written (or the task failed). A task with its own prefix (the class visualization)
  // overwrites its preview with the result.
  const dropPreview = async () => {
    ended = true;
    if (!spec.previewPrefix && wasPreviewed()) await removeKeys([previewKey]);
  };
  let outcome: TaskOutcome<K>;
  try {
    outcome = await spec.run(ctx, request);
    signal.throwIfAborted();
    // The previous step's result is written first (a failed write fails the job, as before).
    await after;
  } catch (error) {
    await dropPreview();
    throw error;
  }
  if (kind !== 'classify') mark(id, 'followUp');
  const next: Partial<JobRecord> = { results: { ...job.results }, timings: timingsOf(id) };
  land(kind, next as JobRecord, outcome);
  Object.assign(next, last ? { state: 'done', progress: undefined, fraction: undefined } : {});
  ended = true;
  const written = updateJob(id, next, outcome.extra).then(async (record) => {
    await dropPreview();
    log(id, outcome.log);
    return record;
  });
  const local = { ...job, ...next } as JobRecord;
  if (!last) {
    written.catch(() => {}); // the next step awaits it
    return { outcome, job: local, written };
  }
  return { outcome, job: (await written) ?? local, written };
}

/** Stores what a task left for after its answer, if the job still exists by then. */
function storeLater(id: string, make: () => Promise<Record<string, unknown>>): void {
  make()
    .then((extra) => mutateJobs((jobs) => jobs.some((j) => j.id === id), extra))
    .catch((error: unknown) => log(id, `could not store what follows the answer (the thumbnail): ${error}`, 'warn'));
}

/** A task that follows classification in a menu job, with its request. */
type FollowUp = { [K in TaskKind]: [K, TaskRequests[K]] }[TaskKind];

/** What classification leaves for the task that follows it. */
interface Classified {
  /** the forward pass's outputs on the view (saliency's class, without a second pass) */
  heads?: ForwardHeads;
  /** the whole picture at its aspect ratio (the synthesis tasks) */
  whole?: WholeView;
}

/** After classification, what a menu job goes on with (on the exact view just classified). */
const FOLLOW_UP: Partial<Record<MenuJobKind, (pixels: Uint8ClampedArray, from: Classified) => FollowUp>> = {
  saliency: (pixels, { heads }) => ['saliency', { method: DEFAULT_SALIENCY_METHOD, pixels, heads }],
  style: (pixels, { whole }) => ['style', { pixels, whole }],
  invert: (pixels, { whole }) => ['invert', { layer: INVERT_DEFAULTS.layer, pixels, whole }],
  stylize: (pixels, { whole }) => [
    'stylize',
    { preset: STYLIZE_DEFAULTS.preset, strength: STYLIZE_DEFAULTS.strength, pixels, whole },
  ],
  segment: (pixels) => ['segment', { pixels }],
};

/** Runs a job a stopped worker left active again (recoverInterrupted decided that it should). */
export const requeueMenuJob: Requeue = (job, source) =>
  queueMenuJob(job.id, job.kind as MenuJobKind, source, job.source, { keepCapture: false });

/** The page answered: queue the job's pipeline (classify, then its follow-up). */
export async function queueMenuJob(
  id: string,
  kind: MenuJobKind,
  source: CaptureSource,
  info: JobRecord['source'],
  { keepCapture = true } = {},
): Promise<void> {
  const ahead = workAhead();
  const queued = queueJob(id, async (signal) => {
    mark(id, 'started');
    try {
      const [settings, list] = await Promise.all([readSettings(), getJobs()]);
      const first = list.find((j) => j.id === id);
      if (!first) return;
      const follow = FOLLOW_UP[kind];
      const classified = await jobStep('classify', first, { source }, signal, settings, !follow);
      if (follow) {
        const { outcome } = classified;
        const [next, request] = follow(outcome.pixels!, outcome) as [TaskKind, TaskRequests[TaskKind]];
        await jobStep(next, classified.job, request, signal, settings, true, classified.written);
      }
      // The thumbnail once the job's answer (its last result) is written, not while it is computed.
      if (classified.outcome.later) storeLater(id, classified.outcome.later);
      await announce('done');
    } catch (error) {
      if (signal.aborted) return; // cancelJob already recorded it
      const { error: e, state } = toJobError(error);
      await failJob(id, e, state);
    } finally {
      endTimings(id);
      if (keepCapture) void removeKeys([STORAGE_KEYS.capturePrefix + id]).catch(() => {});
    }
  });
  if (!queued) return endTimings(id);
  const extra = keepCapture ? keptCapture(id, kind, source) : undefined;
  await updateJob(id, { state: 'queued', source: info, progress: aheadText(ahead) }, extra);
}

/** A job with no page image (class visualization, texture), queued like the others. */
async function startStandalone<K extends 'visualize' | 'texture' | 'channel'>(
  kind: K,
  request: TaskRequests[K],
  results: Partial<TaskResults>,
): Promise<{ ok: true; jobId: string }> {
  const { id, written } = createJob({ kind, state: 'queued', results, progress: aheadText(workAhead()) });
  await written;
  queueJob(id, async (signal) => {
    try {
      const job = (await getJobs()).find((j) => j.id === id);
      if (!job) return;
      await jobStep(kind, job, request, signal, await readSettings(), true);
      await announce('done');
    } catch (error) {
      if (signal.aborted) return;
      const { error: e, state } = toJobError(error);
      await failJob(id, e, state);
    }
  });
  return { ok: true, jobId: id };
}

/** A class visualization ("What does SqueezeNet think a … looks like?"). */
export function startVisualization(request: TaskRequests['visualize']): Promise<{ ok: true; jobId: string }> {
  const visual = {
    classIndex: request.classIndex,
    label: `class ${request.classIndex}`,
    iterations: request.iterations,
    step: 0,
  };
  return startStandalone('visualize', request, { visualize: visual });
}

/** A channel / neuron visualization; a channel the layer does not have is refused, saying its range. */
export async function startChannel(
  request: TaskRequests['channel'],
): Promise<{ ok: true; jobId: string } | { ok: false; reason: string }> {
  const count = layerChannels(request.layer);
  if (request.channel >= count) return { ok: false, reason: t('channelRange', [request.layer, count, count - 1]) };
  return startStandalone('channel', request, { channel: { ...request, step: 0 } });
}

/** Texture synthesis from the style image kept in storage.local. */
export function startTexture(): Promise<{ ok: true; jobId: string }> {
  return startStandalone('texture', {}, {});
}

/**
 * Queues a task on a finished job behind the work already waiting. Progress goes to
 * `job.runs[kind]`; the result lands when done; a cancelled task leaves the job as it was; a
 * failed one leaves its error in the run.
 */
export async function startTask<K extends TaskKind>(
  jobId: string,
  kind: K,
  request: TaskRequests[K],
): Promise<{ ok: boolean; reason?: string }> {
  const spec = TASKS[kind] as TaskSpec<K>;
  const job = (await getJobs()).find((j) => j.id === jobId);
  if (!job) return { ok: false, reason: t('errNoSuchJob') };
  const refusal = spec.refuse?.(job, request) ?? taskBusy(jobId);
  if (refusal) return { ok: false, reason: refusal };
  const method = spec.title(request);
  const ahead = workAhead();
  const running = (progress?: string) => ({ method, state: 'running' as const, progress, worker: WORKER_ID });
  await patchJob(jobId, (j) => (j.runs[kind] = running(ahead ? t('progressWaiting', ahead) : t('progressStarting'))));
  queueTask(jobId, kind, async (signal) => {
    let ended = false;
    const live = () => !ended && taskCurrent(jobId, signal);
    const sink: Sink = {
      stage: async () => {},
      progress: (progress, fraction) =>
        void patchJob(jobId, (j) => {
          const run = j.runs[kind];
          if (run?.state === 'running') Object.assign(run, { progress, fraction });
        }),
      preview: (key, png) =>
        void patchJob(
          jobId,
          (j) => {
            const run = j.runs[kind];
            if (run?.state === 'running') run.preview = true;
          },
          { [key]: png },
        ),
    };
    let preview: { key: string; shown: () => boolean } | undefined;
    try {
      signal.throwIfAborted();
      const current = (await getJobs()).find((j) => j.id === jobId);
      if (!current) throw new Error(t('errJobRemoved'));
      await patchJob(jobId, (j) => (j.runs[kind] = running()));
      const { ctx, previewKey, wasPreviewed } = contextFor(spec, current, signal, await readSettings(), sink, live);
      preview = { key: previewKey, shown: wasPreviewed };
      const outcome = await spec.run(ctx, request);
      signal.throwIfAborted();
      await patchJob(
        jobId,
        (j) => {
          land(kind, j, outcome);
          delete j.runs[kind];
        },
        outcome.extra,
      );
      log(jobId, outcome.log);
    } catch (error) {
      if (signal.aborted) {
        await patchJob(jobId, (j) => delete j.runs[kind]);
      } else {
        const message = (error as Error)?.message ?? String(error);
        log(jobId, `${method} failed: ${message}`, 'warn');
        await patchJob(jobId, (j) => (j.runs[kind] = { method, state: 'error', error: message, worker: WORKER_ID }));
      }
    } finally {
      ended = true;
      // The preview was for while it ran (a late preview write is chained before this removal).
      if (preview?.shown()) await removeKeys([preview.key]);
    }
  });
  return { ok: true };
}

export { createJob, failJob };

/**
 * The one queue of the service worker: menu jobs, class visualizations and work on finished jobs
 * (re-runs, attacks, checks, dreams) run one at a time — they share the engine and the worker's
 * one thread — in the order they were asked for. Everything can be cancelled (waiting: dropped;
 * running: aborted, its result discarded). Every change goes to storage.session (./store.ts), so
 * the popup follows it and nothing is lost when the popup closes.
 *
 * A worker that Chrome stops takes its memory with it: the next worker finds jobs and runs still
 * marked active by another worker instance and reports them as interrupted (recoverInterrupted),
 * except a classification or saliency menu job, which it runs again, once (retryJob).
 */
import { type MessageKey, t } from '../shared/i18n.js';
import {
  isFinal,
  type JobError,
  type JobKind,
  type JobRecord,
  type JobState,
  STATE_TEXT,
  STORAGE_KEYS,
  TASK_KINDS,
  type TaskKind,
} from '../shared/jobs.js';
import type { CaptureSource } from '../shared/messages.js';
import { addJob, getJobs, patchJob, removeKeys, updateJob } from './store.js';

/** This worker instance; a different value on a job means its worker is gone. */
export const WORKER_ID = performance.timeOrigin;

let seq = 0;
export function newJobId(): string {
  return `${Date.now().toString(36)}-${(seq++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export function log(job: string, message: string, level: 'info' | 'warn' = 'info'): void {
  console[level](`[SqueezeLens] job ${job}: ${message}`);
}

/**
 * A function that runs at most once per `ms` (calls in between are dropped): progress arrives
 * far more often than the popup needs, and every write makes it redraw.
 */
export function throttle<A extends unknown[]>(ms: number, fn: (...args: A) => void): (...args: A) => void {
  let last = -Infinity;
  return (...args: A) => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    fn(...args);
  };
}

/** One piece of work for the engine: a job's own pipeline, or a task on a finished job. */
interface Work {
  jobId: string;
  controller: AbortController;
  execute: () => Promise<void>;
  /** tells it how many items are ahead of it */
  waiting: (ahead: number) => Promise<unknown>;
}

const queue: Work[] = [];
let running: Work | null = null;
/** Jobs of this worker that have not ended (capturing, queued or running). */
const jobs = new Map<string, AbortController>();
/** Tasks on finished jobs, by job id: at most one per job. */
const tasks = new Map<string, { kind: TaskKind; controller: AbortController }>();

/** How many pieces of work are ahead of one queued now. */
export const workAhead = (): number => queue.length + (running ? 1 : 0);

export const aheadText = (n: number): string | undefined => (n ? t('progressAhead', n) : undefined);

/** Records a new job (its pipeline is queued later, with `queueJob`). */
export function createJob(
  init: Omit<JobRecord, 'id' | 'createdAt' | 'updatedAt' | 'worker' | 'results' | 'runs'> &
    Partial<Pick<JobRecord, 'results'>>,
): { id: string; signal: AbortSignal; written: Promise<void> } {
  const id = newJobId();
  const controller = new AbortController();
  jobs.set(id, controller);
  const now = Date.now();
  // Every later write of this job is queued behind this one, so callers may go on (a menu click
  // asks the page for the image meanwhile) and wait for `written` only where they must.
  const written = addJob({ results: {}, ...init, id, createdAt: now, updatedAt: now, worker: WORKER_ID, runs: {} });
  return { id, signal: controller.signal, written };
}

/** Takes over a job a stopped worker left active, to run it again (its pipeline is queued with `queueJob`). */
export function adoptJob(id: string): AbortSignal {
  const controller = new AbortController();
  jobs.set(id, controller);
  return controller.signal;
}

/** Queues a job's pipeline; false when the job was cancelled meanwhile. */
export function queueJob(id: string, execute: (signal: AbortSignal) => Promise<void>): boolean {
  const controller = jobs.get(id);
  if (!controller || controller.signal.aborted) return false;
  queue.push({
    jobId: id,
    controller,
    execute: async () => {
      try {
        await execute(controller.signal);
      } finally {
        jobs.delete(id);
      }
    },
    waiting: (n) => updateJob(id, { progress: aheadText(n) ?? t('progressNext') }),
  });
  void pump();
  return true;
}

/** Why this job cannot take another task now, or null. */
export const taskBusy = (jobId: string): string | null => (tasks.has(jobId) ? t('refuseBusy') : null);

/** Queues a task on a finished job (the caller checked `taskBusy` and wrote its run first). */
export function queueTask(jobId: string, kind: TaskKind, execute: (signal: AbortSignal) => Promise<void>): void {
  const controller = new AbortController();
  tasks.set(jobId, { kind, controller });
  queue.push({
    jobId,
    controller,
    execute: async () => {
      try {
        await execute(controller.signal);
      } finally {
        tasks.delete(jobId);
      }
    },
    waiting: (n) =>
      patchJob(jobId, (j) => {
        const run = j.runs[kind];
        if (run?.state === 'running') run.progress = n ? t('progressWaiting', n) : t('progressNext');
      }),
  });
  void pump();
}

/** Whether this task is still the one running on its job (previews are encoded asynchronously). */
export const taskCurrent = (jobId: string, signal: AbortSignal): boolean =>
  !signal.aborted && tasks.get(jobId)?.controller.signal === signal;

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

const cancelled = () => new DOMException('cancelled by the user', 'AbortError');

export async function failJob(id: string, error: JobError, state: JobState = 'error'): Promise<void> {
  jobs.delete(id);
  void removeKeys([STORAGE_KEYS.capturePrefix + id]).catch(() => {});
  const before = (await getJobs()).find((j) => j.id === id);
  log(id, `${state}: ${error.code}: ${error.message}`, 'warn');
  await updateJob(id, { state, error, failedIn: before?.state, progress: undefined, fraction: undefined });
  await announce(state === 'error' ? 'error' : 'none');
}

/** Cancels a job of this worker (or the task running on it); answers why not when it cannot. */
export async function cancelJob(id: string): Promise<{ ok: boolean; reason?: string }> {
  const task = tasks.get(id);
  if (task) {
    task.controller.abort(cancelled());
    const i = queue.findIndex((q) => q.controller === task.controller);
    if (i >= 0) {
      // Not started: it will never run, so clean up here.
      queue.splice(i, 1);
      tasks.delete(id);
      await patchJob(id, (j) => {
        if (j.runs[task.kind]?.state === 'running') delete j.runs[task.kind];
      });
    }
    return { ok: true };
  }
  const controller = jobs.get(id);
  if (!controller) {
    const job = (await getJobs()).find((j) => j.id === id);
    if (!job) return { ok: false, reason: t('errNoJob') };
    if (isFinal(job.state)) return { ok: false, reason: t('errJobEnded', STATE_TEXT[job.state].toLowerCase()) };
    // Active in storage but unknown here: its worker is gone (or this worker's start-up is taking
    // it over right now: then cancel it here once that is done).
    await recoverInterrupted();
    if (jobs.has(id) || tasks.has(id)) return cancelJob(id);
    return { ok: true };
  }
  controller.abort(cancelled());
  const i = queue.findIndex((q) => q.controller === controller);
  if (i >= 0) queue.splice(i, 1);
  await failJob(id, { code: 'cancelled', message: t('errCancelled') }, 'cancelled');
  return { ok: true };
}

/** What a stopped worker's task was doing, for the message that says it was lost. */
const LOST_TASK: Partial<Record<TaskKind, MessageKey>> = {
  saliency: 'lostSaliency',
  fool: 'lostFool',
  sanity: 'lostSanity',
  dream: 'lostDream',
};

/**
 * Menu jobs a new worker runs again, once, when the worker running them was stopped: a download
 * and a few passes of the network, cheap to redo, with nothing the user chose after the click.
 * (A fooling image or a reconstruction waits for choices in the popup, or runs for long: those
 * are reported as interrupted.)
 */
const RETRIED: readonly JobKind[] = ['classify', 'saliency'];
/**
 * What the page sent is kept for a retry only up to this size (a data: URL or a canvas's PNG can
 * be large; storage.session holds 10 MB for everything).
 */
export const MAX_KEPT_CAPTURE = 1 << 20;
/**
 * A job whose last write is older than this when a new worker finds it is reported, not run again:
 * the next worker may start hours later (on the next click), when an answer to the old click would
 * surprise more than help.
 */
export const RETRY_WITHIN_MS = 5 * 60_000;

/** The key to write with a queued menu job so that a new worker can run it again, if it may. */
export function keptCapture(id: string, kind: JobKind, source: CaptureSource): Record<string, unknown> | undefined {
  if (!RETRIED.includes(kind)) return undefined;
  const size = source.kind === 'url' ? source.url.length : source.dataUrl.length;
  return size <= MAX_KEPT_CAPTURE ? { [STORAGE_KEYS.capturePrefix + id]: source } : undefined;
}

/** Queues a job taken over from a stopped worker with what its page sent. */
export type Requeue = (job: JobRecord, source: CaptureSource) => Promise<void>;

/**
 * A job a stopped worker left active is run again if it is a classification or saliency menu job,
 * not retried already, written to lately, whose capture was kept (none while the page was still
 * being asked: nothing to run yet). False: it is reported as interrupted.
 */
async function retryJob(job: JobRecord, requeue: Requeue): Promise<boolean> {
  if (!RETRIED.includes(job.kind) || job.retried || Date.now() - job.updatedAt > RETRY_WITHIN_MS) return false;
  const key = STORAGE_KEYS.capturePrefix + job.id;
  const source = (await chrome.storage.session.get(key))[key] as CaptureSource | undefined;
  if (!source) return false;
  adoptJob(job.id);
  const retried = { from: job.state, at: Date.now() };
  if (!(await updateJob(job.id, { worker: WORKER_ID, retried, progress: undefined, fraction: undefined }))) {
    jobs.delete(job.id);
    return false;
  }
  log(job.id, `running it again: the worker running it was stopped (${job.state})`, 'warn');
  await requeue(job, source);
  await removeKeys([key]); // no second retry
  return true;
}

let recovery: Promise<unknown> = Promise.resolve();

/**
 * Marks jobs and runs left active by a stopped worker as interrupted, except the jobs run again
 * (with `requeue`; without it none is), at startup and on demand, one pass at a time: a cancel that
 * comes while the start-up pass takes a job over must see it taken. Resolves with the number of
 * jobs reported.
 */
export function recoverInterrupted(requeue?: Requeue): Promise<number> {
  const pass = recovery.then(() => recoverOnce(requeue));
  recovery = pass.catch(() => {});
  return pass;
}

async function recoverOnce(requeue?: Requeue): Promise<number> {
  const list = await getJobs();
  let n = 0;
  for (const job of list) {
    if (isFinal(job.state) || job.worker === WORKER_ID) continue;
    if (requeue && (await retryJob(job, requeue))) continue;
    void removeKeys([STORAGE_KEYS.capturePrefix + job.id]).catch(() => {});
    n++;
    const stage = STATE_TEXT[job.state].replace(/…$/, '').toLowerCase();
    const waited = job.state === 'queued' || job.state === 'capturing';
    const message = t(waited ? 'errInterruptedWaiting' : 'errInterruptedRunning', stage);
    log(job.id, `interrupted: ${message}`, 'warn');
    await updateJob(job.id, {
      state: 'interrupted',
      error: { code: 'interrupted', message },
      failedIn: job.state,
      progress: undefined,
      fraction: undefined,
    });
  }
  // A task whose worker is gone: the job keeps what it had; say so.
  for (const job of list) {
    for (const kind of TASK_KINDS) {
      const run = job.runs?.[kind];
      if (run?.state !== 'running' || run.worker === WORKER_ID) continue;
      const error = t('errTaskLost', t(LOST_TASK[kind] ?? 'lostOther'));
      await patchJob(job.id, (j) => {
        j.runs[kind] = { method: run.method, state: 'error', error, worker: WORKER_ID };
      });
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
    await chrome.action.setTitle({
      title:
        what === 'done'
          ? 'SqueezeLens: a result is ready — click to see it'
          : 'SqueezeLens: a job failed — click for details',
    });
  } catch {
    // no action UI (e.g. during shutdown): nothing to announce
  }
}

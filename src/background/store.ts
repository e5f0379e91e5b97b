/**
 * The job list in storage.session (kept while the browser runs, readable only by this extension's
 * own pages). The worker is the only writer; writes go through one promise chain so concurrent
 * updates (a click while a job runs) never overwrite each other. A fresh worker reads the list
 * back on first use.
 */
import { isFinal, type JobRecord, jobKeys, MAX_JOBS, STORAGE_KEYS } from '../shared/jobs.js';

let cache: JobRecord[] | null = null;
let chain: Promise<unknown> = Promise.resolve();

async function load(): Promise<JobRecord[]> {
  if (!cache) {
    const got = await chrome.storage.session.get(STORAGE_KEYS.jobs);
    const list = got[STORAGE_KEYS.jobs];
    cache = Array.isArray(list) ? (list as JobRecord[]) : [];
  }
  return cache;
}

/**
 * Keeps at most MAX_JOBS, removing the oldest finished ones. A job that has not ended is never
 * removed (a burst of clicks would otherwise lose results still being computed, unseen), so the
 * list may hold more while they wait.
 */
function trim(jobs: JobRecord[]): JobRecord[] {
  const removed: JobRecord[] = [];
  for (let i = 0; jobs.length > MAX_JOBS && i < jobs.length; ) {
    if (isFinal(jobs[i].state)) removed.push(...jobs.splice(i, 1));
    else i++;
  }
  return removed;
}

/**
 * Runs `change` on the current list and saves it (plus any extra keys, e.g. a thumbnail).
 * Returns what `change` returned. When `change` returns null or false (the job is gone, e.g.
 * evicted while a task ran), the extra keys are not written: they would be orphans.
 */
export function mutateJobs<T>(change: (jobs: JobRecord[]) => T, extra?: Record<string, unknown>): Promise<T> {
  const next = chain.then(async () => {
    const jobs = await load();
    const out = change(jobs);
    const removed = trim(jobs);
    const keep = out !== null && out !== false;
    for (let attempt = 0; ; attempt++) {
      try {
        await chrome.storage.session.set({ [STORAGE_KEYS.jobs]: jobs, ...(keep ? extra : undefined) });
        break;
      } catch (error) {
        // storage.session holds 10 MB. When it is full, the oldest finished jobs make room (they
        // would be evicted anyway) rather than the newest result being lost.
        const writing = Object.keys(extra ?? {});
        const oldest = jobs.findIndex((j) => isFinal(j.state) && !writing.some((k) => k.endsWith(`:${j.id}`)));
        if (!/quota/i.test(String((error as Error)?.message)) || oldest < 0 || attempt >= 10) throw error;
        const [evicted] = jobs.splice(oldest, 1);
        console.warn(
          `[SqueezeLens] session storage is full: removed the oldest result (job ${evicted.id}) to make room`,
        );
        await chrome.storage.session.remove(jobKeys(evicted.id));
      }
    }
    if (removed.length) await chrome.storage.session.remove(removed.flatMap((j) => jobKeys(j.id)));
    return out;
  });
  chain = next.catch(() => {});
  return next;
}

export function addJob(job: JobRecord): Promise<void> {
  return mutateJobs((jobs) => {
    jobs.push(job);
  });
}

/**
 * Updates a job (unless it already reached a final state, which is never overwritten): its fields,
 * then `change` if given. Resolves with the record written, or null.
 */
export function updateJob(
  id: string,
  patch: Partial<JobRecord>,
  extra?: Record<string, unknown>,
  change?: (job: JobRecord) => void,
): Promise<JobRecord | null> {
  return mutateJobs((jobs) => {
    const job = jobs.find((j) => j.id === id);
    if (!job) return null;
    if (isFinal(job.state)) return null;
    Object.assign(job, patch, { updatedAt: Date.now() });
    change?.(job);
    return { ...job };
  }, extra);
}

/** Patches a job whatever its state (saliency re-runs on finished jobs). */
export function patchJob(
  id: string,
  patch: (job: JobRecord) => void,
  extra?: Record<string, unknown>,
): Promise<boolean> {
  return mutateJobs((jobs) => {
    const job = jobs.find((j) => j.id === id);
    if (!job) return false;
    patch(job);
    job.updatedAt = Date.now();
    return true;
  }, extra);
}

/** Removes keys after every write queued before it (so a late preview write cannot outlive its removal). */
export function removeKeys(keys: string[]): Promise<void> {
  const next = chain.then(() => chrome.storage.session.remove(keys));
  chain = next.catch(() => {});
  return next;
}

export async function getJobs(): Promise<JobRecord[]> {
  await chain;
  return [...(await load())];
}

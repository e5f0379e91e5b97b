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

/** A change waiting for the next write, with its caller's promise. */
interface Pending {
  change: (jobs: JobRecord[]) => unknown;
  extra?: Record<string, unknown>;
  resolve: (out: unknown) => void;
  reject: (error: unknown) => void;
}

/** Changes made while a write is in flight, saved together by the next one (null: none waiting). */
let open: Pending[] | null = null;

/**
 * Runs `change` on the current list and saves it (plus any extra keys, e.g. a thumbnail).
 * Returns what `change` returned. When `change` returns null or false (the job is gone, e.g.
 * evicted while a task ran), the extra keys are not written: they would be orphans.
 *
 * Changes made while an earlier write is still in flight are applied in order and saved by one
 * write: a click's stage updates (queued, fetching, decoding, classifying) come faster than
 * storage.session writes the whole list (5–20 ms each), and the answer's write used to wait
 * behind every one of them.
 */
export function mutateJobs<T>(change: (jobs: JobRecord[]) => T, extra?: Record<string, unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (!open) {
      const batch: Pending[] = [];
      open = batch;
      const next = chain.then(() => {
        if (open === batch) open = null;
        return flush(batch);
      });
      chain = next.catch(() => {});
    }
    open.push({ change, extra, resolve: resolve as (out: unknown) => void, reject });
  });
}

/** Applies a batch of changes in order and writes the list once (each extra alone if that fails). */
async function flush(batch: Pending[]): Promise<void> {
  let jobs: JobRecord[];
  try {
    jobs = await load();
  } catch (error) {
    for (const p of batch) p.reject(error);
    return;
  }
  const before = new Map(jobs.map((j) => [j.id, JSON.stringify(j)]));
  const applied = batch.map((p) => {
    try {
      const out = p.change(jobs);
      return { p, ok: true as const, out, write: out !== null && out !== false ? p.extra : undefined };
    } catch (error) {
      p.reject(error);
      return { p, ok: false as const };
    }
  });
  const done = applied.filter((a) => a.ok);
  const removed = trim(jobs);
  // Jobs this batch changed are not evicted to make room for it (as when each change was written
  // alone: a job finishing beside a too-large result must not be the one that goes).
  const changed = new Set(jobs.filter((j) => before.get(j.id) !== JSON.stringify(j)).map((j) => j.id));
  const save = (extra: Record<string, unknown>) => saveList(jobs, extra, changed);
  try {
    await save(Object.assign({}, ...done.map((a) => a.write)));
    for (const a of done) a.p.resolve(a.out);
  } catch (error) {
    if (done.length <= 1) {
      for (const a of done) a.p.reject(error);
    } else {
      // One extra too many for the quota must not cost the others their write.
      const base = save({}).then(
        () => true,
        (e: unknown) => e,
      );
      for (const a of done) {
        const ok = await base;
        if (ok !== true) a.p.reject(ok);
        else if (!a.write) a.p.resolve(a.out);
        else await save(a.write).then(() => a.p.resolve(a.out), a.p.reject);
      }
    }
  }
  if (removed.length) await chrome.storage.session.remove(removed.flatMap((j) => jobKeys(j.id)));
}

/**
 * Writes the list and extra keys. storage.session holds 10 MB: when it is full, the oldest
 * finished jobs (other than those in `keep`) make room (they would be evicted anyway) rather than the newest result being lost.
 */
async function saveList(jobs: JobRecord[], extra: Record<string, unknown>, keep: Set<string>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await chrome.storage.session.set({ [STORAGE_KEYS.jobs]: jobs, ...extra });
      return;
    } catch (error) {
      const writing = Object.keys(extra);
      const oldest = jobs.findIndex(
        (j) => isFinal(j.state) && !keep.has(j.id) && !writing.some((k) => k.endsWith(`:${j.id}`)),
      );
      if (!/quota/i.test(String((error as Error)?.message)) || oldest < 0 || attempt >= 10) throw error;
      const [evicted] = jobs.splice(oldest, 1);
      console.warn(`[SqueezeLens] session storage is full: removed the oldest result (job ${evicted.id}) to make room`);
      await chrome.storage.session.remove(jobKeys(evicted.id));
    }
  }
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
  open = null; // changes made after this are written after it
  const next = chain.then(() => chrome.storage.session.remove(keys));
  chain = next.catch(() => {});
  return next;
}

export async function getJobs(): Promise<JobRecord[]> {
  await chain;
  return [...(await load())];
}

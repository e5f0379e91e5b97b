/**
 * The worker's one queue (src/background/queue.ts) over the store and an in-memory storage.session
 * that enforces its quota like Chrome's: work runs one piece at a time in the order asked, waiting
 * work is told how much is ahead, cancelling drops waiting work and aborts running work, a new
 * worker reports what a stopped one left active — or runs it again, once, for a classification or
 * saliency menu job — and a burst of jobs never evicts one that has not ended.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import type { CaptureSource } from '../../src/shared/messages.js';
import { fakeSession } from '../helpers/fake-storage.js';

let session: ReturnType<typeof fakeSession>;
let badge: string;

/** A new worker instance (fresh module state); `keep`: over the same storage.session as the last one. */
async function fresh(quota = 10 * 1024 * 1024, keep = false) {
  if (!keep) session = fakeSession(quota);
  badge = '';
  vi.stubGlobal('chrome', {
    storage: { session },
    action: {
      setBadgeText: async ({ text }: { text: string }) => void (badge = text),
      setBadgeBackgroundColor: async () => {},
      setTitle: async () => {},
    },
  });
  vi.resetModules(); // module state (queue, store cache) is per worker instance
  const queue = await import('../../src/background/queue.js');
  const store = await import('../../src/background/store.js');
  return { queue, store, session };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
async function until(check: () => boolean | Promise<boolean>, ms = 2000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await tick();
  }
}

const byId = async (store: Awaited<ReturnType<typeof fresh>>['store'], id: string) =>
  (await store.getJobs()).find((j) => j.id === id);

beforeEach(() => vi.unstubAllGlobals());

describe('work queue', () => {
  it('runs one piece of work at a time, in order, and tells waiting work how much is ahead', async () => {
    const { queue, store } = await fresh();
    const gates = { a: deferred(), b: deferred(), c: deferred() };
    const events: string[] = [];
    let runningNow = 0;
    const ids: Record<string, string> = {};
    for (const name of ['a', 'b', 'c'] as const) {
      const { id } = queue.createJob({ kind: 'classify', state: 'queued' });
      ids[name] = id;
      queue.queueJob(id, async () => {
        runningNow++;
        expect(runningNow).toBe(1);
        events.push(`start ${name}`);
        await gates[name].promise;
        events.push(`end ${name}`);
        runningNow--;
      });
    }
    expect(queue.workAhead()).toBe(3);
    gates.a.resolve();
    await until(() => events.includes('start b'));
    expect((await byId(store, ids.c))?.progress).toBe('1 job(s) ahead');
    gates.c.resolve(); // c is ready early, but waits for b
    await tick();
    expect(events).toEqual(['start a', 'end a', 'start b']);
    gates.b.resolve();
    await until(() => events.length === 6);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(queue.workAhead()).toBe(0);
  });

  it('cancelling drops waiting work (it never runs) and aborts running work', async () => {
    const { queue, store } = await fresh();
    const gate = deferred();
    let runningSignal: AbortSignal | undefined;
    let waitingRan = false;
    const first = queue.createJob({ kind: 'classify', state: 'queued' });
    const second = queue.createJob({ kind: 'saliency', state: 'queued' });
    queue.queueJob(first.id, async (signal) => {
      runningSignal = signal;
      await gate.promise;
    });
    queue.queueJob(second.id, async () => void (waitingRan = true));
    await until(() => runningSignal !== undefined);

    expect(await queue.cancelJob(second.id)).toEqual({ ok: true });
    expect((await byId(store, second.id))?.state).toBe('cancelled');
    expect(await queue.cancelJob(first.id)).toEqual({ ok: true });
    expect(runningSignal?.aborted).toBe(true);
    const cancelled = await byId(store, first.id);
    expect(cancelled?.state).toBe('cancelled');
    expect(cancelled?.error?.code).toBe('cancelled');
    // A late write of the aborted work cannot bring the job back.
    expect(await store.updateJob(first.id, { state: 'done' })).toBeNull();
    gate.resolve();
    await tick();
    expect(waitingRan).toBe(false);
    expect(await queue.cancelJob(first.id)).toEqual({ ok: false, reason: 'the job already ended (cancelled)' });
    expect(await queue.cancelJob('nope')).toEqual({ ok: false, reason: 'no such job' });
  });

  const tasksBehindJobs =
    'runs tasks on finished jobs behind jobs, one per job; a waiting task cancelled leaves the job as it was';
  it(tasksBehindJobs, async () => {
    const { queue, store } = await fresh();
    const gate = deferred();
    const { id: busy } = queue.createJob({ kind: 'classify', state: 'queued' });
    queue.queueJob(busy, () => gate.promise);
    const { id } = queue.createJob({ kind: 'fool', state: 'done' });
    let ran = false;
    await store.patchJob(id, (j) => (j.runs.fool = { method: 'PGD', state: 'running', worker: queue.WORKER_ID }));
    queue.queueTask(id, 'fool', async () => void (ran = true));
    expect(queue.taskBusy(id)).toMatch(/already working/);
    expect(await queue.cancelJob(id)).toEqual({ ok: true });
    const job = (await byId(store, id)) as JobRecord;
    expect(job.runs.fool).toBeUndefined();
    expect(job.state).toBe('done');
    expect(queue.taskBusy(id)).toBeNull();
    gate.resolve();
    await tick();
    expect(ran).toBe(false);
  });

  it('a new worker reports jobs and runs that a stopped worker left active', async () => {
    const { queue, store } = await fresh();
    const other = queue.WORKER_ID - 1000;
    const base = { createdAt: 0, updatedAt: 0, worker: other, results: {}, runs: {} };
    await store.addJob({ ...base, id: 'waiting', kind: 'classify', state: 'queued' });
    await store.addJob({ ...base, id: 'running', kind: 'saliency', state: 'explaining' });
    await store.addJob({
      ...base,
      id: 'dreaming',
      kind: 'classify',
      state: 'done',
      runs: { dream: { method: 'DeepDream', state: 'running', worker: other } },
    });
    await store.addJob({ ...base, id: 'mine', kind: 'classify', state: 'classifying', worker: queue.WORKER_ID });

    expect(await queue.recoverInterrupted()).toBe(2);
    const jobs = await store.getJobs();
    const get = (id: string) => jobs.find((j) => j.id === id)!;
    expect(get('waiting').state).toBe('interrupted');
    expect(get('waiting').error?.message).toMatch(/while this job was waiting.*did not run/);
    expect(get('waiting').failedIn).toBe('queued');
    expect(get('running').error?.message).toMatch(
      /while this job was running \(computing the saliency map\); its result was lost/,
    );
    expect(get('dreaming').state).toBe('done');
    expect(get('dreaming').runs.dream).toMatchObject({
      state: 'error',
      error: expect.stringMatching(/the dream was being made/),
    });
    expect(get('mine').state).toBe('classifying');
    expect(badge).toBe('!');
  });

  it('a new worker runs a stopped classification or saliency job again, once; the others are reported', async () => {
    const { queue, store } = await fresh();
    const other = queue.WORKER_ID - 1000;
    const now = Date.now();
    const base = { createdAt: now, updatedAt: now, worker: other, results: {}, runs: {} };
    const source = (name: string): CaptureSource => ({ kind: 'url', url: `http://x.test/${name}.jpg`, element: 'img' });
    const jobs: [string, JobRecord['kind'], JobRecord['state']][] = [
      ['fetching', 'classify', 'fetching'],
      ['explaining', 'saliency', 'explaining'],
      ['queued', 'classify', 'queued'],
      ['fool', 'fool', 'fetching'], // not a retried kind, even with its capture kept
      ['capturing', 'classify', 'capturing'], // the page had not answered: nothing kept
      ['stale', 'classify', 'fetching'], // last written longer ago than RETRY_WITHIN_MS
    ];
    for (const [id, kind, state] of jobs) {
      const updatedAt = id === 'stale' ? now - queue.RETRY_WITHIN_MS - 1000 : now;
      await store.addJob({ ...base, id, kind, state, updatedAt });
      if (id !== 'capturing') await session.set({ [`capture:${id}`]: source(id) });
    }
    const requeued: [string, CaptureSource][] = [];
    const requeue = async (job: JobRecord, s: CaptureSource) => void requeued.push([job.id, s]);

    expect(await queue.recoverInterrupted(requeue)).toBe(3);
    expect(requeued).toEqual([
      ['fetching', source('fetching')],
      ['explaining', source('explaining')],
      ['queued', source('queued')],
    ]);
    const get = async (id: string) => (await byId(store, id))!;
    for (const id of ['fetching', 'explaining', 'queued']) {
      const job = await get(id);
      expect(job.state).not.toBe('interrupted');
      expect(job.worker).toBe(queue.WORKER_ID);
      expect(job.retried?.from).toBe(jobs.find(([j]) => j === id)![2]);
    }
    expect((await get('fool')).state).toBe('interrupted');
    expect((await get('capturing')).state).toBe('interrupted');
    expect((await get('stale')).state).toBe('interrupted');
    expect([...session.data.keys()].filter((k) => k.startsWith('capture:'))).toEqual([]);
    // This worker owns the retried jobs: a cancel reaches them.
    expect(await queue.cancelJob('queued')).toEqual({ ok: true });
    expect((await get('queued')).state).toBe('cancelled');

    // The worker that retried them is stopped too: a second interruption is reported.
    await store.patchJob('fetching', (j) => void (j.worker = other - 1));
    const next = await fresh(undefined, true);
    await next.session.set({ 'capture:fetching': source('fetching') }); // even if one were left
    expect(await next.queue.recoverInterrupted(requeue)).toBe(1);
    expect(requeued).toHaveLength(3);
    const again = (await byId(next.store, 'fetching'))!;
    expect(again.state).toBe('interrupted');
    expect(again.error?.message).toMatch(/while this job was running \(downloading the image\)/);
    expect(again.retried?.from).toBe('fetching');
  });

  it('keeps what the page sent only for retried kinds, and only when it is small', async () => {
    const { queue } = await fresh();
    const url: CaptureSource = { kind: 'url', url: 'http://x.test/a.jpg', element: 'img' };
    expect(queue.keptCapture('a', 'classify', url)).toEqual({ 'capture:a': url });
    expect(queue.keptCapture('a', 'saliency', url)).toEqual({ 'capture:a': url });
    expect(queue.keptCapture('a', 'fool', url)).toBeUndefined();
    const pixels = (n: number): CaptureSource => ({
      kind: 'pixels',
      dataUrl: `data:image/png;base64,${'A'.repeat(n)}`,
      element: 'canvas',
      width: 1,
      height: 1,
    });
    expect(queue.keptCapture('a', 'classify', pixels(1000))).toBeDefined();
    expect(queue.keptCapture('a', 'classify', pixels(queue.MAX_KEPT_CAPTURE))).toBeUndefined();
  });

  it('a burst of jobs never evicts one that has not ended; finished ones make room', async () => {
    const { queue, store } = await fresh();
    for (let i = 0; i < 18; i++) {
      const { id } = queue.createJob({ kind: 'classify', state: 'queued' });
      await store.patchJob(id, (j) => (j.state = 'done'), { [`thumb:${id}`]: 't' });
    }
    const burst: string[] = [];
    for (let i = 0; i < 25; i++) burst.push(queue.createJob({ kind: 'classify', state: 'capturing' }).id);
    const ids = (await store.getJobs()).map((j) => j.id);
    // Every finished job went (their keys too); all 25 waiting jobs are kept.
    expect(ids).toEqual(burst);
    expect([...session.data.keys()].filter((k) => k.startsWith('thumb:'))).toEqual([]);
    // Once they end, the list shrinks back to the newest 20.
    for (const id of burst) await queue.failJob(id, { code: 'cancelled', message: 'Cancelled.' }, 'cancelled');
    await store.addJob({
      id: 'last',
      kind: 'classify',
      state: 'done',
      createdAt: 0,
      updatedAt: 0,
      worker: 0,
      results: {},
      runs: {},
    });
    expect((await store.getJobs()).map((j) => j.id)).toEqual([...burst.slice(6), 'last']);
  });

  it('throttle drops calls closer than its interval', async () => {
    const { queue } = await fresh();
    const calls: number[] = [];
    const t = queue.throttle(50, (n: number) => calls.push(n));
    t(1);
    t(2);
    await new Promise((r) => setTimeout(r, 60));
    t(3);
    expect(calls).toEqual([1, 3]);
  });
});

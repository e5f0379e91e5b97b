/**
 * The worker's job store (src/background/store.ts) against an in-memory storage.session that, like
 * Chrome's, refuses writes over its quota: the oldest finished results make room instead of a new
 * result being lost; keys of a job that is gone are never written (no orphans); evicted jobs take
 * all their keys with them.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { fakeSession } from '../helpers/fake-storage.js';

let session: ReturnType<typeof fakeSession>;
async function freshStore(quota: number) {
  session = fakeSession(quota);
  vi.stubGlobal('chrome', { storage: { session } });
  vi.resetModules(); // the store caches the list per worker instance
  return import('../../src/background/store.js');
}

const job = (id: string, state: JobRecord['state'] = 'done'): JobRecord => ({
  id,
  kind: 'classify',
  state,
  createdAt: 0,
  updatedAt: 0,
  worker: 1,
  results: {},
  runs: {},
});
const blob = (kb: number) => 'x'.repeat(kb * 1024);

beforeEach(() => vi.unstubAllGlobals());

describe('job store', () => {
  it('when storage is full, the oldest finished results make room for a new one', async () => {
    const store = await freshStore(100 * 1024);
    for (const id of ['a', 'b', 'c']) await store.addJob(job(id));
    await store.patchJob('a', () => {}, { 'thumb:a': blob(30) });
    await store.patchJob('b', () => {}, { 'thumb:b': blob(30) });
    await store.patchJob('c', () => {}, { 'thumb:c': blob(30) });
    await store.addJob(job('d', 'classifying'));
    // 30 KB more does not fit: 'a' (the oldest finished) goes, with its keys.
    await store.updateJob('d', { state: 'done' }, { 'thumb:d': blob(30) });
    const ids = (await store.getJobs()).map((j) => j.id);
    expect(ids).toEqual(['b', 'c', 'd']);
    expect(session.data.has('thumb:a')).toBe(false);
    expect(session.data.has('thumb:d')).toBe(true);
  });

  it('never evicts the job being written, and gives up with the quota error when nothing else can go', async () => {
    const store = await freshStore(40 * 1024);
    await store.addJob(job('only', 'classifying'));
    await expect(store.updateJob('only', { state: 'done' }, { 'thumb:only': blob(60) })).rejects.toThrow(/quota/i);
    expect((await store.getJobs()).map((j) => j.id)).toEqual(['only']);
    expect(session.data.has('thumb:only')).toBe(false);
  });

  it('does not write the keys of a job that is gone or already final (no orphans)', async () => {
    const store = await freshStore(1024 * 1024);
    await store.addJob(job('x', 'cancelled'));
    expect(await store.patchJob('gone', () => {}, { 'saliency:gone': 'map' })).toBe(false);
    expect(session.data.has('saliency:gone')).toBe(false);
    expect(await store.updateJob('x', { state: 'done' }, { 'thumb:x': 'late result' })).toBeNull();
    expect(session.data.has('thumb:x')).toBe(false);
  });

  it('keeps the last 20 jobs and removes every key of an evicted one', async () => {
    const store = await freshStore(10 * 1024 * 1024);
    await store.addJob(job('first'));
    await store.patchJob('first', () => {}, {
      'thumb:first': 't',
      'saliency:first': 's',
      'fool:first': 'f',
      'dream:first': 'd',
      'visual:first': 'v',
    });
    for (let i = 0; i < 20; i++) await store.addJob(job(`j${i}`));
    const ids = (await store.getJobs()).map((j) => j.id);
    expect(ids).toHaveLength(20);
    expect(ids).not.toContain('first');
    expect([...session.data.keys()].filter((k) => k.endsWith(':first'))).toEqual([]);
  });

  it('saves changes made while a write is in flight together, in order, each caller answered', async () => {
    const store = await freshStore(1024 * 1024);
    await store.addJob(job('c', 'queued'));
    const set = vi.spyOn(session, 'set');
    const states: JobRecord['state'][] = ['fetching', 'decoding', 'classifying', 'done'];
    const written = states.map((state) => store.updateJob('c', { state, progress: state }));
    const answers = await Promise.all(written);
    expect(answers.map((j) => j?.state)).toEqual(states);
    // One write for the first change; the three made meanwhile share the next one (was: four writes).
    expect(set.mock.calls.length).toBeLessThanOrEqual(2);
    expect((session.data.get('jobs') as JobRecord[])[0]).toMatchObject({ state: 'done', progress: 'done' });
  });

  it('a key removed after a write is not brought back by a change made after the removal', async () => {
    const store = await freshStore(1024 * 1024);
    await store.addJob(job('p', 'explaining'));
    const first = store.patchJob('p', () => {}, { 'preview:p': 'frame 1' });
    const removed = store.removeKeys(['preview:p']);
    const after = store.patchJob('p', (j) => {
      j.progress = 'after';
    });
    await Promise.all([first, removed, after]);
    expect(session.data.has('preview:p')).toBe(false);
    expect((await store.getJobs())[0].progress).toBe('after');
  });

  it('one extra over the quota in a shared write fails alone: the changes beside it are saved', async () => {
    const store = await freshStore(40 * 1024);
    await store.addJob(job('big', 'classifying'));
    await store.addJob(job('small', 'classifying'));
    const results = await Promise.allSettled([
      store.updateJob('small', { progress: 'warming up' }),
      store.updateJob('big', { state: 'done' }, { 'thumb:big': blob(60) }),
      store.updateJob('small', { state: 'done' }, { 'thumb:small': blob(1) }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/quota/i);
    expect(session.data.has('thumb:big')).toBe(false);
    expect(session.data.has('thumb:small')).toBe(true);
    const stored = session.data.get('jobs') as JobRecord[];
    expect(stored.find((j) => j.id === 'small')?.state).toBe('done');
  });
});

/**
 * The popup's store (src/popup/store.ts) against a fake storage.session whose reads answer when
 * the test says, so a snapshot can be made to arrive after the change event of a later write —
 * as Chromium can deliver them. A stale snapshot must never replace the newer change.
 */
import { describe, expect, it } from 'vitest';
import { NOT_READ, SessionStore, type StorageChangeLike, type StorageLike } from '../../src/popup/store.js';
import type { JobRecord } from '../../src/shared/jobs.js';

type Listener = (changes: Record<string, StorageChangeLike>, area: string) => void;

/** A storage.session whose `get` calls wait until `answer()`, with the value stored at call time. */
function fakeStorage(initial: Record<string, unknown>) {
  const data = { ...initial };
  const listeners: Listener[] = [];
  const pending: (() => void)[] = [];
  const storage: StorageLike = {
    session: {
      get: (key) => {
        const snapshot = { [key]: data[key] };
        return new Promise((resolve) => pending.push(() => resolve(snapshot)));
      },
    },
    onChanged: { addListener: (l) => void listeners.push(l) },
  };
  return {
    storage,
    /** the worker writes: storage changes and the event fires (before any pending read answers) */
    write(values: Record<string, unknown>, area = 'session') {
      const changes: Record<string, StorageChangeLike> = {};
      for (const [k, v] of Object.entries(values)) {
        changes[k] = { newValue: v };
        data[k] = v;
      }
      for (const l of listeners) l(changes, area);
    },
    /** the pending reads answer (with their old snapshots) */
    async answer() {
      for (const resolve of pending.splice(0)) resolve();
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

const job = (id: string, state: JobRecord['state']): JobRecord =>
  ({ id, kind: 'classify', state, createdAt: 0, updatedAt: 0, worker: 1, results: {}, runs: {} }) as JobRecord;

describe('popup store', () => {
  it('applies the job list snapshot when nothing changed meanwhile', async () => {
    const fake = fakeStorage({ jobs: [job('a', 'done')] });
    const store = new SessionStore(fake.storage);
    expect(store.ready.value).toBe(false);
    const loaded = store.loadJobs();
    await fake.answer();
    await loaded;
    expect(store.jobs.value.map((j) => j.id)).toEqual(['a']);
    expect(store.ready.value).toBe(true);
  });

  it('drops a job-list snapshot that arrives after the change event of a newer write', async () => {
    const fake = fakeStorage({ jobs: [job('a', 'classifying')] });
    const store = new SessionStore(fake.storage);
    const loaded = store.loadJobs(); // the read starts: its snapshot says "classifying"
    fake.write({ jobs: [job('a', 'done')] }); // the worker finishes; the event comes first
    expect(store.jobs.value[0].state).toBe('done');
    await fake.answer(); // then the stale snapshot
    await loaded;
    expect(store.jobs.value[0].state).toBe('done');
    expect(store.ready.value).toBe(true);
  });

  it('drops a stale snapshot of a per-job value, and follows later changes', async () => {
    const fake = fakeStorage({ 'preview:a': 'data:image/png;base64,OLD' });
    const store = new SessionStore(fake.storage);
    const value = store.value('preview:a');
    expect(value.value).toBe(NOT_READ);
    fake.write({ 'preview:a': 'data:image/png;base64,NEW' });
    await fake.answer();
    expect(value.value).toBe('data:image/png;base64,NEW');
    fake.write({ 'preview:a': undefined });
    expect(value.value).toBeUndefined();
  });

  it('reads a per-job value once, and knows values that came with a change without reading', async () => {
    const fake = fakeStorage({ 'thumb:a': 'data:image/png;base64,A' });
    const store = new SessionStore(fake.storage);
    expect(store.value('thumb:a')).toBe(store.value('thumb:a'));
    await fake.answer();
    expect(store.value('thumb:a').value).toBe('data:image/png;base64,A');
    // A result's values arrive with the job update that announces it (one storage.set).
    fake.write({ jobs: [job('b', 'done')], 'thumb:b': 'data:image/png;base64,B' });
    expect(store.value('thumb:b').value).toBe('data:image/png;base64,B');
  });

  it('ignores other storage areas, and tells listeners of job-list changes only', async () => {
    const fake = fakeStorage({ jobs: [] });
    const store = new SessionStore(fake.storage);
    const seen: [string[], string[]][] = [];
    store.onJobsChanged((before, after) => seen.push([before.map((j) => j.id), after.map((j) => j.id)]));
    const loaded = store.loadJobs();
    await fake.answer();
    await loaded;
    fake.write({ jobs: [job('x', 'done')] }, 'local');
    fake.write({ 'thumb:a': 'data:image/png;base64,A' });
    fake.write({ jobs: [job('a', 'queued')] });
    fake.write({ jobs: [job('a', 'done')] });
    expect(seen).toEqual([
      [[], ['a']],
      [['a'], ['a']],
    ]);
  });

  it('loads the class names, and keeps none when the file is not 1000 names', async () => {
    const store = new SessionStore(fakeStorage({}).storage);
    const quiet = console.error;
    console.error = () => {};
    try {
      await store.loadLabels(async () => ['a', 'b']);
      expect(store.labels.value).toBeUndefined();
      await store.loadLabels(async () => {
        throw new Error('no file');
      });
      expect(store.labels.value).toBeUndefined();
    } finally {
      console.error = quiet;
    }
    const names = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
    await store.loadLabels(async () => names);
    expect(store.labels.value).toEqual(names);
  });
});

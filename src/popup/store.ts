/**
 * What the popup shows, as signals: the job list, the per-job values (thumbnails, maps, pictures)
 * and the class names. storage.session is written only by the worker; the popup reads a snapshot
 * of each key once and then follows storage.onChanged.
 *
 * The race this guards against: Chromium can deliver the answer to `storage.session.get` (a
 * snapshot taken before the worker's latest write) AFTER the onChanged event for that write. A
 * snapshot that simply replaced the signal would undo the newer change (the popup once stayed on
 * "Running SqueezeNet…" forever). So every key has a version, bumped by each change event, and a
 * snapshot is dropped when the key's version moved while it was being read.
 *
 * Storage and the label loader are injected (no webextension-polyfill import): the store is
 * tested in Node with a fake storage whose answers and events come in a chosen order.
 */
import { batch, type ReadonlySignal, type Signal, signal } from '@preact/signals';
import { type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';

export interface StorageChangeLike {
  newValue?: unknown;
}

/** The parts of `browser.storage` the store uses. */
export interface StorageLike {
  session: { get(key: string): Promise<Record<string, unknown>> };
  onChanged: { addListener(listener: (changes: Record<string, StorageChangeLike>, area: string) => void): void };
}

/** Called for every change of the job list (not for the first snapshot): the list before and after. */
export type JobsListener = (before: readonly JobRecord[], after: readonly JobRecord[]) => void;

const asJobs = (v: unknown): JobRecord[] => (Array.isArray(v) ? (v as JobRecord[]) : []);

/** A value not read yet (as opposed to undefined: read, and absent). */
export const NOT_READ: unique symbol = Symbol('not read yet');

export class SessionStore {
  /** the jobs, oldest first, as the worker wrote them */
  readonly jobs: ReadonlySignal<JobRecord[]>;
  /** the 1000 ImageNet class names, once loaded (undefined before, or when they cannot be read) */
  readonly labels: ReadonlySignal<readonly string[] | undefined>;
  /** the job list was read (or changed): before, an empty list means nothing yet, not "no jobs" */
  readonly ready: ReadonlySignal<boolean>;

  private readonly jobList = signal<JobRecord[]>([]);
  private readonly jobsRead = signal(false);
  private readonly labelList = signal<readonly string[] | undefined>(undefined);
  private readonly values = new Map<string, Signal<unknown>>();
  /** per key: how many change events arrived (a snapshot read across one of them is stale) */
  private readonly versions = new Map<string, number>();
  private readonly jobsListeners: JobsListener[] = [];

  constructor(private readonly storage: StorageLike) {
    this.jobs = this.jobList;
    this.labels = this.labelList;
    this.ready = this.jobsRead;
    // Registered before any read, so no change can fall between a snapshot and the listener.
    storage.onChanged.addListener((changes, area) => {
      if (area === 'session') this.applyChanges(changes);
    });
  }

  /** Reads the job list; resolves when the snapshot is applied (or dropped as stale). */
  async loadJobs(): Promise<void> {
    await this.read(STORAGE_KEYS.jobs, (v) => (this.jobList.value = asJobs(v)));
    this.jobsRead.value = true;
  }

  /** Loads the class names through `load` (the extension's own file: no network). */
  async loadLabels(load: () => Promise<unknown>): Promise<void> {
    try {
      const list = await load();
      if (Array.isArray(list) && list.length === 1000 && list.every((l) => typeof l === 'string')) {
        this.labelList.value = list as string[];
      } else console.error('[SqueezeLens] models/imagenet_classes.json is not a list of 1000 names');
    } catch (error) {
      console.error('[SqueezeLens] the class names could not be loaded', error);
    }
  }

  /**
   * The value stored under `key` (NOT_READ until read; undefined when absent), kept current.
   * Reading `.value` in a component subscribes it; the first call starts the read, unless a
   * change event already brought the value.
   */
  value(key: string): ReadonlySignal<unknown> {
    let s = this.values.get(key);
    if (!s) {
      s = signal<unknown>(NOT_READ);
      this.values.set(key, s);
      const target = s;
      void this.read(key, (v) => (target.value = v));
    }
    return s;
  }

  /** Calls `listener` on each later change of the job list. */
  onJobsChanged(listener: JobsListener): void {
    this.jobsListeners.push(listener);
  }

  private async read(key: string, apply: (value: unknown) => void): Promise<void> {
    const version = this.versions.get(key) ?? 0;
    let got: Record<string, unknown>;
    try {
      got = await this.storage.session.get(key);
    } catch (error) {
      console.warn(`[SqueezeLens] storage.session.get(${key}) failed`, error);
      return;
    }
    // A change event came in while this was read: it is newer than the snapshot.
    if ((this.versions.get(key) ?? 0) !== version) return;
    apply(got[key]);
  }

  private applyChanges(changes: Record<string, StorageChangeLike>): void {
    const before = this.jobList.value;
    // One batch: the job record and the values written with it (one storage.set) render together.
    batch(() => {
      for (const [key, change] of Object.entries(changes)) {
        this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
        if (key === STORAGE_KEYS.jobs) this.jobList.value = asJobs(change.newValue);
        else {
          // Kept even when nothing shows it yet: a result's values come with the job update that
          // announces it (one storage.set), so its panel renders complete, without a read.
          const s = this.values.get(key);
          if (s) s.value = change.newValue;
          else this.values.set(key, signal(change.newValue));
        }
      }
      if (STORAGE_KEYS.jobs in changes) this.jobsRead.value = true;
    });
    if (STORAGE_KEYS.jobs in changes) for (const listener of this.jobsListeners) listener(before, this.jobList.value);
  }
}

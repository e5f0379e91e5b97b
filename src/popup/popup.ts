/**
 * The popup: the latest job (or one picked from "Earlier"), followed live. It reads the jobs from
 * storage.session (written only by the worker) and re-renders on every change, so it can be closed
 * and reopened at any time; its only requests to the worker are `hello` (wakes the worker, which
 * then reports jobs a stopped worker lost, and clears the badge), `cancel` (a job, or a saliency
 * re-run) and `saliency` (recompute a saliency job's map with another method).
 */
import browser from 'webextension-polyfill';
import { isFinal, STORAGE_KEYS, type ErrorCode, type JobRecord, type SaliencyData } from '../shared/jobs.js';
import type { CancelRequest, HelloRequest, SaliencyRequest } from '../shared/messages.js';
import { h, percent } from './dom.js';
import { PANELS } from './panels.js';
import { saliencyVersion } from './saliency-panel.js';

const view = document.getElementById('view')!;
const history = document.getElementById('history')!;

let jobs: JobRecord[] = [];
/** the job on screen; null: follow the newest */
let pinned: string | null = new URLSearchParams(location.search).get('job');
const thumbs = new Map<string, string>();

async function loadJobs(): Promise<void> {
  const got = await browser.storage.session.get(STORAGE_KEYS.jobs);
  const list = got[STORAGE_KEYS.jobs];
  jobs = Array.isArray(list) ? (list as JobRecord[]) : [];
}

async function thumbnailOf(id: string): Promise<string | undefined> {
  if (thumbs.has(id)) return thumbs.get(id);
  const key = STORAGE_KEYS.thumbPrefix + id;
  const value = (await browser.storage.session.get(key))[key];
  if (typeof value === 'string' && value.startsWith('data:image/')) {
    thumbs.set(id, value);
    return value;
  }
  return undefined;
}

const saliencies = new Map<string, SaliencyData>();
async function saliencyOf(job: JobRecord): Promise<SaliencyData | undefined> {
  const id = job.id;
  const version = saliencyVersion(id, job.saliency ?? { method: '', ms: 0 });
  if (saliencies.has(version)) return saliencies.get(version);
  const key = STORAGE_KEYS.saliencyPrefix + id;
  const value = (await browser.storage.session.get(key))[key] as Partial<SaliencyData> | undefined;
  if (
    value &&
    typeof value.size === 'number' &&
    typeof value.map === 'string' &&
    typeof value.view === 'string' &&
    value.view.startsWith('data:image/')
  ) {
    const data = value as SaliencyData;
    saliencies.set(version, data);
    return data;
  }
  return undefined;
}

function rerunSaliency(jobId: string, method: string): void {
  void browser.runtime.sendMessage({ type: 'squeezelens/saliency', jobId, method } as SaliencyRequest).catch(() => {});
}

function cancel(jobId: string): void {
  void browser.runtime.sendMessage({ type: 'squeezelens/cancel', jobId } satisfies CancelRequest).catch(() => {});
}

/** Earlier jobs listed under the current one (all MAX_JOBS are kept in storage). */
const HISTORY_SHOWN = 6;

const SHORT_ERROR: Partial<Record<ErrorCode, string>> = {
  http: 'download refused',
  network: 'download failed',
  timeout: 'timed out',
  'not-image': 'not an image',
  undecodable: 'undecodable',
  'too-large': 'too large',
  tainted: 'pixels not readable',
  'no-frame': 'no video frame',
  'no-image': 'no image there',
  'page-unreachable': 'page not readable',
  engine: 'model not loaded',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  internal: 'internal error',
};

let renderSeq = 0;
async function render(): Promise<void> {
  const seq = ++renderSeq;
  const job = (pinned && jobs.find((j) => j.id === pinned)) || jobs[jobs.length - 1];
  const thumbnail = job && job.state === 'done' ? await thumbnailOf(job.id) : undefined;
  const saliency = job && job.state === 'done' && job.kind === 'saliency' ? await saliencyOf(job) : undefined;
  if (seq !== renderSeq) return; // a newer render started meanwhile
  if (!job) {
    view.replaceChildren(
      h('p', { class: 'empty', testid: 'empty' }, [
        document.createTextNode('Right-click an image, a canvas, a video or anything with a background picture on a web page and choose '),
        h('b', { text: 'SqueezeLens → What is this?' }),
      ]),
    );
    delete view.dataset.jobId;
    delete view.dataset.state;
  } else {
    view.dataset.jobId = job.id;
    view.dataset.state = job.state;
    view.replaceChildren(...PANELS.map((panel) => panel({ job, thumbnail, saliency, cancel, rerunSaliency })).filter((e): e is HTMLElement => e !== null));
  }
  renderHistory(job?.id);
}

function renderHistory(currentId: string | undefined): void {
  const earlier = jobs.filter((j) => j.id !== currentId).reverse().slice(0, HISTORY_SHOWN);
  history.hidden = earlier.length === 0;
  history.querySelector('ol')!.replaceChildren(
    ...earlier.map((j) => {
      const what =
        j.state === 'done' && j.result
          ? `${j.result.top[0].label} — ${percent(j.result.top[0].prob)}`
          : `${isFinal(j.state) ? `Failed: ${SHORT_ERROR[j.error?.code ?? 'internal'] ?? j.state}` : 'Running…'}${j.source?.url ? ` · ${j.source.url.split(/[/?#]/).filter(Boolean).pop()}` : ''}`;
      const button = h('button', { class: j.state === 'done' ? '' : 'failed', title: j.source?.url ?? '' }, [
        h('span', { class: 'what', text: what }),
        h('span', { class: 'when', text: new Date(j.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) }),
      ]);
      button.addEventListener('click', () => {
        pinned = j.id;
        void render();
      });
      return h('li', {}, [button]);
    }),
  );
}

browser.storage.onChanged.addListener((changes, area) => {
  if (area !== 'session' || !(STORAGE_KEYS.jobs in changes)) return;
  const before = new Set(jobs.map((j) => j.id));
  const list = changes[STORAGE_KEYS.jobs].newValue;
  jobs = Array.isArray(list) ? (list as JobRecord[]) : [];
  if (jobs.some((j) => !before.has(j.id))) pinned = null; // a new job: show it
  void render();
  const shown = jobs[jobs.length - 1];
  if (shown && isFinal(shown.state)) hello(); // the user sees it: clear the badge
});

function hello(): void {
  void browser.runtime.sendMessage({ type: 'squeezelens/hello' } satisfies HelloRequest).catch(() => {});
}

hello();
await loadJobs();
await render();

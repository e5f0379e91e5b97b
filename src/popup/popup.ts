/**
 * The popup: the latest job (or one picked from "Earlier"), followed live. It reads the jobs from
 * storage.session (written only by the worker) and re-renders on every change, so it can be closed
 * and reopened at any time. A render keeps every panel whose key did not change and only updates
 * it (./panels.ts). Requests go to the worker (`hello`, which wakes it, reports jobs a stopped
 * worker lost and clears the badge; `cancel`; `saliency`, `fool`, `sanity`, `dream`, `visualize`)
 * and, for "show on page" / "replace on page", to the content script of the job's frame.
 */
import browser from 'webextension-polyfill';
import { isFinal, STORAGE_KEYS, type ErrorCode, type FoolData, type JobRecord, type SaliencyData } from '../shared/jobs.js';
import type { CancelRequest, HelloRequest, PageReply, PageRequest, SaliencyRequest, TaskReply, WorkerRequest } from '../shared/messages.js';
import { h, percent } from './dom.js';
import { setFoolRerender } from './fool-panel.js';
import { PANELS, type PanelContext } from './panels.js';
import { saliencyVersion, setSaliencyRerender } from './saliency-panel.js';
import { visualizeTool } from './tool-panels.js';

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

/** Values of per-job storage keys (fool:, dream:, visual:), kept current by storage.onChanged. */
const stored = new Map<string, unknown>();
async function storedValue<T>(key: string, valid: (v: unknown) => boolean): Promise<T | undefined> {
  if (!stored.has(key)) stored.set(key, (await browser.storage.session.get(key))[key]);
  const v = stored.get(key);
  return valid(v) ? (v as T) : undefined;
}
const isImageUrl = (v: unknown) => typeof v === 'string' && v.startsWith('data:image/');
const isFoolData = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as FoolData).size === 'number' && isImageUrl((v as FoolData).view) && ((v as FoolData).fooled === undefined || isImageUrl((v as FoolData).fooled));

let labels: readonly string[] | undefined;
async function loadLabels(): Promise<void> {
  try {
    // A file of the extension's own package: no network.
    const list = (await (await fetch(browser.runtime.getURL('models/imagenet_classes.json'))).json()) as unknown;
    if (Array.isArray(list) && list.length === 1000 && list.every((l) => typeof l === 'string')) labels = list as string[];
    else console.error('[SqueezeLens] models/imagenet_classes.json is not a list of 1000 names');
  } catch (error) {
    console.error('[SqueezeLens] the class names could not be loaded', error);
  }
}

async function send(request: WorkerRequest): Promise<TaskReply | undefined> {
  try {
    return (await browser.runtime.sendMessage(request)) as TaskReply | undefined;
  } catch (error) {
    console.warn('[SqueezeLens] the worker did not answer', error);
    return undefined;
  }
}

async function sendToPage(job: JobRecord, request: PageRequest): Promise<PageReply> {
  if (!job.page) return { ok: false, reason: 'The page this image came from is not known.' };
  try {
    const reply = (await browser.tabs.sendMessage(job.page.tabId, request, { frameId: job.page.frameId })) as PageReply | undefined;
    if (reply && typeof reply.ok === 'boolean') return reply.ok ? { ok: true } : { ok: false, reason: String((reply as { reason?: unknown }).reason ?? 'The page refused.') };
    return { ok: false, reason: 'The page did not answer (it may have been reloaded or closed).' };
  } catch {
    return { ok: false, reason: 'The page is not there any more (its tab was closed, reloaded or navigated away).' };
  }
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

/** The panels on screen: their name, key and element (kept while the key stays the same). */
let mounted: { name: string; key: string; el: HTMLElement }[] = [];

function showPanels(ctx: PanelContext): void {
  const next: typeof mounted = [];
  for (const [name, panel] of PANELS) {
    const v = panel(ctx);
    if (!v) continue;
    const old = mounted.find((m) => m.name === name);
    if (old && old.key === v.key) {
      v.update?.(old.el);
      next.push(old);
    } else next.push({ name, key: v.key, el: v.build() });
  }
  const children = [...view.children];
  if (children.length !== next.length || next.some((m, i) => children[i] !== m.el)) view.replaceChildren(...next.map((m) => m.el));
  mounted = next;
}

let renderSeq = 0;
async function render(): Promise<void> {
  const seq = ++renderSeq;
  const job = (pinned && jobs.find((j) => j.id === pinned)) || jobs[jobs.length - 1];
  const done = job?.state === 'done';
  const thumbnail = job && done ? await thumbnailOf(job.id) : undefined;
  const saliency = job && done && job.kind === 'saliency' ? await saliencyOf(job) : undefined;
  const fool = job && done && job.kind === 'fool' ? await storedValue<FoolData>(STORAGE_KEYS.foolPrefix + job.id, isFoolData) : undefined;
  const dream = job?.dream ? await storedValue<string>(STORAGE_KEYS.dreamPrefix + job.id, isImageUrl) : undefined;
  const visual = job?.kind === 'visualize' ? await storedValue<string>(STORAGE_KEYS.visualPrefix + job.id, isImageUrl) : undefined;
  const preview = job?.dreamRun?.preview ? await storedValue<string>(STORAGE_KEYS.previewPrefix + job.id, isImageUrl) : undefined;
  if (seq !== renderSeq) return; // a newer render started meanwhile
  if (!job) {
    mounted = [];
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
    showPanels({ job, thumbnail, saliency, fool, dream, visual, preview, labels, cancel, rerunSaliency, send, sendToPage });
  }
  renderHistory(job?.id);
}

function renderHistory(currentId: string | undefined): void {
  const earlier = jobs.filter((j) => j.id !== currentId).reverse().slice(0, HISTORY_SHOWN);
  history.hidden = earlier.length === 0;
  history.querySelector('ol')!.replaceChildren(
    ...earlier.map((j) => {
      const what =
        j.state === 'done' && j.kind === 'visualize' && j.visual
          ? `Visualization: ${j.visual.label}`
          : j.state === 'done' && j.fool
          ? `${j.fool.source.label} → ${j.fool.reclassified.label}${j.fool.success ? '' : ' (not fooled)'}`
          : j.state === 'done' && j.result
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
  if (area !== 'session') return;
  for (const [key, change] of Object.entries(changes)) if (stored.has(key)) stored.set(key, change.newValue);
  if (!(STORAGE_KEYS.jobs in changes)) {
    if (Object.keys(changes).some((k) => stored.has(k))) void render();
    return;
  }
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

setFoolRerender(() => void render());
setSaliencyRerender(() => void render());

hello();
await Promise.all([loadJobs(), loadLabels()]);
await render();
if (labels) {
  const tools = document.getElementById('tools')!;
  tools.replaceChildren(
    visualizeTool(labels, send, (jobId) => {
      pinned = jobId;
      void render();
    }),
  );
  tools.hidden = false;
}

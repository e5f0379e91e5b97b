/**
 * The popup's panels. Each looks at the job and answers nothing (it does not apply) or a view: a
 * key and a builder. The popup keeps a panel's element while its key stays the same and only calls
 * `update` (progress text, meters), so progress arriving several times a second never replaces the
 * element under the user's pointer (a Cancel button, a slider being dragged).
 */
import { isFinal, KIND_TEXT, STATE_TEXT, type FoolData, type JobRecord, type SaliencyData } from '../shared/jobs.js';
import type { PageReply, PageRequest, TaskReply, WorkerRequest } from '../shared/messages.js';
import { h, ms, percent } from './dom.js';
import { foolPanel } from './fool-panel.js';
import { saliencyPanel } from './saliency-panel.js';
import { dreamPanel, visualPanel } from './tool-panels.js';

export interface PanelContext {
  job: JobRecord;
  /** data: URL of the job's image, made by the worker (never a page address: no network here) */
  thumbnail?: string;
  /** a saliency job's stored map and view (storage.session `saliency:<id>`) */
  saliency?: SaliencyData;
  /** a fooling job's view and fooled image (`fool:<id>`) */
  fool?: FoolData;
  /** DeepDream of the job's image (`dream:<id>`) */
  dream?: string;
  /** a class visualization's preview or result (`visual:<id>`) */
  visual?: string;
  /** the live preview of a running task (`preview:<id>`) */
  preview?: string;
  /** the 1000 ImageNet class names (from the package), once loaded */
  labels?: readonly string[];
  cancel(jobId: string): void;
  /** asks the worker to recompute a saliency job's map with another method */
  rerunSaliency?(jobId: string, method: string): void;
  /** a request to the worker; its answer (or undefined when the worker could not be reached) */
  send(request: WorkerRequest): Promise<TaskReply | undefined>;
  /** a request to the page the job's image came from */
  sendToPage(job: JobRecord, request: PageRequest): Promise<PageReply>;
}

export interface PanelView {
  /** the element is rebuilt when this changes */
  key: string;
  build(): HTMLElement;
  /** brings a kept element up to date (progress) */
  update?(el: HTMLElement): void;
}

export type Panel = (ctx: PanelContext) => PanelView | null;

/** A panel whose whole content follows from `key` (built only when the key changes). */
export const fixed = (key: string, build: () => HTMLElement): PanelView => ({ key, build });

const statusPanel: Panel = ({ job, cancel }) => {
  const active = !isFinal(job.state);
  const progressOf = (j: JobRecord) => j.progress ?? (j.state === 'done' && j.result ? `${ms(j.result.totalMs)} from click to result` : j.state === 'done' && j.visual?.ms ? `${ms(j.visual.ms)}` : '');
  const update = (el: HTMLElement) => {
    const line = el.querySelector<HTMLElement>('[data-testid=progress]')!;
    line.textContent = progressOf(job);
    line.hidden = !line.textContent;
    const meter = el.querySelector<HTMLElement>('.meter');
    if (meter) {
      meter.hidden = job.fraction === undefined;
      (meter.firstElementChild as HTMLElement).style.width = `${((job.fraction ?? 0) * 100).toFixed(1)}%`;
    }
  };
  return {
    key: `${job.id}|${job.state}`,
    build: () => {
      const cancelButton = active ? h('button', { text: 'Cancel', testid: 'cancel' }) : null;
      cancelButton?.addEventListener('click', () => cancel(job.id));
      const el = h('div', { class: 'status', testid: 'status' }, [
        active ? h('div', { class: 'spinner' }) : null,
        h('div', { class: 'text' }, [
          h('div', { class: 'kind', text: KIND_TEXT[job.kind] }),
          h('div', { class: 'state', testid: 'state', text: STATE_TEXT[job.state] }),
          h('div', { class: 'progress-line', testid: 'progress' }),
          active ? h('div', { class: 'meter' }, [h('div')]) : null,
        ]),
        cancelButton,
      ]);
      update(el);
      return el;
    },
    update,
  };
};

const MAX_IMAGE = { width: 352, height: 240 };

const imagePanel: Panel = ({ job, thumbnail }) =>
  thumbnail || job.source?.url ? fixed(`${job.id}|${job.state}|${thumbnail?.length ?? 0}|${job.source?.element ?? ''}|${job.source?.url ?? ''}`, () => imageElement(job, thumbnail)) : null;

function imageElement(job: JobRecord, thumbnail: string | undefined): HTMLElement {
  const parts: HTMLElement[] = [];
  if (thumbnail) {
    const img = h('img', { testid: 'image', attrs: { alt: job.result?.top[0]?.label ?? 'the analysed image' } });
    img.src = thumbnail;
    const size = job.result?.image;
    if (size) {
      // Explicit size, fitted to the popup, so the figure (and the crop frame) wrap the image exactly.
      const scale = Math.min(MAX_IMAGE.width / size.width, MAX_IMAGE.height / size.height, 2);
      img.style.width = `${Math.max(1, Math.round(size.width * scale))}px`;
      img.style.height = `${Math.max(1, Math.round(size.height * scale))}px`;
    }
    const figure = h('div', { class: 'figure' }, [img]);
    const g = job.result?.geometry;
    if (g && g.mode === 'crop' && (g.region.width < g.sourceWidth - 0.5 || g.region.height < g.sourceHeight - 0.5)) {
      // The square the network saw (centre crop), on the whole image.
      const crop = h('div', { class: 'crop', title: 'The part SqueezeNet looked at' });
      crop.style.left = `${(100 * g.region.x) / g.sourceWidth}%`;
      crop.style.top = `${(100 * g.region.y) / g.sourceHeight}%`;
      crop.style.width = `${(100 * g.region.width) / g.sourceWidth}%`;
      crop.style.height = `${(100 * g.region.height) / g.sourceHeight}%`;
      figure.append(crop);
    }
    parts.push(figure);
  }
  const src = job.source;
  if (src && src.element !== '?') {
    const size = job.result ? `${job.result.image.originalWidth}×${job.result.image.originalHeight}` : '';
    const where = src.url ?? '';
    const line = [ELEMENT_TEXT[src.element] ?? src.element, size, where].filter(Boolean).join(' · ');
    parts.push(h('p', { class: 'source', testid: 'source', text: line, title: src.pageUrl ? `on ${src.pageUrl}` : undefined }));
  }
  return h('section', { class: 'panel panel-image' }, parts);
}

const ELEMENT_TEXT: Record<string, string> = {
  img: 'Image',
  picture: 'Picture',
  'css-background': 'CSS background',
  canvas: 'Canvas',
  video: 'Video frame',
  svg: 'Inline SVG',
  'svg-image': 'SVG image',
  'page-image': 'Image',
};

const noticePanel: Panel = ({ job }) => (job.notice && job.state === 'done' ? fixed(`${job.id}|${job.notice}`, () => h('div', { class: 'notice', testid: 'notice', text: job.notice })) : null);

const errorPanel: Panel = ({ job }) => {
  if (!job.error || job.state === 'done') return null;
  const error = job.error;
  return fixed(`${job.id}|${error.code}|${error.message}`, () => h('div', { class: 'error', testid: 'error', attrs: { 'data-code': error.code }, text: error.message }));
};

const classificationPanel: Panel = ({ job }) => (job.result ? fixed(`${job.id}|${job.result.totalMs}`, () => classificationElement(job)) : null);

function classificationElement(job: JobRecord): HTMLElement {
  const r = job.result!;
  const items = r.top.map((p, i) => {
    const bar = h('div');
    bar.style.width = `${Math.max(0, Math.min(1, p.prob)) * 100}%`;
    return h('li', {}, [
      h('span', { class: 'label', text: p.label, title: `class ${p.index}`, testid: i === 0 ? 'top1-label' : undefined }),
      h('span', { class: 'prob', text: percent(p.prob), testid: i === 0 ? 'top1-prob' : undefined }),
      h('div', { class: 'bar' }, [bar]),
    ]);
  });
  const load = r.engineLoadMs !== undefined ? ` · model loaded in ${ms(r.engineLoadMs)}` : '';
  return h('section', { class: 'panel panel-classification' }, [
    h('h2', { text: 'What SqueezeNet sees' }),
    h('ol', { class: 'top5', testid: 'top5' }, items),
    h('p', { class: 'meta' }, [
      h('span', { testid: 'backend', text: r.backendText, title: r.backend.fallbacks.map((f) => `${f.backend} not used: ${f.reason}`).join('\n') || undefined }),
      document.createTextNode(' · '),
      h('span', { testid: 'time', text: `${ms(r.inferenceMs)} network${load}` }),
    ]),
  ]);
}

/** In display order; the names identify a panel's element between renders. */
export const PANELS: [string, Panel][] = [
  ['status', statusPanel],
  ['error', errorPanel],
  ['visual', visualPanel],
  ['image', imagePanel],
  ['notice', noticePanel],
  ['saliency', saliencyPanel],
  ['fool', foolPanel],
  ['classification', classificationPanel],
  ['dream', dreamPanel],
];

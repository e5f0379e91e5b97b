/**
 * The popup's panels. Each renders one aspect of a job, or nothing when it does not apply; the
 * popup shows them in this order. The fooling panel joins this list when that method is wired
 * (it receives the same job record, with its image geometry, and the thumbnail).
 */
import { isFinal, KIND_TEXT, STATE_TEXT, type JobRecord, type SaliencyData } from '../shared/jobs.js';
import { h, ms, percent } from './dom.js';
import { saliencyPanel } from './saliency-panel.js';

export interface PanelContext {
  job: JobRecord;
  /** data: URL of the job's image, made by the worker (never a page address: no network here) */
  thumbnail?: string;
  /** a saliency job's stored map and view (storage.session `saliency:<id>`) */
  saliency?: SaliencyData;
  cancel(jobId: string): void;
  /** asks the worker to recompute a saliency job's map with another method */
  rerunSaliency?(jobId: string, method: string): void;
}

export type Panel = (ctx: PanelContext) => HTMLElement | null;

const statusPanel: Panel = ({ job, cancel }) => {
  const active = !isFinal(job.state);
  const progress = job.progress ?? (job.state === 'done' && job.result ? `${ms(job.result.totalMs)} from click to result` : '');
  const meter = active && job.fraction !== undefined ? h('div', { class: 'meter' }, [h('div', { attrs: { style: `width:${(job.fraction * 100).toFixed(1)}%` } })]) : null;
  const cancelButton = active ? h('button', { text: 'Cancel', testid: 'cancel' }) : null;
  cancelButton?.addEventListener('click', () => cancel(job.id));
  return h('div', { class: 'status', testid: 'status' }, [
    active ? h('div', { class: 'spinner' }) : null,
    h('div', { class: 'text' }, [
      h('div', { class: 'kind', text: KIND_TEXT[job.kind] }),
      h('div', { class: 'state', testid: 'state', text: STATE_TEXT[job.state] }),
      progress ? h('div', { class: 'progress-line', testid: 'progress', text: progress }) : null,
      meter,
    ]),
    cancelButton,
  ]);
};

const MAX_IMAGE = { width: 352, height: 240 };

const imagePanel: Panel = ({ job, thumbnail }) => {
  if (!thumbnail && !job.source?.url) return null;
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
};

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

const noticePanel: Panel = ({ job }) => (job.notice && job.state === 'done' ? h('div', { class: 'notice', testid: 'notice', text: job.notice }) : null);

const errorPanel: Panel = ({ job }) => {
  if (!job.error || job.state === 'done') return null;
  return h('div', { class: 'error', testid: 'error', attrs: { 'data-code': job.error.code }, text: job.error.message });
};

const classificationPanel: Panel = ({ job }) => {
  const r = job.result;
  if (!r) return null;
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
};

export const PANELS: Panel[] = [statusPanel, errorPanel, imagePanel, noticePanel, saliencyPanel, classificationPanel];

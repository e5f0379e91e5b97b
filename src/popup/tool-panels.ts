/**
 * DeepDream of a job's image, class visualizations (what SqueezeNet thinks a class looks like),
 * and the "Visualize a class" tool that starts one. Both run in the worker's queue with live
 * progress; a visualization shows its image as it forms.
 */
import { VISUALIZE_ITERATIONS, type TaskReply, type WorkerRequest } from '../shared/messages.js';
import { classPicker } from './class-picker.js';
import { fileSafe, h, ms, percent, revealOnce } from './dom.js';
import type { Panel } from './panels.js';
import { runKey, taskStatus, updateTaskStatus } from './task-status.js';


export const dreamPanel: Panel = ({ job, thumbnail, dream, preview, send, cancel }) => {
  if (job.kind === 'visualize' || job.state !== 'done' || !thumbnail) return null;
  const run = job.dreamRun;
  /** The running dream's latest preview, swapped in place (rebuilding would replace Cancel under the pointer). */
  const showPreview = (el: HTMLElement) => {
    const img = el.querySelector<HTMLImageElement>('[data-testid=dream-preview]');
    if (!img) return;
    if (preview && img.getAttribute('src') !== preview) img.src = preview;
    img.hidden = !preview;
  };
  return {
    key: [job.id, runKey(run), job.dream?.ms ?? '-', dream?.length ?? 0].join('|'),
    update: (el) => {
      updateTaskStatus(el.querySelector('[data-testid=dream-running]'), job.dreamRun);
      showPreview(el);
    },
    build: () => {
      const start = h('button', { testid: 'dream-start', text: job.dream ? 'Dream again' : 'DeepDream this image', attrs: { type: 'button' } });
      start.disabled = run?.state === 'running';
      const startError = h('p', { class: 'bad', hidden: true, testid: 'dream-start-error' });
      start.addEventListener('click', async () => {
        start.disabled = true;
        const reply = await send({ type: 'squeezelens/dream', jobId: job.id });
        if (!reply?.ok) {
          startError.hidden = false;
          startError.textContent = `Could not start: ${reply?.reason ?? 'the extension did not answer'}`;
          start.disabled = false;
        }
      });
      const parts: (HTMLElement | null)[] = [
        h('h2', { text: 'DeepDream' }),
        h('p', { class: 'muted small', text: 'Amplifies whatever the fire5 layer already sees in the image (Mordvintsev et al. 2015).' }),
        start,
        startError,
      ];
      if (run?.state === 'running') {
        parts.push(taskStatus(run, 'Dreaming…', () => cancel(job.id), 'dream'));
        parts.push(h('div', { class: 'figure' }, [h('img', { class: 'dream-preview', testid: 'dream-preview', hidden: true, attrs: { alt: 'The dream so far' } })]));
      }
      else if (run?.state === 'error') parts.push(h('p', { class: 'bad', testid: 'dream-error', text: `The dream could not be made: ${run.error ?? 'unknown error'}` }));
      if (job.dream && dream) {
        const img = h('img', { class: 'dream-image', testid: 'dream-image', attrs: { alt: 'DeepDream of the image' } });
        img.src = dream;
        const d = job.dream;
        parts.push(
          h('div', { class: 'figure' }, [img]),
          h('p', { class: 'meta', testid: 'dream-result', text: `${d.layer} · ${d.width}×${d.height} · objective ×${d.objectiveGain.toFixed(2)} · ${d.backend}, ${ms(d.ms)}` }),
          h('a', { class: 'button', testid: 'dream-download', text: 'Download PNG', attrs: { href: dream, download: 'squeezelens-deepdream.png' } }),
        );
        revealOnce(img, `dream:${job.id}:${d.ms}`, job.updatedAt);
      }
      const section = h('section', { class: 'panel panel-dream', testid: 'dream' }, parts);
      showPreview(section);
      return section;
    },
  };
};

export const visualPanel: Panel = ({ job, visual }) => {
  const v = job.visual;
  if (job.kind !== 'visualize' || !v) return null;
  return {
    key: [job.id, job.state, v.step, visual?.length ?? 0].join('|'),
    build: () => {
      const parts: (HTMLElement | null)[] = [
        h('h2', { text: 'What SqueezeNet thinks it looks like' }),
        h('p', { class: 'saliency-what' }, [document.createTextNode('Class: '), h('b', { testid: 'visual-class', text: v.label, title: `class ${v.classIndex}` })]),
      ];
      if (visual) {
        const img = h('img', { class: 'visual-image', testid: 'visual-image', attrs: { alt: `SqueezeNet's idea of ${v.label}`, width: '224', height: '224' } });
        img.src = visual;
        parts.push(h('div', { class: 'saliency-figure' }, [img]));
      } else if (job.state !== 'done') parts.push(h('p', { class: 'muted', text: 'The image appears here as it forms…' }));
      if (job.state === 'done' && v.probability !== undefined) {
        parts.push(
          h('p', { class: 'meta', testid: 'visual-result', text: `${v.iterations} steps of gradient ascent from noise · SqueezeNet gives this image ${percent(v.probability)} “${v.label}”${v.backend ? ` · ${v.backend}` : ''}${v.ms ? `, ${ms(v.ms)}` : ''}` }),
        );
        if (visual) parts.push(h('a', { class: 'button primary', testid: 'visual-download', text: 'Download PNG', attrs: { href: visual, download: `squeezelens-class-${fileSafe(v.label)}.png` } }));
      } else if (job.state !== 'done') {
        parts.push(h('p', { class: 'muted small', testid: 'visual-step', text: `step ${v.step} of ${v.iterations}` }));
      }
      return h('section', { class: 'panel panel-visual', testid: 'visual' }, parts);
    },
  };
};

/** The "Visualize a class" tool under the job view; it starts a new job and shows it. */
export function visualizeTool(labels: readonly string[], send: (r: WorkerRequest) => Promise<TaskReply | undefined>, show: (jobId: string) => void): HTMLElement {
  let chosen: number | null = null;
  const chip = h('span', { class: 'chip empty', testid: 'visualize-class', text: 'no class yet' });
  const iterations = h('input', { testid: 'visualize-iterations', attrs: { type: 'number', min: String(VISUALIZE_ITERATIONS.min), max: String(VISUALIZE_ITERATIONS.max), step: '10', 'aria-label': 'Steps' } });
  iterations.value = String(VISUALIZE_ITERATIONS.default);
  const start = h('button', { class: 'primary', testid: 'visualize-start', text: 'Visualize', attrs: { type: 'button' } });
  start.disabled = true;
  const error = h('p', { class: 'bad', hidden: true, testid: 'visualize-error' });
  start.addEventListener('click', async () => {
    const n = Number(iterations.value);
    if (chosen === null) return;
    if (!Number.isInteger(n) || n < VISUALIZE_ITERATIONS.min || n > VISUALIZE_ITERATIONS.max) {
      error.hidden = false;
      error.textContent = `Steps must be a whole number from ${VISUALIZE_ITERATIONS.min} to ${VISUALIZE_ITERATIONS.max}.`;
      return;
    }
    error.hidden = true;
    start.disabled = true;
    const reply = await send({ type: 'squeezelens/visualize', classIndex: chosen, iterations: n });
    start.disabled = false;
    if (reply?.ok && reply.jobId) show(reply.jobId);
    else {
      error.hidden = false;
      error.textContent = `Could not start: ${reply?.reason ?? 'the extension did not answer'}`;
    }
  });
  const picker = classPicker({
    labels,
    testid: 'visualize',
    placeholder: 'Search a class (e.g. gorilla)',
    onPick: (index) => {
      chosen = index;
      chip.textContent = labels[index];
      chip.classList.remove('empty');
      start.disabled = false;
    },
  });
  return h('details', { class: 'tool', testid: 'visualize-tool' }, [
    h('summary', { text: 'What does SqueezeNet think a … looks like?' }),
    h('p', { class: 'muted small', text: 'Draws an image from noise that SqueezeNet finds as typical of a class as possible (Simonyan et al. 2013).' }),
    h('div', { class: 'target-row' }, [h('span', { class: 'muted', text: 'Class' }), chip]),
    picker,
    h('div', { class: 'fool-controls' }, [h('label', {}, [h('span', { class: 'muted', text: 'Steps' }), iterations]), start]),
    error,
  ]);
}

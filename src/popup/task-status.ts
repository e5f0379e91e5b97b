/**
 * The line that follows work on a finished job (a saliency re-run, an attack, a sanity check, a
 * dream): spinner, what runs, progress text, a meter and Cancel. Built once per run and then
 * updated in place, so the Cancel button stays the same element under the user's pointer while
 * progress arrives several times a second.
 */
import type { TaskRun } from '../shared/jobs.js';
import { h } from './dom.js';

export function taskStatus(run: TaskRun, title: string, onCancel: () => void, testid: string): HTMLElement {
  const stop = h('button', { text: 'Cancel', testid: `${testid}-cancel` });
  stop.addEventListener('click', onCancel);
  const el = h('div', { class: 'status task-run', testid: `${testid}-running` }, [
    h('div', { class: 'spinner' }),
    h('div', { class: 'text' }, [
      h('div', { class: 'state', text: title }),
      h('div', { class: 'progress-line', testid: `${testid}-progress` }),
      h('div', { class: 'meter' }, [h('div')]),
    ]),
    stop,
  ]);
  updateTaskStatus(el, run);
  return el;
}

export function updateTaskStatus(el: HTMLElement | null, run: TaskRun | undefined): void {
  if (!el || !run) return;
  const line = el.querySelector<HTMLElement>('.progress-line');
  if (line) {
    line.textContent = run.progress ?? '';
    line.hidden = !run.progress;
  }
  const meter = el.querySelector<HTMLElement>('.meter');
  if (meter) {
    meter.hidden = run.fraction === undefined;
    (meter.firstElementChild as HTMLElement).style.width = `${((run.fraction ?? 0) * 100).toFixed(1)}%`;
  }
}

/** A key part that changes when a run starts, stops, fails or changes method (not on progress). */
export const runKey = (run: TaskRun | undefined) => (run ? `${run.state}:${run.method}:${run.error ?? ''}` : '-');

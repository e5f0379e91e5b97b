/**
 * The fooling panel (fooling jobs): choose a target among the 1000 classes (search, least likely,
 * random), a method and its budget; the worker runs the attack with progress and Cancel; then the
 * original, the fooled image, their difference and the difference ×10, the numbers, a download of
 * the verified 8-bit PNG, and "replace on page" (the page shows the fooled image: right-click it and
 * SqueezeNet sees the target).
 */
import { attackPictures } from '../methods/attack/metrics.js';
import { FOOL_METHODS, type FoolData, type FoolInfo, type FoolMethod, type JobRecord, type TargetChoice } from '../shared/jobs.js';
import { DEFAULT_FOOL_CONFIDENCE, FOOL_BUDGETS, FOOL_CONFIDENCES, validBudget } from '../shared/messages.js';
import { classPicker } from './class-picker.js';
import { toRgbFloat } from '../render/image.js';
import { decodeDataUrl, fileSafe, h, ms, percent, revealOnce } from './dom.js';
import type { Panel, PanelContext } from './panels.js';
import { runKey, taskStatus, updateTaskStatus } from './task-status.js';

const METHOD_TEXT: Record<FoolMethod, { title: string; description: string }> = {
  cs231n: { title: 'CS231n gradient ascent', description: 'Pushes the image toward the target until SqueezeNet picks it; no limit on the change, usually ~15/255.' },
  pgd: { title: 'PGD (L∞ budget)', description: 'Projected gradient descent: every pixel value moves at most ε/255 from the original.' },
  fgsm: { title: 'FGSM (one step)', description: 'One signed-gradient step of size ε/255: fast, often not enough for a target.' },
};

interface Form {
  target?: TargetChoice;
  targetLabel?: string;
  method: FoolMethod;
  budget: number;
  confidence: number;
  query: string;
  replaced: boolean;
  pageMessage?: { text: string; bad: boolean };
  startError?: string;
}

/** The user's choices per job, kept while the popup is open (panels are rebuilt on key changes). */
const forms = new Map<string, Form>();
function formOf(id: string): Form {
  let f = forms.get(id);
  if (!f) forms.set(id, (f = { method: 'cs231n', budget: FOOL_BUDGETS.cs231n.default, confidence: DEFAULT_FOOL_CONFIDENCE, query: '', replaced: false }));
  return f;
}


export const foolPanel: Panel = (ctx) => {
  const { job } = ctx;
  if (job.kind !== 'fool' || job.state !== 'done' || !job.result) return null;
  const form = formOf(job.id);
  const key = [job.id, runKey(job.foolRun), job.fool?.ms ?? '-', ctx.fool?.fooled?.length ?? 0, ctx.labels ? 1 : 0, form.replaced, form.pageMessage?.text ?? '', form.startError ?? '', form.target ? JSON.stringify(form.target) : '-', form.method].join('|');
  return {
    key,
    build: () => build(ctx, form),
    update: (el) => updateTaskStatus(el.querySelector('[data-testid=fool-running]'), job.foolRun),
  };
};

let rerender: () => void = () => {};
/** The popup's render function: a form change that alters the panel's key redraws it. */
export function setFoolRerender(fn: () => void): void {
  rerender = fn;
}

function build(ctx: PanelContext, form: Form): HTMLElement {
  const { job } = ctx;
  const running = job.foolRun?.state === 'running';
  const parts: (HTMLElement | null)[] = [h('h2', { text: 'Make a fooling image' })];
  const seen = job.result!.top[0];
  parts.push(
    h('p', { class: 'hint' }, [
      document.createTextNode('SqueezeNet sees '),
      h('b', { text: seen.label }),
      document.createTextNode(`. Change the image, invisibly, so that it sees something else:`),
    ]),
  );

  // Target
  const chosen = h('span', { class: 'chip', testid: 'fool-target', text: form.target ? form.targetLabel ?? '' : 'no target yet' });
  if (!form.target) chosen.classList.add('empty');
  const least = h('button', { text: 'Least likely', testid: 'fool-least-likely', title: 'The class SqueezeNet finds least likely for this image', attrs: { type: 'button' } });
  least.addEventListener('click', () => {
    form.target = { kind: 'least-likely' };
    form.targetLabel = 'the least likely class';
    rerender();
  });
  const random = h('button', { text: 'Random', testid: 'fool-random', title: 'A random class other than the current answer', attrs: { type: 'button' } });
  random.addEventListener('click', () => {
    form.target = { kind: 'random', seed: Math.floor(Math.random() * 2 ** 31) };
    form.targetLabel = 'a random class';
    rerender();
  });
  parts.push(h('div', { class: 'target-row' }, [h('span', { class: 'muted', text: 'Target' }), chosen, least, random]));
  if (ctx.labels) {
    const labels = ctx.labels;
    parts.push(
      classPicker({
        labels,
        testid: 'fool-target',
        placeholder: 'Search the 1000 classes (e.g. gorilla)',
        query: form.query,
        onQuery: (q) => (form.query = q),
        onPick: (index) => {
          form.target = { kind: 'index', index };
          form.targetLabel = labels[index];
          rerender();
        },
      }),
    );
  } else {
    parts.push(h('p', { class: 'muted', text: 'Loading the class names…' }));
  }

  // Method and budget
  const method = h('select', { testid: 'fool-method', attrs: { 'aria-label': 'Attack method' } }, FOOL_METHODS.map((m) => h('option', { text: METHOD_TEXT[m].title, title: METHOD_TEXT[m].description, attrs: { value: m } })));
  method.value = form.method;
  const budgetSpec = FOOL_BUDGETS[form.method];
  const budget = h('input', { testid: 'fool-budget', attrs: { type: 'number', min: String(budgetSpec.min), max: String(budgetSpec.max), step: budgetSpec.integer ? '1' : '0.5', 'aria-label': 'Budget' } });
  budget.value = String(form.budget);
  const unit = h('span', { class: 'muted', text: budgetSpec.unit });
  method.addEventListener('change', () => {
    form.method = method.value as FoolMethod;
    form.budget = FOOL_BUDGETS[form.method].default;
    rerender();
  });
  budget.addEventListener('input', () => {
    const v = Number(budget.value);
    if (budget.value !== '' && validBudget(form.method, v)) {
      form.budget = v;
      budget.setCustomValidity('');
    } else budget.setCustomValidity(`between ${budgetSpec.min} and ${budgetSpec.max}`);
  });
  const confidence = h(
    'select',
    { testid: 'fool-confidence', attrs: { 'aria-label': 'Stop when' } },
    FOOL_CONFIDENCES.map((c) => h('option', { text: c === 0 ? 'it is the top answer' : `it is ${c * 100} % sure`, attrs: { value: String(c) } })),
  );
  confidence.value = String(form.confidence);
  confidence.addEventListener('change', () => (form.confidence = Number(confidence.value)));
  parts.push(
    h('div', { class: 'fool-controls' }, [
      h('label', {}, [h('span', { class: 'muted', text: 'Method' }), method]),
      h('label', {}, [h('span', { class: 'muted', text: 'Budget' }), budget, unit]),
      h('label', { title: 'How sure SqueezeNet must be of the target before the attack stops' }, [h('span', { class: 'muted', text: 'Stop when' }), confidence]),
    ]),
    h('p', { class: 'muted small', text: METHOD_TEXT[form.method].description }),
  );

  const start = h('button', { class: 'primary', testid: 'fool-start', text: job.fool ? 'Make another' : 'Make fooling image', attrs: { type: 'button' } });
  start.disabled = running || !form.target;
  start.title = form.target ? '' : 'Choose a target first';
  start.addEventListener('click', async () => {
    if (!form.target) return;
    if (!validBudget(form.method, Number(budget.value))) {
      form.startError = `The budget must be between ${budgetSpec.min} and ${budgetSpec.max}${budgetSpec.integer ? ' (a whole number)' : ''}.`;
      rerender();
      return;
    }
    start.disabled = true;
    const reply = await ctx.send({ type: 'squeezelens/fool', jobId: job.id, target: form.target, method: form.method, budget: Number(budget.value), confidence: form.confidence });
    form.startError = reply?.ok ? undefined : `Could not start: ${reply?.reason ?? 'the extension did not answer'}`;
    if (!reply?.ok) rerender();
  });
  parts.push(start);
  if (form.startError) parts.push(h('p', { class: 'bad', testid: 'fool-start-error', text: form.startError }));

  const run = job.foolRun;
  if (run?.state === 'running') parts.push(taskStatus(run, `Making the fooling image (${run.method})…`, () => ctx.cancel(job.id), 'fool'));
  else if (run?.state === 'error') parts.push(h('p', { class: 'bad', testid: 'fool-run-error', text: `The fooling image could not be made: ${run.error ?? 'unknown error'}` }));

  if (job.fool && ctx.fool?.fooled) {
    const view = resultView(ctx, job, job.fool, ctx.fool, form);
    revealOnce(view, `fool:${job.id}:${job.fool.ms}`, job.updatedAt, 'start');
    parts.push(view);
  }
  return h('section', { class: 'panel panel-fool', testid: 'fool' }, parts);
}

function resultView(ctx: PanelContext, job: JobRecord, info: FoolInfo, data: FoolData, form: Form): HTMLElement {
  const again = info.reclassified;
  const headline = info.success
    ? `Fooled: SqueezeNet now sees “${again.label}” (${percent(again.prob)}) instead of “${info.source.label}”.`
    : `Not fooled within the budget: SqueezeNet sees “${again.label}” (${percent(again.prob)}); the target “${info.target.label}” reached ${percent(info.targetProbAfter)}${info.confidence ? ` of the ${percent(info.confidence)} asked for` : ''}. Try a larger budget, another method, or stopping earlier.`;
  const fooledImg = h('img', { testid: 'fooled-image', attrs: { alt: `The fooled image, seen as ${again.label}`, width: '160', height: '160' } });
  fooledImg.src = data.fooled!;
  const original = h('img', { testid: 'fool-original', attrs: { alt: 'The original (the 224×224 view SqueezeNet saw)', width: '160', height: '160' } });
  original.src = data.view;
  const diff = h('canvas', { testid: 'fool-difference', attrs: { width: String(data.size), height: String(data.size) } });
  const diff10 = h('canvas', { testid: 'fool-difference-10x', attrs: { width: String(data.size), height: String(data.size) } });
  void drawDifferences(data, diff, diff10);

  const figure = (el: HTMLElement, caption: string) => h('figure', {}, [el, h('figcaption', { text: caption })]);
  const numbers = [
    `${info.iterations} step${info.iterations === 1 ? '' : 's'}`,
    `L∞ ${info.linf}/255`,
    `L2 ${info.l2.toFixed(0)}`,
    `${(info.changedPixels * 100).toFixed(0)} % of pixels changed`,
    `P(${info.target.label}) ${percent(info.targetProbBefore)} → ${percent(info.targetProbAfter)}`,
    `${METHOD_TEXT[info.method].title.replace(/ \(.*\)$/, '')}, budget ${info.budget}${info.method === 'cs231n' ? ' steps' : '/255'}, ${info.confidence ? `stop at ${percent(info.confidence)}` : 'stop at top-1'}`,
    `${info.backend}, ${ms(info.ms)}`,
  ].join(' · ');

  const download = h('a', { class: 'button primary', testid: 'fool-download', text: 'Download PNG', title: 'The exact 8-bit image that was checked', attrs: { href: data.fooled!, download: `squeezelens-fooled-${fileSafe(info.target.label)}.png` } });
  const replace = h('button', { testid: form.replaced ? 'fool-restore' : 'fool-replace', text: form.replaced ? 'Restore original on page' : 'Replace on page', attrs: { type: 'button' } });
  if (!job.page) {
    replace.disabled = true;
    replace.title = 'The page of this image is not known';
  }
  replace.addEventListener('click', async () => {
    replace.disabled = true;
    const reply = form.replaced
      ? await ctx.sendToPage(job, { type: 'squeezelens/restore-image', jobId: job.id })
      : await ctx.sendToPage(job, { type: 'squeezelens/replace-image', jobId: job.id, png: data.fooled!, cover: job.result?.geometry.mode === 'crop' });
    if (reply.ok) {
      form.replaced = !form.replaced;
      form.pageMessage = form.replaced
        ? { text: 'The page now shows the fooled image. Right-click it → SqueezeLens → What is this? to see what SqueezeNet says.', bad: false }
        : { text: 'The page shows the original image again.', bad: false };
    } else form.pageMessage = { text: reply.reason, bad: true };
    rerender();
  });
  return h('div', { class: 'fool-result-view' }, [
    h('p', { class: info.success ? 'fool-result ok' : 'fool-result bad', testid: 'fool-result', attrs: { 'data-success': String(info.success), 'data-label': again.label } , text: headline }),
    h('div', { class: 'fool-grid' }, [figure(original, 'Original'), figure(fooledImg, 'Fooled'), figure(diff, 'Difference'), figure(diff10, 'Difference ×10')]),
    h('p', { class: 'meta', testid: 'fool-numbers', text: numbers }),
    h('div', { class: 'fool-actions' }, [download, replace]),
    form.pageMessage ? h('p', { class: form.pageMessage.bad ? 'bad' : 'muted small', testid: 'fool-page-status', text: form.pageMessage.text }) : null,
  ]);
}

/** The signed difference (grey = unchanged) and the same ×10, from the two lossless PNGs. */
async function drawDifferences(data: FoolData, diff: HTMLCanvasElement, diff10: HTMLCanvasElement): Promise<void> {
  const [a, b] = await Promise.all([decodeDataUrl(data.view, data.size), decodeDataUrl(data.fooled!, data.size)]);
  const pictures = attackPictures(toRgbFloat(a), toRgbFloat(b));
  for (const [canvas, rgb] of [[diff, pictures.difference], [diff10, pictures.magnified]] as const) {
    const rgba = new Uint8ClampedArray(data.size * data.size * 4);
    for (let p = 0; p < data.size * data.size; p++) {
      rgba[p * 4] = rgb[p * 3];
      rgba[p * 4 + 1] = rgb[p * 3 + 1];
      rgba[p * 4 + 2] = rgb[p * 3 + 2];
      rgba[p * 4 + 3] = 255;
    }
    canvas.getContext('2d')!.putImageData(new ImageData(rgba, data.size, data.size), 0, 0);
    canvas.dataset.ready = 'true';
  }
}

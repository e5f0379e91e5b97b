/**
 * The saliency panel: the map the worker computed (8-bit, 224×224) over the 224×224 view the
 * network saw, with an opacity slider, a colormap, a "top 20 %" mask, a legend and a PNG download.
 * All drawing is plain RGBA through render/ (the same code as the CLI); page-derived strings
 * (the class label) only ever go through textContent.
 */
import { gaussianBlur } from '../methods/explain/blur.js';
import { SALIENCY_METHODS, type SaliencyMethodName } from '../methods/explain/index.js';
import { type ColormapName } from '../render/colormap.js';
import type { RgbaBuffer, ScalarMap } from '../render/image.js';
import { colorize, legend, maskImage, normalizeMap, overlay } from '../render/overlay.js';
import { encodePng } from '../render/png.js';
import type { JobRecord, SaliencyData } from '../shared/jobs.js';
import { PICKER_METHODS } from '../shared/messages.js';
import { decodeDataUrl, fileSafe, h, ms, percent, revealOnce } from './dom.js';
import type { Panel, PanelContext } from './panels.js';
import { runKey, taskStatus, updateTaskStatus } from './task-status.js';

export const PANEL_COLORMAPS: readonly ColormapName[] = ['inferno', 'viridis', 'magma', 'gray'];

/** The viewer's choices, kept across re-renders (the popup re-renders on every storage change). */
const choices = { opacity: 0.7, colormap: 'inferno' as ColormapName, mask: false, smooth: true };

export type ViewChoices = typeof choices;

/** Decoded views and maps, by job id. */
const decoded = new Map<string, Promise<Decoded>>();

interface Decoded {
  view: RgbaBuffer;
  map: ScalarMap;
  /** the map blurred (σ = 1.5 px) and normalized again: raw gradients are speckled */
  smooth: ScalarMap;
}

function decodeMap(base64: string, size: number): ScalarMap {
  const binary = atob(base64);
  if (binary.length !== size * size) throw new Error(`saliency map: expected ${size * size} values, got ${binary.length}`);
  const data = new Float32Array(binary.length);
  for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i) / 255;
  return { width: size, height: size, data };
}

function smoothed(map: ScalarMap): ScalarMap {
  const blurred = gaussianBlur(map.data, map.width, map.height, 1, 1.5);
  return { width: map.width, height: map.height, data: normalizeMap(blurred, { normalize: 'percentile', percentile: 99.5 }) };
}

/** Decoded maps already available, so a re-render (on every progress write) paints at once, without a blank frame. */
const ready = new Map<string, Decoded>();

function loadData(version: string, data: SaliencyData): Promise<Decoded> {
  let got = decoded.get(version);
  if (!got) {
    ready.clear();
    got = decodeDataUrl(data.view, data.size).then((view) => {
      const map = decodeMap(data.map, data.size);
      return { view, map, smooth: smoothed(map) };
    });
    decoded.clear(); // one map at a time is plenty
    decoded.set(version, got);
    void got.then((d) => ready.set(version, d), () => {});
  }
  return got;
}

/**
 * The picture: the view (dimmed outside the top 20 % when masking) with the coloured map on top,
 * each pixel's colour weighted by its own value, so cold parts show the image and hot ones glow.
 */
export function compose(d: Decoded, options: ViewChoices): RgbaBuffer {
  const map = options.smooth ? d.smooth : d.map;
  const heat = colorize(map.data, map.width, map.height, options.colormap);
  const base = options.mask ? maskImage(d.view, map, { normalize: 'none', keep: 0.2 }) : d.view;
  return overlay(base, heat, { opacity: options.opacity, weights: map.data });
}

function paint(canvas: HTMLCanvasElement, image: RgbaBuffer): void {
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
}


/** Which stored map a job's record describes (a re-run replaces it). */
export const saliencyVersion = (jobId: string, info: { method: string; ms: number }) => `${jobId}:${info.method}:${info.ms}`;

/** Whether the in-page overlay of a job is shown, and the last answer of the page (per job). */
const pageState = new Map<string, { shown: boolean; message?: { text: string; bad: boolean } }>();

let rerender: () => void = () => {};
export function setSaliencyRerender(fn: () => void): void {
  rerender = fn;
}

/** The sanity check's result, if it is about the map shown now. */
const currentSanity = (job: JobRecord) => (job.sanity && job.saliency && job.sanity.method === job.saliency.method && job.sanity.mapMs === job.saliency.ms ? job.sanity : undefined);

export const saliencyPanel: Panel = (ctx) => {
  const { job, saliency } = ctx;
  const info = job.saliency;
  if (job.kind !== 'saliency' || job.state !== 'done' || !info) return null;
  const page = pageState.get(job.id);
  const sanity = currentSanity(job);
  return {
    key: [saliencyVersion(job.id, info), runKey(job.saliencyRun), runKey(job.sanityRun), sanity ? sanity.ms : '-', saliency ? 1 : 0, page?.shown ?? false, page?.message?.text ?? ''].join('|'),
    build: () => buildSaliency(ctx),
    update: (el) => {
      updateTaskStatus(el.querySelector('[data-testid=saliency-running]'), job.saliencyRun);
      updateTaskStatus(el.querySelector('[data-testid=sanity-running]'), job.sanityRun);
    },
  };
};

function buildSaliency(ctx: PanelContext): HTMLElement {
  const { job, saliency, cancel, rerunSaliency } = ctx;
  const info = job.saliency!;
  const canvas = h('canvas', { class: 'saliency-canvas', testid: 'saliency-canvas', attrs: { width: '224', height: '224', role: 'img', 'aria-label': `Saliency map for ${info.label}` } });
  const legendCanvas = h('canvas', { class: 'legend', testid: 'saliency-legend', attrs: { width: '224', height: '10' } });

  const opacity = h('input', { testid: 'saliency-opacity', attrs: { type: 'range', min: '0', max: '100', step: '1', 'aria-label': 'Overlay opacity' } });
  opacity.value = String(Math.round(choices.opacity * 100));
  const opacityText = h('span', { class: 'value', text: `${opacity.value} %` });
  const select = h(
    'select',
    { testid: 'saliency-colormap', attrs: { 'aria-label': 'Colormap' } },
    PANEL_COLORMAPS.map((name) => h('option', { text: name, attrs: { value: name } })),
  );
  select.value = choices.colormap;
  const mask = h('input', { testid: 'saliency-mask', attrs: { type: 'checkbox' } });
  mask.checked = choices.mask;
  const smooth = h('input', { testid: 'saliency-smooth', attrs: { type: 'checkbox' } });
  smooth.checked = choices.smooth;
  const download = h('button', { class: 'primary', testid: 'saliency-download', text: 'Download PNG' });
  const status = h('p', { class: 'saliency-error', hidden: true });

  const run = job.saliencyRun;
  const running = run?.state === 'running';
  const picker = h(
    'select',
    { testid: 'saliency-method-picker', attrs: { 'aria-label': 'Saliency method' } },
    PICKER_METHODS.map((m) => h('option', { text: SALIENCY_METHODS[m].title, title: SALIENCY_METHODS[m].description, attrs: { value: m } })),
  );
  picker.value = running ? run.method : info.method;
  picker.disabled = running || job.sanityRun?.state === 'running' || !rerunSaliency;
  picker.addEventListener('change', () => rerunSaliency?.(job.id, picker.value));
  let runLine: HTMLElement | null = null;
  if (running) {
    const title = SALIENCY_METHODS[run.method as SaliencyMethodName]?.title ?? run.method;
    runLine = taskStatus(run, `Computing ${title}…`, () => cancel(job.id), 'saliency');
    runLine.classList.add('saliency-run');
  } else if (run?.state === 'error') {
    runLine = h('p', { class: 'saliency-error', testid: 'saliency-run-error', text: `The map could not be computed: ${run.error ?? 'unknown error'}` });
  }

  const methodTitle = SALIENCY_METHODS[info.method as SaliencyMethodName]?.title ?? info.method;
  const description = SALIENCY_METHODS[info.method as SaliencyMethodName]?.description ?? '';

  let current: Decoded | null = null;
  const redraw = () => {
    opacityText.textContent = `${opacity.value} %`;
    paint(legendCanvas, legend(choices.colormap, { width: 224, height: 10 }));
    if (current) paint(canvas, compose(current, choices));
  };
  opacity.addEventListener('input', () => {
    choices.opacity = Number(opacity.value) / 100;
    redraw();
  });
  select.addEventListener('change', () => {
    choices.colormap = select.value as ColormapName;
    redraw();
  });
  mask.addEventListener('change', () => {
    choices.mask = mask.checked;
    redraw();
  });
  smooth.addEventListener('change', () => {
    choices.smooth = smooth.checked;
    redraw();
  });
  download.addEventListener('click', async () => {
    if (!current) return;
    const image = compose(current, choices);
    const png = await encodePng(image, { text: { Software: 'SqueezeLens', Description: `${methodTitle} saliency for class ${info.classIndex}` } });
    const url = URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' }));
    const a = h('a', { attrs: { href: url, download: `squeezelens-saliency-${info.method}-${fileSafe(info.label)}.png` } });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  const version = saliencyVersion(job.id, info);
  const known = ready.get(version);
  if (known) {
    current = known;
    canvas.dataset.ready = 'true';
  }
  redraw();
  if (known) {
    // painted above
  } else if (saliency) {
    loadData(version, saliency).then(
      (d) => {
        current = d;
        canvas.dataset.ready = 'true';
        redraw();
      },
      (error: Error) => {
        status.hidden = false;
        status.textContent = `The saliency map could not be shown: ${error.message}`;
      },
    );
  } else {
    status.hidden = false;
    status.textContent = 'The saliency map is not stored any more.';
  }

  // Show on page: the coloured map (transparent where cold) over the image in the page.
  const page = pageState.get(job.id) ?? { shown: false };
  const onPage = h('button', { testid: page.shown ? 'saliency-remove-from-page' : 'saliency-show-on-page', text: page.shown ? 'Remove from page' : 'Show on page', attrs: { type: 'button' } });
  if (!job.page || !job.result) {
    onPage.disabled = true;
    onPage.title = 'The page of this image is not known';
  }
  onPage.addEventListener('click', async () => {
    onPage.disabled = true;
    let reply;
    if (page.shown) reply = await ctx.sendToPage(job, { type: 'squeezelens/remove-overlay', jobId: job.id });
    else {
      if (!current) return;
      const png = await encodePng(pageOverlay(current, choices));
      reply = await ctx.sendToPage(job, { type: 'squeezelens/show-overlay', jobId: job.id, png: `data:image/png;base64,${toBase64(png)}`, geometry: job.result!.geometry });
    }
    const shown = reply.ok ? !page.shown : page.shown && !/no overlay/i.test(reply.reason);
    pageState.set(job.id, { shown, message: reply.ok ? (shown ? { text: 'Shown over the image on the page (× on the overlay removes it).', bad: false } : undefined) : { text: reply.reason, bad: true } });
    rerender();
  });
  const pageLine = page.message ? h('p', { class: page.message.bad ? 'saliency-error' : 'muted small', testid: 'saliency-page-status', text: page.message.text }) : null;

  // Sanity check: does the map depend on what the network learned?
  const sanity = currentSanity(job);
  const sanityRun = job.sanityRun;
  const check = h('button', { testid: 'saliency-sanity', text: sanity ? 'Check again' : 'Can I trust this map?', title: 'Model randomization (Adebayo et al. 2018): recompute the map with the top layers randomized', attrs: { type: 'button' } });
  check.disabled = sanityRun?.state === 'running' || running;
  check.addEventListener('click', async () => {
    check.disabled = true;
    const reply = await ctx.send({ type: 'squeezelens/sanity', jobId: job.id });
    if (!reply?.ok) {
      status.hidden = false;
      status.textContent = `The check could not start: ${reply?.reason ?? 'the extension did not answer'}`;
      check.disabled = false;
    }
  });
  let sanityLine: HTMLElement | null = null;
  if (sanityRun?.state === 'running') sanityLine = taskStatus(sanityRun, 'Checking the map (model randomization)…', () => cancel(job.id), 'sanity');
  else if (sanityRun?.state === 'error') sanityLine = h('p', { class: 'saliency-error', testid: 'sanity-error', text: `The check failed: ${sanityRun.error ?? 'unknown error'}` });
  else if (sanity) {
    sanityLine = revealLater(h(
      'p',
      { class: sanity.modelSensitive ? 'sanity ok' : 'sanity warn', testid: 'saliency-sanity-flag', attrs: { 'data-model-sensitive': String(sanity.modelSensitive) } },
      [
        h('b', { text: sanity.modelSensitive ? '✓ Model-sensitive. ' : '⚠ Not model-sensitive. ' }),
        document.createTextNode(
          sanity.modelSensitive
            ? `With the classifier, fire9 and fire8 replaced by random weights, this map changes (rank correlation ${sanity.correlation.toFixed(2)} < ${sanity.threshold}): it depends on what the network learned.`
            : `With the classifier, fire9 and fire8 replaced by random weights, this map stays the same (rank correlation ${sanity.correlation.toFixed(2)} ≥ ${sanity.threshold}): it shows the image's structure more than what the network uses. Do not read it as an explanation.`,
        ),
      ],
    ), `sanity:${job.id}:${sanity.ms}`, job.updatedAt);
  }

  return h('section', { class: 'panel panel-saliency', testid: 'saliency' }, [
    h('h2', { text: 'Where SqueezeNet looked' }),
    h('p', { class: 'saliency-what' }, [
      document.createTextNode('Pixels that most change the score of '),
      h('b', { testid: 'saliency-class', text: info.label, title: `class ${info.classIndex}, ${percent(info.probability)}` }),
    ]),
    h('div', { class: 'saliency-figure' }, [canvas]),
    h('div', { class: 'legend-row' }, [h('span', { text: 'low' }), legendCanvas, h('span', { text: 'high' })]),
    status,
    runLine,
    h('div', { class: 'controls' }, [
      h('label', { class: 'method' }, [h('span', { text: 'Method' }), picker]),
      h('label', { class: 'opacity' }, [h('span', { text: 'Overlay' }), opacity, opacityText]),
      h('label', {}, [h('span', { text: 'Colours' }), select]),
      h('div', { class: 'checks' }, [
        h('label', { class: 'check', title: 'Blur the map a little (σ = 1.5 px): raw gradients are speckled' }, [smooth, h('span', { text: 'Smooth' })]),
        h('label', { class: 'check', title: 'Keep the 20 % most salient pixels, dim the rest' }, [mask, h('span', { text: 'Top 20 %' })]),
      ]),
      download,
      h('div', { class: 'row' }, [onPage, check]),
    ]),
    pageLine,
    sanityLine,
    h('p', { class: 'meta' }, [
      h('span', { testid: 'saliency-method', text: methodTitle, title: description }),
      document.createTextNode(`${info.positivePart ? ' (positive part: evidence for the class)' : ''} · `),
      h('span', { text: `${ms(info.ms)} · on the 224×224 view the network saw` }),
    ]),
  ]);
}

function revealLater(el: HTMLElement, id: string, at: number): HTMLElement {
  revealOnce(el, id, at);
  return el;
}

/** The map alone, coloured, with each pixel's opacity its value × the overlay opacity: what goes over the page. */
export function pageOverlay(d: Decoded, options: ViewChoices): RgbaBuffer {
  const map = options.smooth ? d.smooth : d.map;
  const heat = colorize(map.data, map.width, map.height, options.colormap);
  for (let p = 0; p < map.width * map.height; p++) {
    const keep = !options.mask || map.data[p] >= maskThreshold(map);
    heat.data[p * 4 + 3] = keep ? Math.round(255 * options.opacity * Math.min(1, Math.max(0, map.data[p]))) : 0;
  }
  return heat;
}

const thresholds = new WeakMap<ScalarMap, number>();
/** The value above which the top 20 % of the map lies. */
function maskThreshold(map: ScalarMap): number {
  let t = thresholds.get(map);
  if (t === undefined) {
    const sorted = Float32Array.from(map.data).sort();
    t = sorted[Math.floor(sorted.length * 0.8)];
    thresholds.set(map, t);
  }
  return t;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

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
import type { SaliencyData } from '../shared/jobs.js';
import { PICKER_METHODS } from '../shared/messages.js';
import { h, ms, percent } from './dom.js';
import type { Panel } from './panels.js';

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

function decodeView(dataUrl: string, size: number): Promise<RgbaBuffer> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = size;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(img, 0, 0, size, size);
      const { data } = ctx.getImageData(0, 0, size, size);
      resolve({ width: size, height: size, data });
    };
    img.onerror = () => reject(new Error('the view image could not be decoded'));
    img.src = dataUrl;
  });
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
    got = decodeView(data.view, data.size).then((view) => {
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

const fileSafe = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 40) || 'image';

/** Which stored map a job's record describes (a re-run replaces it). */
export const saliencyVersion = (jobId: string, info: { method: string; ms: number }) => `${jobId}:${info.method}:${info.ms}`;

export const saliencyPanel: Panel = ({ job, saliency, cancel, rerunSaliency }) => {
  const info = job.saliency;
  if (job.kind !== 'saliency' || job.state !== 'done' || !info) return null;
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
  picker.disabled = running || !rerunSaliency;
  picker.addEventListener('change', () => rerunSaliency?.(job.id, picker.value));
  let runLine: HTMLElement | null = null;
  if (running) {
    const stop = h('button', { text: 'Cancel', testid: 'saliency-cancel' });
    stop.addEventListener('click', () => cancel(job.id));
    const title = SALIENCY_METHODS[run.method as SaliencyMethodName]?.title ?? run.method;
    const meter = run.fraction !== undefined ? h('div', { class: 'meter' }, [h('div', { attrs: { style: `width:${(run.fraction * 100).toFixed(1)}%` } })]) : null;
    runLine = h('div', { class: 'status saliency-run', testid: 'saliency-running' }, [
      h('div', { class: 'spinner' }),
      h('div', { class: 'text' }, [h('div', { class: 'state', text: `Computing ${title}…` }), run.progress ? h('div', { class: 'progress-line', text: run.progress }) : null, meter]),
      stop,
    ]);
  } else if (run?.state === 'error') {
    runLine = h('p', { class: 'saliency-error', testid: 'saliency-run-error', text: run.error ?? 'The map could not be computed.' });
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
    ]),
    h('p', { class: 'meta' }, [
      h('span', { testid: 'saliency-method', text: methodTitle, title: description }),
      document.createTextNode(`${info.positivePart ? ' (positive part: evidence for the class)' : ''} · `),
      h('span', { text: `${ms(info.ms)} · on the 224×224 view the network saw` }),
    ]),
  ]);
};

/**
 * The saliency panel: the map the worker computed over the 224×224 view the network saw, with
 * the method picker (the worker recomputes), an opacity slider, a colormap, Smooth and Top 20 %,
 * a legend, a PNG download, "Show on page" and the sanity check. The class label and every
 * message only ever go in as text.
 */

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ColormapName } from '../render/colormap.js';
import { legend } from '../render/overlay.js';
import { encodePng } from '../render/png.js';
import { PICKER_METHODS, SALIENCY_METHODS, type SaliencyMethodName } from '../shared/catalog.js';
import { formatPercent, t } from '../shared/i18n.js';
import { type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import type { SaliencyInfo } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { fileSafe, ms, percent } from './format.js';
import { usePaintMark } from './paint-mark.js';
import { download, paint } from './pixels.js';
import { compose, type DecodedSaliency, decodeSaliency, decodeView } from './saliency-view.js';
import { SanityButton, SanityResult } from './sanity-check.js';
import { OverlayStatus, ShowOnPage } from './show-on-page.js';
import { NOT_READ } from './store.js';
import { isSaliencyData } from './stored-values.js';
import { TaskStatus } from './task-status.js';
import type { ViewChoices } from './ui-state.js';

/** The network's input view, 224 × 224 (the stored view's size). */
const VIEW_SIZE = 224;

const PANEL_COLORMAPS: readonly ColormapName[] = ['inferno', 'viridis', 'magma', 'gray'];

const methodTitle = (m: string) => SALIENCY_METHODS[m as SaliencyMethodName]?.title ?? m;

/**
 * The stored map and view decoded (synchronously, in the render that brings them: the picture is
 * painted in the same task), and why not when they cannot be shown. The view (written with the
 * classification) is decoded once; the last map decoded stays while a newer value is missing or
 * cannot be decoded.
 */
function useDecoded(raw: unknown, rawView: unknown): { decoded?: DecodedSaliency; problem?: string } {
  const data = isSaliencyData(raw) ? raw : undefined;
  const viewText = typeof rawView === 'string' ? rawView : undefined;
  const view = useMemo(() => {
    if (!viewText) return undefined;
    try {
      return decodeView(viewText, VIEW_SIZE);
    } catch (error) {
      return error as Error;
    }
  }, [viewText]);
  const attempt = useMemo(() => {
    if (!data || !view || view instanceof Error) return view;
    try {
      return decodeSaliency(data, view);
    } catch (error) {
      return error as Error;
    }
  }, [data, view]);
  const last = useRef<DecodedSaliency | undefined>(undefined);
  if (attempt && !(attempt instanceof Error) && 'source' in attempt) last.current = attempt;
  const decoded = last.current;
  if (raw === NOT_READ || rawView === NOT_READ) return { decoded };
  if (!data || !viewText) return { decoded, problem: t('salNotStored') };
  if (attempt instanceof Error) return { decoded, problem: t('salCannotShow', attempt.message) };
  return { decoded };
}

function MethodPicker({ job, info }: { job: JobRecord; info: SaliencyInfo }) {
  const { actions } = usePopup();
  const run = job.runs.saliency;
  const running = run?.state === 'running';
  // The method asked for, shown until the worker's run (or its refusal) takes over.
  const [asked, setAsked] = useState<string>();
  const [refusal, setRefusal] = useState<string>();
  useEffect(() => setAsked(undefined), [running, info.method, info.ms]);
  const choose = async (method: string) => {
    setAsked(method);
    setRefusal(undefined);
    const request = { type: 'squeezelens/saliency', jobId: job.id, method: method as SaliencyMethodName } as const;
    const reply = await actions.send(request);
    if (!reply?.ok) {
      setAsked(undefined);
      setRefusal(t('salCannotRecompute', reply?.reason ?? t('errNoAnswer')));
    }
  };
  return (
    <>
      <label class="method">
        <span>{t('salMethod')}</span>
        <select
          data-testid="saliency-method-picker"
          aria-label={t('salMethodLabel')}
          value={running ? run.method : (asked ?? info.method)}
          disabled={running || job.runs.sanity?.state === 'running'}
          onChange={(e) => void choose(e.currentTarget.value)}
        >
          {PICKER_METHODS.map((m) => (
            <option key={m} value={m} title={SALIENCY_METHODS[m].description}>
              {SALIENCY_METHODS[m].title}
            </option>
          ))}
        </select>
      </label>
      {refusal && <p class="saliency-error">{refusal}</p>}
    </>
  );
}

/** The re-run in progress (with Cancel), or why it failed. */
function RerunLine({ job }: { job: JobRecord }) {
  const { actions } = usePopup();
  const run = job.runs.saliency;
  if (run?.state === 'running') {
    const title = t('salComputing', methodTitle(run.method));
    const cancel = () => actions.cancel(job.id);
    return <TaskStatus run={run} title={title} onCancel={cancel} testid="saliency" class="saliency-run" />;
  }
  if (run?.state === 'error') {
    return (
      <p class="saliency-error" data-testid="saliency-run-error">
        {t('salCannotCompute', run.error ?? t('errUnknown'))}
      </p>
    );
  }
  return null;
}

async function savePng(d: DecodedSaliency, info: SaliencyInfo, choices: ViewChoices): Promise<void> {
  const description = `${methodTitle(info.method)} saliency for class ${info.classIndex}`;
  const text = { Software: 'SqueezeLens', Description: description };
  const png = await encodePng(compose(d, choices), { text });
  download(png, 'image/png', `squeezelens-saliency-${info.method}-${fileSafe(info.label)}.png`);
}

export function SaliencyPanel({ job, info }: { job: JobRecord; info: SaliencyInfo }) {
  const { store, ui } = usePopup();
  const raw = store.value(STORAGE_KEYS.saliencyPrefix + job.id).value;
  const rawView = store.value(STORAGE_KEYS.saliencyViewPrefix + job.id).value;
  const { decoded, problem } = useDecoded(raw, rawView);
  const [sanityError, setSanityError] = useState<string>();
  const choices = ui.view.value;
  const canvas = useRef<HTMLCanvasElement>(null);
  const legendCanvas = useRef<HTMLCanvasElement>(null);
  // Painted in a layout effect: the picture changes in the same task as the control that asked.
  useLayoutEffect(() => {
    if (decoded && canvas.current) paint(canvas.current, compose(decoded, choices));
  }, [decoded, choices]);
  useLayoutEffect(() => {
    if (legendCanvas.current) paint(legendCanvas.current, legend(choices.colormap, { width: 224, height: 10 }));
  }, [choices.colormap]);
  // Ready: the canvas shows the map stored now (not the one before a re-run).
  const ready = decoded !== undefined && decoded.source === raw;
  usePaintMark(job.id, ready, 'mapAt');
  const set = (change: Partial<ViewChoices>) => (ui.view.value = { ...ui.view.value, ...change });
  const opacity = Math.round(choices.opacity * 100);
  const description = SALIENCY_METHODS[info.method as SaliencyMethodName]?.description ?? '';
  return (
    <section class="panel panel-saliency" data-testid="saliency">
      <h2>{t('salTitle')}</h2>
      <p class="saliency-what">
        {t('salPixelsFor')}
        <b data-testid="saliency-class" title={t('salClassTitle', [info.classIndex, percent(info.probability)])}>
          {info.label}
        </b>
      </p>
      <div class="saliency-figure">
        <canvas
          ref={canvas}
          class="saliency-canvas"
          data-testid="saliency-canvas"
          data-ready={ready ? 'true' : undefined}
          width={224}
          height={224}
          role="img"
          aria-label={t('salCanvasLabel', info.label)}
        />
      </div>
      <div class="legend-row">
        <span>{t('salLow')}</span>
        <canvas ref={legendCanvas} class="legend" data-testid="saliency-legend" width={224} height={10} />
        <span>{t('salHigh')}</span>
      </div>
      {(problem || sanityError) && <p class="saliency-error">{problem ?? sanityError}</p>}
      <RerunLine job={job} />
      <div class="controls">
        <MethodPicker job={job} info={info} />
        <label class="opacity">
          <span>{t('salOverlay')}</span>
          <input
            type="range"
            min={0}
            max={100}
            step={1}
            aria-label={t('salOpacityLabel')}
            data-testid="saliency-opacity"
            value={opacity}
            onInput={(e) => set({ opacity: Number(e.currentTarget.value) / 100 })}
          />
          <span class="value">{formatPercent(opacity / 100, 0)}</span>
        </label>
        <label>
          <span>{t('salColours')}</span>
          <select
            data-testid="saliency-colormap"
            aria-label={t('salColormapLabel')}
            value={choices.colormap}
            onChange={(e) => set({ colormap: e.currentTarget.value as ColormapName })}
          >
            {PANEL_COLORMAPS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <div class="checks">
          <label class="check" title={t('salSmoothTitle')}>
            <input
              type="checkbox"
              data-testid="saliency-smooth"
              checked={choices.smooth}
              onChange={(e) => set({ smooth: e.currentTarget.checked })}
            />
            <span>{t('salSmooth')}</span>
          </label>
          <label class="check" title={t('salTopTitle', formatPercent(0.2, 0))}>
            <input
              type="checkbox"
              data-testid="saliency-mask"
              checked={choices.mask}
              onChange={(e) => set({ mask: e.currentTarget.checked })}
            />
            <span>{t('salTop', formatPercent(0.2, 0))}</span>
          </label>
        </div>
        <button
          type="button"
          class="primary"
          data-testid="saliency-download"
          onClick={() => decoded && void savePng(decoded, info, ui.view.value)}
        >
          {t('downloadPng')}
        </button>
        <div class="row">
          <ShowOnPage job={job} decoded={decoded} />
          <SanityButton job={job} info={info} onError={setSanityError} />
        </div>
      </div>
      <OverlayStatus jobId={job.id} />
      <SanityResult job={job} info={info} />
      <p class="meta">
        <span data-testid="saliency-method" title={description}>
          {methodTitle(info.method)}
        </span>
        {`${info.positivePart ? t('salPositive') : ''} · `}
        <span>{t('salOnView', ms(info.ms))}</span>
      </p>
    </section>
  );
}

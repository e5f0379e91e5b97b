/**
 * Images made from the network's features for one job: feature inversion ("Reconstruct from
 * features…") and style transfer ("Stylize with the style image"). Both show the picture forming
 * (the live preview), then the view the network saw beside the result, its numbers, a download,
 * and a way to run it again (another layer; another preset, strength or style image).
 */

import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import {
  INVERT_DEFAULTS,
  INVERT_LAYERS,
  type InvertLayer,
  STYLE_PRESETS,
  STYLIZE_DEFAULTS,
  STYLIZE_PRESETS,
  type StylePreset,
} from '../shared/catalog.js';
import { formatNumber, t } from '../shared/i18n.js';
import { isFinal, type JobRecord, STORAGE_KEYS, type TaskKind, type TaskRun } from '../shared/jobs.js';
import type { SynthesisNumbers } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { fileSafe, ms } from './format.js';
import { CompareLayers } from './layers-panel.js';
import { useRevealOnce } from './reveal.js';
import { imageOrUndefined } from './stored-values.js';
import { TaskStatus } from './task-status.js';
import { useStart } from './use-start.js';

type SynthesisKind = Extract<TaskKind, 'invert' | 'stylize' | 'texture'>;

/** The picture as it forms: the job's own stage (first run) or a re-run on the finished job. */
function Forming({ job, kind, run, title }: { job: JobRecord; kind: SynthesisKind; run?: TaskRun; title: string }) {
  const { store, actions } = usePopup();
  const rerun = run?.state === 'running';
  const firstRun = !isFinal(job.state) && job.state === 'synthesizing';
  if (!rerun && !firstRun) return null;
  const preview = imageOrUndefined(store.value(STORAGE_KEYS.previewPrefix + job.id).value);
  return (
    <>
      {rerun && <TaskStatus run={run} title={title} onCancel={() => actions.cancel(job.id)} testid={kind} />}
      <div class="figure">
        <img
          class="synthesis-preview"
          data-testid={`${kind}-preview`}
          alt={t('synthSoFar')}
          hidden={!preview}
          src={preview}
        />
      </div>
    </>
  );
}

/** The view the network saw beside the result, the numbers and a download. */
function Result({
  job,
  kind,
  numbers,
  caption,
  detail,
  term,
  file,
}: {
  job: JobRecord;
  kind: SynthesisKind;
  numbers: SynthesisNumbers;
  caption: string;
  detail: string;
  /** the loss term the method is about: inversion's content loss, style transfer's style loss */
  term: 'content' | 'style';
  file: string;
}) {
  const { store } = usePopup();
  const ref = useRef<HTMLDivElement>(null);
  useRevealOnce(ref, `${kind}:${job.id}:${numbers.ms}`, job.updatedAt);
  const prefix = {
    invert: STORAGE_KEYS.invertPrefix,
    stylize: STORAGE_KEYS.stylizePrefix,
    texture: STORAGE_KEYS.texturePrefix,
  }[kind];
  const view = imageOrUndefined(store.value(STORAGE_KEYS.viewPrefix + job.id).value);
  const image = imageOrUndefined(store.value(prefix + job.id).value);
  if (!image) return null;
  const line = t('synthLine', [
    detail,
    formatNumber(numbers.iterations),
    t(term === 'content' ? 'synthTermContent' : 'synthTermStyle'),
    numbers.start[term].toPrecision(3),
    numbers.end[term].toPrecision(3),
    numbers.backend,
    ms(numbers.ms),
  ]);
  return (
    <div ref={ref}>
      <div class="fool-grid">
        <figure>
          {view && <img src={view} alt={t('synthStartAlt')} data-testid={`${kind}-view`} />}
          <figcaption>{kind === 'texture' ? t('synthStyleImage') : t('synthNetworkSaw')}</figcaption>
        </figure>
        <figure>
          <img src={image} alt={caption} data-testid={`${kind}-image`} />
          <figcaption>{caption}</figcaption>
        </figure>
      </div>
      <p class="meta" data-testid={`${kind}-result`}>
        {line}
      </p>
      <a class="button" data-testid={`${kind}-download`} href={image} download={file}>
        {t('downloadPng')}
      </a>
    </div>
  );
}

function Failure({ run, kind, what }: { run?: TaskRun; kind: SynthesisKind; what: string }) {
  if (run?.state !== 'error') return null;
  return (
    <p class="bad" data-testid={`${kind}-error`}>
      {t('synthFailed', [what, run.error ?? t('errUnknown')])}
    </p>
  );
}

function Panel({ kind, title, children }: { kind: SynthesisKind; title: string; children: ComponentChildren }) {
  return (
    <section class={`panel panel-synthesis panel-${kind}`} data-testid={kind}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function InvertPanel({ job }: { job: JobRecord }) {
  const info = job.results.invert;
  const { run, starting, error, start } = useStart(job, 'invert');
  const [layer, setLayer] = useState<InvertLayer>(info?.layer ?? INVERT_DEFAULTS.layer);
  const busy = starting || run?.state === 'running' || job.runs.layers?.state === 'running' || !isFinal(job.state);
  const label = job.results.classify?.top[0]?.label ?? 'image';
  return (
    <Panel kind="invert" title={t('invertTitle')}>
      <p class="muted small">{t('invertAbout')}</p>
      <Forming job={job} kind="invert" run={run} title={t('invertForming', run?.method.split(' ').pop() ?? '')} />
      {info && (
        <Result
          job={job}
          kind="invert"
          numbers={info}
          caption={t('invertFrom', info.layer)}
          detail={info.layer}
          term="content"
          file={`squeezelens-${fileSafe(label)}-from-${info.layer}.png`}
        />
      )}
      {isFinal(job.state) && info && (
        <div class="synthesis-form">
          <label>
            {t('invertLayer')}{' '}
            <select
              data-testid="invert-layer"
              value={layer}
              disabled={busy}
              onChange={(e) => setLayer(e.currentTarget.value as InvertLayer)}
            >
              {INVERT_LAYERS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            data-testid="invert-start"
            disabled={busy}
            onClick={() => void start({ type: 'squeezelens/invert', jobId: job.id, layer })}
          >
            {t('invertStart')}
          </button>
        </div>
      )}
      {error && (
        <p class="bad" data-testid="invert-start-error">
          {error}
        </p>
      )}
      <Failure run={run} kind="invert" what={t('synthWhatReconstruction')} />
      {info && <CompareLayers job={job} />}
    </Panel>
  );
}

export function StylizePanel({ job }: { job: JobRecord }) {
  const { style } = usePopup();
  const info = job.results.stylize;
  const { run, starting, error, start } = useStart(job, 'stylize');
  const [preset, setPreset] = useState<StylePreset>(info?.preset ?? STYLIZE_DEFAULTS.preset);
  const [strength, setStrength] = useState<number>(info?.strength ?? STYLIZE_DEFAULTS.strength);
  const busy = starting || run?.state === 'running' || !isFinal(job.state);
  const current = style.image.value;
  const label = job.results.classify?.top[0]?.label ?? 'image';
  const newer = info && current && current.savedAt !== info.style.savedAt;
  return (
    <Panel kind="stylize" title={t('stylizeTitle')}>
      <p class="muted small">{t('stylizeAbout')}</p>
      <Forming job={job} kind="stylize" run={run} title={t('stylizeForming')} />
      {info && (
        <Result
          job={job}
          kind="stylize"
          numbers={info}
          caption={t('stylizeCaption', info.style.label)}
          detail={`${STYLIZE_PRESETS[info.preset].title} ×${info.strength}`}
          term="style"
          file={`squeezelens-${fileSafe(label)}-styled.png`}
        />
      )}
      {newer && (
        <p class="muted small" data-testid="stylize-newer">
          {t('stylizeNewer', current.label)}
        </p>
      )}
      {isFinal(job.state) && info && (
        <div class="synthesis-form">
          <label>
            {t('stylizeWeights')}{' '}
            <select
              data-testid="stylize-preset"
              value={preset}
              disabled={busy}
              onChange={(e) => setPreset(e.currentTarget.value as StylePreset)}
            >
              {STYLE_PRESETS.map((p) => (
                <option key={p} value={p}>
                  {STYLIZE_PRESETS[p].title}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('stylizeStrength')}{' '}
            <input
              type="number"
              data-testid="stylize-strength"
              min={STYLIZE_DEFAULTS.strengthRange.min}
              max={STYLIZE_DEFAULTS.strengthRange.max}
              step="0.5"
              value={strength}
              disabled={busy}
              onChange={(e) => setStrength(e.currentTarget.valueAsNumber)}
            />
          </label>
          <button
            type="button"
            data-testid="stylize-start"
            disabled={busy || !current || !(strength >= 0 && strength <= STYLIZE_DEFAULTS.strengthRange.max)}
            onClick={() => void start({ type: 'squeezelens/stylize', jobId: job.id, preset, strength })}
          >
            {t('stylizeAgain')}
          </button>
        </div>
      )}
      {error && (
        <p class="bad" data-testid="stylize-start-error">
          {error}
        </p>
      )}
      <Failure run={run} kind="stylize" what={t('synthWhatStyled')} />
    </Panel>
  );
}

export function TexturePanel({ job }: { job: JobRecord }) {
  const info = job.results.texture;
  const run = job.runs.texture;
  return (
    <Panel kind="texture" title={t('textureTitle')}>
      <p class="muted small">{t('textureAbout')}</p>
      <Forming job={job} kind="texture" run={run} title={t('textureForming')} />
      {info && (
        <Result
          job={job}
          kind="texture"
          numbers={info}
          caption={t('textureCaption', info.style.label)}
          detail={t('textureGram')}
          term="style"
          file={`squeezelens-texture-${fileSafe(info.style.label)}.png`}
        />
      )}
    </Panel>
  );
}

/**
 * A class visualization job: what SqueezeNet thinks a class looks like, drawn from noise by
 * gradient ascent in the worker; the image shows as it forms (`visual:<id>` is rewritten with
 * each preview, then with the result).
 */
import { useEffect, useState } from 'preact/hooks';
import { formatNumber, t } from '../shared/i18n.js';
import { type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import type { VisualInfo } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { fileSafe, ms, percent } from './format.js';
import { imageOrUndefined } from './stored-values.js';
import { TaskStatus } from './task-status.js';

/**
 * Beside the class visualization, a fooling image from noise for the same class (Nguyen et al.
 * 2015): unregularized gradient ascent gives noise SqueezeNet is ≥ 99 % sure of — the
 * visualization's regularizers are what make the left one look like something.
 */
function NoiseFool({ job, visual, label }: { job: JobRecord; visual?: string; label: string }) {
  const { store, actions } = usePopup();
  const run = job.runs.noise;
  const info = job.results.noise;
  const running = run?.state === 'running';
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => setStarting(false), [run?.state, info?.ms]);
  const noise = imageOrUndefined(
    store.value((running ? STORAGE_KEYS.previewPrefix : STORAGE_KEYS.noisePrefix) + job.id).value,
  );
  const start = async () => {
    setStarting(true);
    setError(undefined);
    const reply = await actions.send({ type: 'squeezelens/noise', jobId: job.id });
    if (!reply?.ok) {
      setStarting(false);
      setError(t('couldNotStart', reply?.reason ?? t('errNoAnswer')));
    }
  };
  return (
    <div class="noise-fool" data-testid="noise">
      <button type="button" data-testid="noise-start" disabled={starting || running} onClick={() => void start()}>
        {info ? t('noiseAgain') : t('noiseStart', label)}
      </button>
      {error && (
        <p class="bad" data-testid="noise-start-error">
          {error}
        </p>
      )}
      {running && (
        <TaskStatus run={run} title={t('noiseRunning')} onCancel={() => actions.cancel(job.id)} testid="noise" />
      )}
      {run?.state === 'error' && (
        <p class="bad" data-testid="noise-error">
          {t('noiseFailed', run.error ?? t('errUnknown'))}
        </p>
      )}
      {(info || running) && noise && (
        <div class="fool-grid">
          <figure>
            {visual && <img src={visual} alt={t('visualAlt', label)} />}
            <figcaption>{t('noiseLeft')}</figcaption>
          </figure>
          <figure>
            <img src={noise} alt={t('noiseStart', label)} data-testid={running ? 'noise-preview' : 'noise-image'} />
            <figcaption>{t('noiseRight')}</figcaption>
          </figure>
        </div>
      )}
      {info && !running && (
        <>
          <p class="meta" data-testid="noise-result">
            {`${t(info.success ? 'noiseLine' : 'noiseLineFailed', [percent(info.probability), info.label, info.iterations])} · ` +
              `${info.backend}, ${ms(info.ms)}`}
          </p>
          {noise && (
            <a
              class="button"
              data-testid="noise-download"
              href={noise}
              download={`squeezelens-noise-${fileSafe(info.label)}.png`}
            >
              {t('downloadPng')}
            </a>
          )}
        </>
      )}
    </div>
  );
}

function resultLine(v: VisualInfo): string {
  const p = percent(v.probability ?? 0);
  const line = t('visualLine', [formatNumber(v.iterations), p, v.label]);
  if (!v.backend) return line;
  return `${line} · ${v.ms ? t('pair', [v.backend, ms(v.ms)]) : v.backend}`;
}

export function VisualPanel({ job, info: v }: { job: JobRecord; info: VisualInfo }) {
  const { store } = usePopup();
  const image = imageOrUndefined(store.value(STORAGE_KEYS.visualPrefix + job.id).value);
  const done = job.state === 'done';
  const final = done && v.probability !== undefined;
  return (
    <section class="panel panel-visual" data-testid="visual">
      <h2>{t('visualTitle')}</h2>
      <p class="saliency-what">
        {t('visualClass')}
        <b data-testid="visual-class" title={t('classIndexTitle', v.classIndex)}>
          {v.label}
        </b>
      </p>
      {image && (
        <div class="saliency-figure">
          <img
            class="visual-image"
            data-testid="visual-image"
            alt={t('visualAlt', v.label)}
            width={224}
            height={224}
            src={image}
          />
        </div>
      )}
      {!image && !done && <p class="muted">{t('visualForming')}</p>}
      {final && (
        <p class="meta" data-testid="visual-result">
          {resultLine(v)}
        </p>
      )}
      {final && image && (
        <a
          class="button primary"
          data-testid="visual-download"
          href={image}
          download={`squeezelens-class-${fileSafe(v.label)}.png`}
        >
          {t('downloadPng')}
        </a>
      )}
      {final && <NoiseFool job={job} visual={image} label={v.label} />}
      {!done && (
        <p class="muted small" data-testid="visual-step">
          {t('visualStep', [formatNumber(v.step), formatNumber(v.iterations)])}
        </p>
      )}
    </section>
  );
}

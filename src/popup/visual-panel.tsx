/**
 * A class visualization job: what SqueezeNet thinks a class looks like, drawn from noise by
 * gradient ascent in the worker; the image shows as it forms (`visual:<id>` is rewritten with
 * each preview, then with the result).
 */
import { formatNumber, t } from '../shared/i18n.js';
import { type JobRecord, STORAGE_KEYS, type VisualInfo } from '../shared/jobs.js';
import { usePopup } from './context.js';
import { fileSafe, ms, percent } from './format.js';
import { imageOrUndefined } from './stored-values.js';

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
      {!done && (
        <p class="muted small" data-testid="visual-step">
          {t('visualStep', [formatNumber(v.step), formatNumber(v.iterations)])}
        </p>
      )}
    </section>
  );
}

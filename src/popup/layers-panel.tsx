/**
 * "Compare layers" under a finished reconstruction ("what does each layer keep?"): one queued task
 * inverts the view from conv1, fire2, fire4, fire6 and fire8 in turn (the options' synthesis steps
 * each), shows the layer being rebuilt as it forms with one progress line and Cancel, then the
 * five pictures side by side under their layer names, each with its own download.
 */

import { useRef } from 'preact/hooks';
import { COMPARE_LAYERS } from '../shared/catalog.js';
import { formatNumber, t, uiLanguage } from '../shared/i18n.js';
import { isFinal, type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import type { LayersInfo } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { fileSafe, ms } from './format.js';
import { useRevealOnce } from './reveal.js';
import { imageOrUndefined } from './stored-values.js';
import { TaskStatus } from './task-status.js';
import { useStart } from './use-start.js';

function Pictures({ job, info }: { job: JobRecord; info: LayersInfo }) {
  const { store } = usePopup();
  const ref = useRef<HTMLDivElement>(null);
  useRevealOnce(ref, `layers:${job.id}:${info.ms}`, job.updatedAt);
  const stored = store.value(STORAGE_KEYS.layersPrefix + job.id).value as Record<string, unknown> | undefined;
  const label = fileSafe(job.results.classify?.top[0]?.label ?? 'image');
  // the smallest and largest reduction of the content loss over the layers, for the summary line
  const ratios = info.layers.map((l) => l.start / l.end);
  return (
    <div ref={ref} data-testid="layers-pictures">
      <div class="layers-grid">
        {info.layers.map(({ layer, start, end }) => {
          const image = imageOrUndefined(stored?.[layer]);
          return (
            <figure key={layer} data-testid={`layers-${layer}`}>
              {image && (
                <img
                  src={image}
                  alt={t('invertFrom', layer)}
                  title={`${start.toPrecision(3)} → ${end.toPrecision(3)}`}
                />
              )}
              <figcaption>{layer}</figcaption>
              {image && (
                <a
                  href={image}
                  download={`squeezelens-${label}-from-${layer}.png`}
                  data-testid={`layers-download-${layer}`}
                >
                  {t('layersDownload')}
                </a>
              )}
            </figure>
          );
        })}
      </div>
      <p class="meta" data-testid="layers-result">
        {t('layersLine', [
          formatNumber(info.iterations),
          formatNumber(Math.min(...ratios), 1),
          formatNumber(Math.max(...ratios), 1),
          info.backend,
          ms(info.ms),
        ])}
      </p>
    </div>
  );
}

export function CompareLayers({ job }: { job: JobRecord }) {
  const { store, actions } = usePopup();
  const { run, starting, error, start } = useStart(job, 'layers');
  const info = job.results.layers;
  const running = run?.state === 'running';
  const busy = starting || running || job.runs.invert?.state === 'running' || !isFinal(job.state);
  const preview = running ? imageOrUndefined(store.value(STORAGE_KEYS.previewPrefix + job.id).value) : undefined;
  return (
    <div class="layers" data-testid="layers">
      <h3>{t('layersTitle')}</h3>
      <p class="muted small" data-testid="layers-about">
        {t('layersAbout', new Intl.ListFormat(uiLanguage(), { type: 'conjunction' }).format(COMPARE_LAYERS))}
      </p>
      {running && (
        <>
          <TaskStatus run={run} title={t('layersForming')} onCancel={() => actions.cancel(job.id)} testid="layers" />
          <div class="figure">
            <img
              class="synthesis-preview"
              data-testid="layers-preview"
              alt={t('synthSoFar')}
              hidden={!preview}
              src={preview}
            />
          </div>
        </>
      )}
      {info && !running && <Pictures job={job} info={info} />}
      {isFinal(job.state) && (
        <button
          type="button"
          data-testid="layers-start"
          disabled={busy}
          onClick={() => void start({ type: 'squeezelens/layers', jobId: job.id })}
        >
          {t('layersStart')}
        </button>
      )}
      {error && (
        <p class="bad" data-testid="layers-start-error">
          {error}
        </p>
      )}
      {run?.state === 'error' && (
        <p class="bad" data-testid="layers-error">
          {t('synthFailed', [t('layersWhat'), run.error ?? t('errUnknown')])}
        </p>
      )}
    </div>
  );
}

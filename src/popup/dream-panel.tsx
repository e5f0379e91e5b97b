/**
 * DeepDream of a job's image: start it, follow it (the dream so far is swapped into one <img> in
 * place, so Cancel stays the same element), then the dream, its numbers and a download.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../shared/i18n.js';
import { type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import type { DreamInfo } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { ms } from './format.js';
import { useRevealOnce } from './reveal.js';
import { imageOrUndefined } from './stored-values.js';
import { TaskStatus } from './task-status.js';

function DreamResult({ job, info, src }: { job: JobRecord; info: DreamInfo; src: string }) {
  const ref = useRef<HTMLImageElement>(null);
  useRevealOnce(ref, `dream:${job.id}:${info.ms}`, job.updatedAt);
  const line = t('dreamLine', [
    info.layer,
    info.width,
    info.height,
    info.objectiveGain.toFixed(2),
    info.backend,
    ms(info.ms),
  ]);
  return (
    <>
      <div class="figure">
        <img ref={ref} class="dream-image" data-testid="dream-image" alt={t('dreamAlt')} src={src} />
      </div>
      <p class="meta" data-testid="dream-result">
        {line}
      </p>
      <a class="button" data-testid="dream-download" href={src} download="squeezelens-deepdream.png">
        {t('downloadPng')}
      </a>
    </>
  );
}

export function DreamPanel({ job }: { job: JobRecord }) {
  const { store, actions } = usePopup();
  const run = job.runs.dream;
  const running = run?.state === 'running';
  const info = job.results.dream;
  const dream = info ? imageOrUndefined(store.value(STORAGE_KEYS.dreamPrefix + job.id).value) : undefined;
  const preview =
    running && run.preview ? imageOrUndefined(store.value(STORAGE_KEYS.previewPrefix + job.id).value) : undefined;
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string>();
  // Starting ends when the worker's run (or a result) shows up.
  useEffect(() => setStarting(false), [run?.state, info?.ms]);
  const start = async () => {
    setStarting(true);
    setStartError(undefined);
    const reply = await actions.send({ type: 'squeezelens/dream', jobId: job.id });
    if (!reply?.ok) {
      setStartError(t('couldNotStart', reply?.reason ?? t('errNoAnswer')));
      setStarting(false);
    }
  };
  return (
    <section class="panel panel-dream" data-testid="dream">
      <h2>{t('dreamTitle')}</h2>
      <p class="muted small">{t('dreamAbout')}</p>
      <button type="button" data-testid="dream-start" disabled={starting || running} onClick={() => void start()}>
        {info ? t('dreamAgain') : t('dreamStart')}
      </button>
      {startError && (
        <p class="bad" data-testid="dream-start-error">
          {startError}
        </p>
      )}
      {running && (
        <TaskStatus run={run} title={t('dreamRunning')} onCancel={() => actions.cancel(job.id)} testid="dream" />
      )}
      {running && (
        <div class="figure">
          <img
            class="dream-preview"
            data-testid="dream-preview"
            alt={t('dreamSoFarAlt')}
            hidden={!preview}
            src={preview}
          />
        </div>
      )}
      {run?.state === 'error' && (
        <p class="bad" data-testid="dream-error">
          {t('dreamFailed', run.error ?? t('errUnknown'))}
        </p>
      )}
      {info && dream && <DreamResult job={job} info={info} src={dream} />}
    </section>
  );
}

/**
 * "Can I trust this map?": model randomization (Adebayo et al. 2018) in the worker — the map is
 * recomputed with the classifier, fire9 and fire8 re-drawn at random. The flag says whether the
 * map changed (it depends on what the network learned) or not (do not read it as an explanation).
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { formatNumber, t } from '../shared/i18n.js';
import type { JobRecord } from '../shared/jobs.js';
import type { SaliencyInfo, SanityInfo } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { useRevealOnce } from './reveal.js';
import { TaskStatus } from './task-status.js';

/** The check's result, if it is about the map shown now (a re-run with another method makes it stale). */
const currentSanity = (job: JobRecord, info: SaliencyInfo): SanityInfo | undefined => {
  const sanity = job.results.sanity;
  return sanity && sanity.method === info.method && sanity.mapMs === info.ms ? sanity : undefined;
};

interface ButtonProps {
  job: JobRecord;
  info: SaliencyInfo;
  /** why the check could not start (undefined: clear) */
  onError(message: string | undefined): void;
}

export function SanityButton({ job, info, onError }: ButtonProps) {
  const { actions } = usePopup();
  const [starting, setStarting] = useState(false);
  const run = job.runs.sanity;
  const sanity = currentSanity(job, info);
  // Starting ends when the worker's run (or a result) shows up.
  useEffect(() => setStarting(false), [run?.state, sanity?.ms]);
  const start = async () => {
    setStarting(true);
    onError(undefined);
    const reply = await actions.send({ type: 'squeezelens/sanity', jobId: job.id });
    if (!reply?.ok) {
      onError(t('sanityCannotStart', reply?.reason ?? t('errNoAnswer')));
      setStarting(false);
    }
  };
  return (
    <button
      type="button"
      data-testid="saliency-sanity"
      title={t('sanityButtonTitle')}
      disabled={starting || run?.state === 'running' || job.runs.saliency?.state === 'running'}
      onClick={() => void start()}
    >
      {sanity ? t('sanityAgain') : t('sanityAsk')}
    </button>
  );
}

function SanityFlag({ job, sanity }: { job: JobRecord; sanity: SanityInfo }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useRevealOnce(ref, `sanity:${job.id}:${sanity.ms}`, job.updatedAt);
  const r = formatNumber(sanity.correlation, 2);
  const threshold = formatNumber(sanity.threshold);
  return (
    <p
      ref={ref}
      class={sanity.modelSensitive ? 'sanity ok' : 'sanity warn'}
      data-testid="saliency-sanity-flag"
      data-model-sensitive={String(sanity.modelSensitive)}
    >
      <b>{sanity.modelSensitive ? t('sanityOkHead') : t('sanityWarnHead')}</b>
      {t(sanity.modelSensitive ? 'sanityOk' : 'sanityWarn', [r, threshold])}
    </p>
  );
}

/** The check running (with Cancel), its failure, or its flag. */
export function SanityResult({ job, info }: { job: JobRecord; info: SaliencyInfo }) {
  const { actions } = usePopup();
  const run = job.runs.sanity;
  if (run?.state === 'running') {
    const title = t('sanityRunning');
    return <TaskStatus run={run} title={title} onCancel={() => actions.cancel(job.id)} testid="sanity" />;
  }
  if (run?.state === 'error') {
    return (
      <p class="saliency-error" data-testid="sanity-error">
        {t('sanityFailed', run.error ?? t('errUnknown'))}
      </p>
    );
  }
  const sanity = currentSanity(job, info);
  return sanity ? <SanityFlag job={job} sanity={sanity} /> : null;
}

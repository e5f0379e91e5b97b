/**
 * "Cut out the object": the view the network saw beside the object cut out along its saliency map
 * (transparent elsewhere), how much of the view it covers, a download of the cut-out, and "Show on
 * page", which dims everything but the object over the page's image.
 */
import { useState } from 'preact/hooks';
import { formatPercent, t } from '../shared/i18n.js';
import { type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import type { SegmentData, SegmentInfo } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { fileSafe, ms } from './format.js';

const isSegmentData = (v: unknown): v is SegmentData =>
  typeof v === 'object' &&
  v !== null &&
  ['view', 'cutout', 'overlay'].every((k) => {
    const s = (v as Record<string, unknown>)[k];
    return typeof s === 'string' && s.startsWith('data:image/png;base64,');
  });

export function SegmentPanel({ job, info }: { job: JobRecord; info: SegmentInfo }) {
  const { store, actions } = usePopup();
  const raw = store.value(STORAGE_KEYS.segmentPrefix + job.id).value;
  const data = isSegmentData(raw) ? raw : undefined;
  const [shown, setShown] = useState(false);
  const [message, setMessage] = useState<{ text: string; bad: boolean }>();
  const geometry = job.results.classify?.geometry;
  const toggle = async () => {
    if (!data || !geometry) return;
    const reply = shown
      ? await actions.sendToPage(job, { type: 'squeezelens/remove-overlay', jobId: job.id })
      : await actions.sendToPage(job, { type: 'squeezelens/show-overlay', jobId: job.id, png: data.overlay, geometry });
    if (reply.ok) {
      setShown(!shown);
      setMessage(shown ? undefined : { text: t('segmentShown'), bad: false });
    } else setMessage({ text: reply.reason, bad: true });
  };
  return (
    <section class="panel panel-segment" data-testid="segment">
      <h2>{t('segmentTitle')}</h2>
      <p class="muted small">{t('segmentAbout')}</p>
      {data ? (
        <div class="fool-grid">
          <figure>
            <img src={data.view} alt={t('synthNetworkSaw')} data-testid="segment-view" />
            <figcaption>{t('synthNetworkSaw')}</figcaption>
          </figure>
          <figure>
            <img
              src={data.cutout}
              alt={t('segmentObject', info.label)}
              data-testid="segment-cutout"
              class="checkered"
            />
            <figcaption>{t('segmentObject', info.label)}</figcaption>
          </figure>
        </div>
      ) : (
        <p class="muted">{t('segmentGone')}</p>
      )}
      <p class="meta" data-testid="segment-result">
        {t('segmentLine', [formatPercent(info.foregroundFraction), info.iterations, ms(info.ms)]) +
          (info.converged ? '' : ` ${t('segmentNotConverged')}`)}
      </p>
      {data && (
        <div class="fool-actions">
          <a
            class="button primary"
            data-testid="segment-download"
            href={data.cutout}
            download={`squeezelens-cutout-${fileSafe(info.label)}.png`}
          >
            {t('downloadPng')}
          </a>
          <button
            type="button"
            data-testid="segment-show-on-page"
            disabled={!job.page || !geometry}
            onClick={() => void toggle()}
          >
            {shown ? t('pageRemove') : t('pageShow')}
          </button>
        </div>
      )}
      {message && (
        <p class={message.bad ? 'bad' : 'muted small'} data-testid="segment-page-status">
          {message.text}
        </p>
      )}
    </section>
  );
}

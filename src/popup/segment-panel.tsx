/**
 * "Cut out the object": the view the network saw beside the object cut out along its saliency map
 * (transparent elsewhere), how much of the view it covers, a download of the cut-out, and "Show on
 * page", which dims everything but the object over the page's image.
 */
import { useState } from 'preact/hooks';
import { type JobRecord, type SegmentData, type SegmentInfo, STORAGE_KEYS } from '../shared/jobs.js';
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
      setMessage(
        shown ? undefined : { text: 'The object is highlighted on the page (× on it removes it).', bad: false },
      );
    } else setMessage({ text: reply.reason, bad: true });
  };
  return (
    <section class="panel panel-segment" data-testid="segment">
      <h2>The object, cut out</h2>
      <p class="muted small">
        {'The saliency map’s hottest 5 % seed the object and its coldest 30 % the background; colour models and a ' +
          'graph cut draw the border (Simonyan et al. 2013, GrabCut).'}
      </p>
      {data ? (
        <div class="fool-grid">
          <figure>
            <img src={data.view} alt="What the network saw" data-testid="segment-view" />
            <figcaption>What the network saw</figcaption>
          </figure>
          <figure>
            <img src={data.cutout} alt={`The ${info.label}, cut out`} data-testid="segment-cutout" class="checkered" />
            <figcaption>{`The ${info.label}`}</figcaption>
          </figure>
        </div>
      ) : (
        <p class="muted">The cut-out is not stored any more.</p>
      )}
      <p class="meta" data-testid="segment-result">
        {`${(info.foregroundFraction * 100).toFixed(1)} % of the view · ${info.iterations} GrabCut round(s)` +
          `${info.converged ? '' : ' (not converged)'} · from the vanilla saliency map, ${ms(info.ms)}`}
      </p>
      {data && (
        <div class="fool-actions">
          <a
            class="button primary"
            data-testid="segment-download"
            href={data.cutout}
            download={`squeezelens-cutout-${fileSafe(info.label)}.png`}
          >
            Download PNG
          </a>
          <button
            type="button"
            data-testid="segment-show-on-page"
            disabled={!job.page || !geometry}
            onClick={() => void toggle()}
          >
            {shown ? 'Remove from page' : 'Show on page'}
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

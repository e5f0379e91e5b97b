/**
 * The popup: the latest job (or one picked from "Earlier", or named by `?job=<id>`), followed live
 * from storage.session through the store's signals, then the tools and the earlier jobs. Each
 * panel is a component that decides for itself from the job whether it applies; they keep their
 * elements between renders (progress arrives several times a second), so the control under the
 * pointer (a Cancel button, a slider being dragged) is never replaced.
 */
import { t } from '../shared/i18n.js';
import { type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import { ChannelPanel, ChannelTool } from './channel-panel.js';
import { ClassificationPanel } from './classification-panel.js';
import { usePopup } from './context.js';
import { DreamPanel } from './dream-panel.js';
import { FoolPanel } from './fool-panel.js';
import { History } from './history.js';
import { ImagePanel } from './image-panel.js';
import { usePaintMark } from './paint-mark.js';
import { SaliencyPanel } from './saliency-panel.js';
import { SegmentPanel } from './segment-panel.js';
import { ErrorPanel, RetryNotice, StatusPanel } from './status-panel.js';
import { imageOrUndefined } from './stored-values.js';
import { StyleImageTool, StyleKeptPanel } from './style-image.js';
import { InvertPanel, StylizePanel, TexturePanel } from './synthesis-panel.js';
import { VisualPanel } from './visual-panel.js';
import { VisualizeTool } from './visualize-tool.js';

function Empty() {
  return (
    <p class="empty" data-testid="empty">
      {t('emptyHint')}
      <b>{t('emptyMenu')}</b>
    </p>
  );
}

/** The panels of one job, in display order. */
function JobPanels({ job }: { job: JobRecord }) {
  const { store } = usePopup();
  const done = job.state === 'done';
  const thumbnail = done ? imageOrUndefined(store.value(STORAGE_KEYS.thumbPrefix + job.id).value) : undefined;
  const { classify, saliency, visualize, channel, segment } = job.results;
  usePaintMark(job.id, classify !== undefined, 'resultAt');
  // Feature images show while they form (the job's last stage) and once done.
  const synthesis = done || job.state === 'synthesizing';
  return (
    <>
      <StatusPanel job={job} />
      <RetryNotice job={job} />
      <ErrorPanel job={job} />
      {job.kind === 'visualize' && visualize && <VisualPanel job={job} info={visualize} />}
      <ImagePanel job={job} thumbnail={thumbnail} />
      {job.kind === 'saliency' && done && saliency && <SaliencyPanel job={job} info={saliency} />}
      {job.kind === 'fool' && done && classify && <FoolPanel job={job} result={classify} />}
      {job.kind === 'invert' && synthesis && <InvertPanel job={job} />}
      {job.kind === 'stylize' && synthesis && <StylizePanel job={job} />}
      {job.kind === 'style' && done && <StyleKeptPanel job={job} />}
      {job.kind === 'texture' && synthesis && <TexturePanel job={job} />}
      {job.kind === 'channel' && channel && <ChannelPanel job={job} info={channel} />}
      {job.kind === 'segment' && done && segment && <SegmentPanel job={job} info={segment} />}
      {classify && <ClassificationPanel result={classify} />}
      {job.kind !== 'visualize' && done && thumbnail && <DreamPanel job={job} />}
    </>
  );
}

export function App() {
  const { store, ui } = usePopup();
  const jobs = store.jobs.value;
  const pinned = ui.pinned.value;
  const job = (pinned ? jobs.find((j) => j.id === pinned) : undefined) ?? jobs[jobs.length - 1];
  const labels = store.labels.value;
  return (
    <>
      <main id="view" aria-live="polite" data-job-id={job?.id} data-state={job?.state}>
        {/* Keyed by job: another job's panels start afresh (their per-job state lives in ui-state). */}
        {job ? <JobPanels key={job.id} job={job} /> : store.ready.value && <Empty />}
      </main>
      <section id="tools" aria-label={t('toolsLabel')} hidden={!labels}>
        <StyleImageTool />
        {labels && <VisualizeTool labels={labels} />}
        <ChannelTool />
      </section>
      <History currentId={job?.id} />
    </>
  );
}

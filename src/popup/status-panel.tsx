/** The job's own state: what it is, its stage, progress, and Cancel while it runs. */
import { t } from '../shared/i18n.js';
import { isFinal, type JobRecord, KIND_TEXT, STATE_TEXT } from '../shared/jobs.js';
import { usePopup } from './context.js';
import { ms } from './format.js';
import { CancelButton, Meter, ProgressLine } from './task-status.js';

/** The progress line, or once done how long it took. */
function progressOf(job: JobRecord): string {
  if (job.progress) return job.progress;
  if (job.state !== 'done') return '';
  const { classify, visualize } = job.results;
  if (classify) return t('statusTook', ms(classify.totalMs));
  return visualize?.ms ? ms(visualize.ms) : '';
}

export function StatusPanel({ job }: { job: JobRecord }) {
  const { actions } = usePopup();
  const active = !isFinal(job.state);
  return (
    <div class="status" data-testid="status">
      {active && <div class="spinner" />}
      <div class="text">
        <div class="kind">{KIND_TEXT[job.kind]}</div>
        <div class="state" data-testid="state">
          {STATE_TEXT[job.state]}
        </div>
        <ProgressLine progress={progressOf(job)} testid="progress" />
        {active && <Meter fraction={job.fraction} />}
      </div>
      {active && <CancelButton onCancel={() => actions.cancel(job.id)} testid="cancel" />}
    </div>
  );
}

/** Says that a new worker ran the job again because the one running it was stopped (queue.ts retryJob). */
export function RetryNotice({ job }: { job: JobRecord }) {
  if (!job.retried) return null;
  const stage = STATE_TEXT[job.retried.from].replace(/…$/, '').toLowerCase();
  return (
    <div class="notice" data-testid="notice">
      {t('noticeRetried', stage)}
    </div>
  );
}

/** Why the job failed, was cancelled or was interrupted (page-derived text: only ever as text). */
export function ErrorPanel({ job }: { job: JobRecord }) {
  if (!job.error || job.state === 'done') return null;
  return (
    <div class="error" data-testid="error" data-code={job.error.code}>
      {job.error.message}
    </div>
  );
}

/**
 * The line that follows work in progress: spinner, what runs, progress text, a meter and Cancel.
 * Used for a job's own stages (StatusPanel) and for work on a finished job (a saliency re-run, an
 * attack, a sanity check, a dream). Progress arrives several times a second; it only changes
 * text and a width here, so the Cancel button stays the same element under the user's pointer
 * (callers must not key this on progress).
 */

import type { ComponentChildren } from 'preact';
import { t } from '../shared/i18n.js';

export interface Progress {
  progress?: string;
  fraction?: number;
}

export function ProgressLine({ progress, testid }: { progress?: string; testid: string }) {
  return (
    <div class="progress-line" data-testid={testid} hidden={!progress}>
      {progress ?? ''}
    </div>
  );
}

export function Meter({ fraction }: { fraction?: number }) {
  return (
    <div class="meter" hidden={fraction === undefined}>
      <div style={{ width: `${((fraction ?? 0) * 100).toFixed(1)}%` }} />
    </div>
  );
}

export function CancelButton({ onCancel, testid }: { onCancel: () => void; testid: string }) {
  return (
    <button type="button" data-testid={testid} onClick={onCancel}>
      {t('cancel')}
    </button>
  );
}

interface TaskStatusProps {
  run: Progress;
  title: ComponentChildren;
  onCancel: () => void;
  /** data-testid prefix: <testid>-running, <testid>-progress, <testid>-cancel */
  testid: string;
  class?: string;
}

export function TaskStatus({ run, title, onCancel, testid, class: extra }: TaskStatusProps) {
  return (
    <div class={extra ? `status task-run ${extra}` : 'status task-run'} data-testid={`${testid}-running`}>
      <div class="spinner" />
      <div class="text">
        <div class="state">{title}</div>
        <ProgressLine progress={run.progress} testid={`${testid}-progress`} />
        <Meter fraction={run.fraction} />
      </div>
      <CancelButton onCancel={onCancel} testid={`${testid}-cancel`} />
    </div>
  );
}

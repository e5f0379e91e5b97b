/**
 * DeepDream of a job's image: start it, follow it (the dream so far is swapped into one <img> in
 * place, so Cancel stays the same element), then the dream, its numbers and a download.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type DreamInfo, type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import { usePopup } from './context.js';
import { ms } from './format.js';
import { useRevealOnce } from './reveal.js';
import { imageOrUndefined } from './stored-values.js';
import { TaskStatus } from './task-status.js';

function DreamResult({ job, info, src }: { job: JobRecord; info: DreamInfo; src: string }) {
  const ref = useRef<HTMLImageElement>(null);
  useRevealOnce(ref, `dream:${job.id}:${info.ms}`, job.updatedAt);
  const line =
    `${info.layer} · ${info.width}×${info.height} · objective ×${info.objectiveGain.toFixed(2)} · ` +
    `${info.backend}, ${ms(info.ms)}`;
  return (
    <>
      <div class="figure">
        <img
          ref={ref}
          class="dream-image"
          data-testid="dream-image"
          alt="The dream: what fire5 sees, amplified"
          src={src}
        />
      </div>
      <p class="meta" data-testid="dream-result">
        {line}
      </p>
      <a class="button" data-testid="dream-download" href={src} download="squeezelens-deepdream.png">
        Download PNG
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
      setStartError(`Could not start: ${reply?.reason ?? 'the extension did not answer'}`);
      setStarting(false);
    }
  };
  return (
    <section class="panel panel-dream" data-testid="dream">
      <h2>DeepDream</h2>
      <p class="muted small">Amplifies whatever the fire5 layer already sees in the image (Mordvintsev et al. 2015).</p>
      <button type="button" data-testid="dream-start" disabled={starting || running} onClick={() => void start()}>
        {info ? 'Dream again' : 'DeepDream this image'}
      </button>
      {startError && (
        <p class="bad" data-testid="dream-start-error">
          {startError}
        </p>
      )}
      {running && <TaskStatus run={run} title="Dreaming…" onCancel={() => actions.cancel(job.id)} testid="dream" />}
      {running && (
        <div class="figure">
          <img
            class="dream-preview"
            data-testid="dream-preview"
            alt="The dream so far"
            hidden={!preview}
            src={preview}
          />
        </div>
      )}
      {run?.state === 'error' && (
        <p class="bad" data-testid="dream-error">
          {`The dream could not be made: ${run.error ?? 'unknown error'}`}
        </p>
      )}
      {info && dream && <DreamResult job={job} info={info} src={dream} />}
    </section>
  );
}

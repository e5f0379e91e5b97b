/** Starting work on a finished job from a panel (a re-run, "Compare layers"). */
import { useEffect, useState } from 'preact/hooks';
import { t } from '../shared/i18n.js';
import type { JobRecord } from '../shared/jobs.js';
import type { WorkerRequest } from '../shared/messages.js';
import { usePopup } from './context.js';

/** Starting a re-run: pending until the worker's run (or its refusal) shows up. */
export function useStart(job: JobRecord, kind: 'invert' | 'stylize' | 'layers') {
  const { actions } = usePopup();
  const run = job.runs[kind];
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => setStarting(false), [run?.state, job.results[kind]?.ms]);
  const start = async (request: WorkerRequest) => {
    setStarting(true);
    setError(undefined);
    const reply = await actions.send(request);
    if (!reply?.ok) {
      setError(t('couldNotStart', reply?.reason ?? t('errNoAnswer')));
      setStarting(false);
    }
  };
  return { run, starting, error, start };
}

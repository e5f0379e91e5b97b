/**
 * Where a click's time goes (issue 11): each menu job's stages, in ms since the click, kept in
 * memory while it runs and written into the job record (`timings`) with its result, so `npm run
 * bench` and the log can say which stage the user waits for. Clock: the epoch in sub-millisecond
 * precision (performance.timeOrigin + now), the same clock the popup uses for its paint mark.
 */
import type { ClickStage, ClickTimings } from '../shared/jobs.js';

export const epochNow = (): number => performance.timeOrigin + performance.now();

const jobs = new Map<string, ClickTimings>();

/** The click that made job `id` happened at `origin` (epoch ms). */
export function beginTimings(id: string, origin: number): void {
  jobs.set(id, { clickAt: Number(origin.toFixed(1)), stages: {} });
}

/** Stage `stage` of job `id` ended now (a job without a start, e.g. a re-run, is not timed). */
export function mark(id: string, stage: ClickStage): void {
  const job = jobs.get(id);
  if (job) job.stages[stage] = Number((epochNow() - job.clickAt).toFixed(1));
}

/** The stages so far (a copy), for the record. */
export function timingsOf(id: string): ClickTimings | undefined {
  const job = jobs.get(id);
  return job ? { clickAt: job.clickAt, stages: { ...job.stages } } : undefined;
}

export function endTimings(id: string): void {
  jobs.delete(id);
}

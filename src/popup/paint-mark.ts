/**
 * When the popup put a job's answer on screen, for `npm run bench` (issue 11: the click is measured
 * up to what the user sees): `#view` gets `data-result-at` (epoch ms, the worker's clock base) and
 * `data-result-at-job` once a job's classification is in the DOM, and `data-map-at` /
 * `data-map-at-job` once its saliency map is painted. Marked in a layout effect: the frame that shows it is the next one.
 */
import { useLayoutEffect } from 'preact/hooks';

const epochNow = () => performance.timeOrigin + performance.now();

export function usePaintMark(jobId: string, shown: boolean, attribute: 'resultAt' | 'mapAt'): void {
  useLayoutEffect(() => {
    const view = document.getElementById('view');
    if (!shown || !view || view.dataset[`${attribute}Job`] === jobId) return;
    view.dataset[`${attribute}Job`] = jobId;
    view.dataset[attribute] = epochNow().toFixed(1);
  }, [jobId, shown]);
}

/**
 * segment — "Cut out the object": the vanilla saliency map of the top-1 class on the 224×224 view
 * the network saw seeds a GrabCut segmentation (Simonyan et al. 2013; methods/explain/segment.ts).
 * Stored: the view, the cut-out (transparent outside the object) and a page overlay that dims the
 * background, drawn over the image's crop square by "Show on page". The cut runs synchronously
 * (0.3–1.7 s of CPU measured on the test photos): the job can be cancelled before and after it.
 */
import { INPUT } from '../../engine/preprocess.js';
import { pixelImage } from '../../methods/common.js';
import { explain } from '../../methods/explain/index.js';
import { segmentFromSaliency } from '../../methods/explain/segment.js';
import { cutout } from '../../render/cutout.js';
import { SEGMENT_SALIENCY_METHOD } from '../../shared/catalog.js';
import { t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import type { SegmentData } from '../../shared/task-results.js';
import { rgbaPng, rgbPng } from '../images-sw.js';
import type { TaskSpec } from './types.js';

/** How dark the page overlay makes the background (alpha of black over it). */
const DIM = 0.6;

export const segment: TaskSpec<'segment'> = {
  state: 'explaining',
  title: () => 'cut-out',
  async run(ctx, { pixels }) {
    const engine = await ctx.engine();
    const t0 = performance.now();
    ctx.progress(t('segmentProgressMap'));
    const map = await explain(engine.model, pixelImage(pixels), SEGMENT_SALIENCY_METHOD, {}, { signal: ctx.signal });
    ctx.signal.throwIfAborted();
    ctx.progress(t('segmentProgressCut'));
    const view = { width: INPUT, height: INPUT, data: pixels };
    const s = segmentFromSaliency(view, map);
    ctx.signal.throwIfAborted();
    const overlay = new Uint8ClampedArray(INPUT * INPUT * 4);
    for (let p = 0; p < INPUT * INPUT; p++) overlay[p * 4 + 3] = s.mask[p] ? 0 : Math.round(DIM * 255);
    const cut = cutout(view, s.mask);
    const data: SegmentData = {
      view: await rgbPng(pixels, INPUT),
      cutout: await rgbaPng(Uint8ClampedArray.from(cut.data), cut.width, cut.height),
      overlay: await rgbaPng(overlay, INPUT, INPUT),
    };
    const label = engine.labels[map.classIndex];
    const ms = performance.now() - t0;
    return {
      result: {
        method: SEGMENT_SALIENCY_METHOD,
        classIndex: map.classIndex,
        label,
        foregroundFraction: s.foregroundFraction,
        iterations: s.iterations,
        converged: s.converged,
        ms,
      },
      extra: { [STORAGE_KEYS.segmentPrefix + ctx.jobId]: data },
      log: `cut-out of ${label}: ${(s.foregroundFraction * 100).toFixed(1)} % of the view, ${ms.toFixed(0)} ms`,
    };
  },
};

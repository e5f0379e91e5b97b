/**
 * sanity — "Can I trust this map?": the model-randomization check (Adebayo et al. 2018) of a
 * saliency job's current map. The map is recomputed with the classifier, fire9 and fire8 re-drawn
 * at random (cascading, top down); a map that keeps Spearman(|map|) ≥ 0.7 with the original does
 * not depend on what the network learned (the threshold is reasoned in model-randomization.ts).
 */

import { pixelImage } from '../../methods/common.js';
import { explain } from '../../methods/explain/index.js';
import { CASCADE, type MapFn, modelRandomization } from '../../methods/trust/model-randomization.js';
import { SALIENCY_METHODS, SANITY_DEFAULTS } from '../../shared/catalog.js';
import { t } from '../../shared/i18n.js';
import { storedView } from './saliency.js';
import { stepText, type TaskSpec } from './types.js';

export const sanity: TaskSpec<'sanity'> = {
  state: 'explaining',
  title: () => 'model randomization',
  refuse: (job) =>
    job.kind !== 'saliency' || job.state !== 'done' || !job.results.saliency ? t('refuseNotSaliency') : null,
  async run(ctx) {
    const info = ctx.job.results.saliency!;
    const rgb = await storedView(ctx);
    const engine = await ctx.engine();
    const t0 = performance.now();
    const { samples, steps, after, patch, stride } = SANITY_DEFAULTS;
    const options = { samples, steps, patch, stride };
    const mapFn: MapFn = async (model, image, cls, c) =>
      (await explain(model, image, info.method, { classIndex: cls, ...options }, c)).data;
    const blocks = CASCADE.findIndex((c) => c.block === after) + 1;
    const r = await modelRandomization(
      engine.model,
      engine.weights,
      pixelImage(rgb),
      mapFn,
      { classIndex: info.classIndex, blocks, verdictAfter: after },
      {
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(stepText(p), p.total ? p.step / p.total : undefined),
      },
    );
    return {
      result: {
        method: info.method,
        mapMs: info.ms, // which map it checked (a re-run changes ms)
        modelSensitive: r.verdict.modelSensitive,
        correlation: r.verdict.correlation,
        threshold: r.verdict.threshold,
        after: r.verdict.after,
        message: r.verdict.message,
        steps: r.steps.map((s) => ({ block: s.block, spearman: s.spearmanAbs })),
        ms: performance.now() - t0,
      },
      log: `sanity check of ${SALIENCY_METHODS[info.method].title}: ${r.verdict.message}`,
    };
  },
  land: (job, result) => {
    // Only if the map it checked is still the one shown.
    const map = job.results.saliency;
    if (map?.method === result.method && map.ms === result.mapMs) job.results.sanity = result;
  },
};

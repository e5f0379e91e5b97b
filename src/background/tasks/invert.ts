/**
 * invert — "Reconstruct from features…": feature inversion (Mahendran & Vedaldi 2015, CS231n
 * settings in methods/synthesize/invert.ts) of the job's picture (whole, smallest side 192 or the options page's size), from seeded noise, at fire2
 * first; the popup's layer picker re-runs it at another layer (what does each layer keep?).
 */

import { invertFeatures } from '../../methods/synthesize/invert.js';
import { t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import { jobView, synthesisControl, synthesisOutcome } from './synthesis.js';
import type { TaskSpec } from './types.js';

export const invert: TaskSpec<'invert'> = {
  state: 'synthesizing',
  title: ({ layer }) => `reconstruction from ${layer}`,
  refuse: (job) => (job.kind !== 'invert' || job.state !== 'done' ? t('refuseNotInvert') : null),
  async run(ctx, { layer, pixels, whole }) {
    const { image, extra } = await jobView(ctx, pixels, whole);
    const engine = await ctx.engine();
    const result = await invertFeatures(engine.model, image, {
      layer,
      ...synthesisControl(ctx),
    });
    ctx.signal.throwIfAborted();
    const { numbers, png } = await synthesisOutcome(result, engine);
    return {
      result: { ...numbers, layer },
      extra: { ...extra, [STORAGE_KEYS.invertPrefix + ctx.jobId]: png },
      log:
        `reconstruction from ${layer}: content loss ${numbers.start.content.toPrecision(3)} → ` +
        `${numbers.end.content.toPrecision(3)} ` +
        `in ${(numbers.ms / 1000).toFixed(1)} s [${numbers.backend}]`,
    };
  },
};

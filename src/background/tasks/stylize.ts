/**
 * stylize — "Stylize with the style image": style transfer (Gatys et al. 2016, CS231n's presets in
 * methods/synthesize/stylize.ts) of the job's picture (whole, smallest side 192 or the options page's size) in the style of the picture kept by
 * "Use as style image" (storage.local). Without one the job fails with a sentence saying how to
 * choose it; the popup re-runs it with another preset or strength (or a newly kept style image).
 */

import { stylize as stylizeImage } from '../../methods/synthesize/stylize.js';
import { STYLIZE_PRESETS } from '../../shared/catalog.js';
import { t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import { jobView, keptStyle, synthesisControl, synthesisOutcome } from './synthesis.js';
import type { TaskSpec } from './types.js';

export const stylize: TaskSpec<'stylize'> = {
  state: 'synthesizing',
  title: ({ preset }) => `style transfer (${STYLIZE_PRESETS[preset].title})`,
  refuse: (job) => (job.kind !== 'stylize' || job.state !== 'done' ? t('refuseNotStylize') : null),
  async run(ctx, { preset, strength, pixels, whole }) {
    const { style, pixels: stylePixels } = await keptStyle();
    const { image, extra } = await jobView(ctx, pixels, whole);
    const engine = await ctx.engine();
    const result = await stylizeImage(engine.model, image, stylePixels, {
      preset,
      strength,
      ...synthesisControl(ctx),
    });
    ctx.signal.throwIfAborted();
    const { numbers, png } = await synthesisOutcome(result, engine);
    return {
      result: { ...numbers, preset, strength, style: { label: style.label, savedAt: style.savedAt } },
      extra: { ...extra, [STORAGE_KEYS.stylizePrefix + ctx.jobId]: png },
      log:
        `style transfer (${preset}, ×${strength}) in the style of ${style.label}: style loss ` +
        `${numbers.start.style.toPrecision(3)} → ${numbers.end.style.toPrecision(3)} in ${(numbers.ms / 1000).toFixed(1)} s`,
    };
  },
};

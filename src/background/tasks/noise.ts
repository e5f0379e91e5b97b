/**
 * noise — a fooling image from noise (Nguyen et al. 2015, gradient ascent; methods/attack/
 * from-noise.ts) for a finished class visualization's class: unrecognizable to people, the class at
 * ≥ 99 % to SqueezeNet, checked on the saved 8-bit bytes. Shown beside the regularized
 * visualization, which looks like something: the difference is the lesson.
 */
import { describeBackend } from '../../engine/backend.js';
import { INPUT } from '../../engine/preprocess.js';
import { foolFromNoise } from '../../methods/attack/from-noise.js';
import { formatNumber, formatPercent, t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import { rgbPng } from '../images-sw.js';
import type { TaskSpec } from './types.js';

export const noise: TaskSpec<'noise'> = {
  state: 'synthesizing',
  title: () => 'fooling image from noise',
  refuse: (job) =>
    job.kind !== 'visualize' || job.state !== 'done' || !job.results.visualize ? t('refuseNotVisualize') : null,
  async run(ctx) {
    const { classIndex, label } = ctx.job.results.visualize!;
    const engine = await ctx.engine();
    const backend = describeBackend(engine.backend);
    const r = await foolFromNoise(engine.model, classIndex, {
      seed: Date.now() % 100_000,
      backend,
      previewEvery: 5,
      signal: ctx.signal,
      onProgress: (p) => {
        ctx.progress(
          t('noiseProgress', [formatNumber(p.step), label, formatPercent(p.prob)]),
          p.total ? p.step / p.total : undefined,
        );
        if (p.preview) void rgbPng(Uint8ClampedArray.from(p.preview.data, Math.round), INPUT).then(ctx.preview);
      },
    });
    ctx.signal.throwIfAborted();
    return {
      result: {
        classIndex,
        label,
        success: r.success,
        probability: r.targetProb,
        iterations: r.iterations,
        ms: r.ms,
        backend,
      },
      extra: { [STORAGE_KEYS.noisePrefix + ctx.jobId]: await rgbPng(r.pixels, INPUT) },
      log: `fooling image from noise for ${label}: p = ${r.targetProb.toFixed(3)} after ${r.iterations} steps`,
    };
  },
};

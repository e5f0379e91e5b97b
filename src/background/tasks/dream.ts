/**
 * dream — DeepDream (Mordvintsev et al. 2015) of a job's image: the stored copy (long side ≤ 400 px)
 * is the right size for a popup; the dream shows as it forms (a preview at most once a second).
 */

import { describeBackend } from '../../engine/backend.js';
import { deepDream } from '../../methods/visualize/deepdream.js';
import { DREAM_DEFAULTS } from '../../shared/catalog.js';
import { formatNumber, t, uiLanguage } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import { pngPixels, rgbPng } from '../images-sw.js';
import { GONE, type TaskSpec } from './types.js';

export const dream: TaskSpec<'dream'> = {
  state: 'visualizing',
  title: () => 'DeepDream',
  refuse: (job) =>
    job.kind === 'visualize' ? t('refuseDreamVisual') : job.state !== 'done' ? t('refuseNotRead') : null,
  async run(ctx) {
    const thumb = await ctx.stored<string>(STORAGE_KEYS.thumbPrefix + ctx.jobId);
    if (!thumb) throw new Error(GONE);
    const { width, height, rgb } = await pngPixels(thumb);
    const engine = await ctx.engine();
    const t0 = performance.now();
    const r = await deepDream(
      engine.model,
      { width, height, data: rgb },
      {
        layer: DREAM_DEFAULTS.layer,
        maxSide: DREAM_DEFAULTS.maxSide,
        seed: 0,
        previewEvery: 5,
        signal: ctx.signal,
        onProgress: (p) => {
          ctx.progress(
            p.message && uiLanguage().startsWith('en')
              ? t('progressWithDetail', [t('progressStep', [p.step, p.total]), p.message])
              : t('progressStep', [formatNumber(p.step), formatNumber(p.total)]),
            p.total ? p.step / p.total : undefined,
          );
          const image = p.preview;
          if (image) void rgbPng(Uint8ClampedArray.from(image.data), image.width, image.height).then(ctx.preview);
        },
      },
    );
    const png = await rgbPng(Uint8ClampedArray.from(r.image.data, Math.round), r.image.width, r.image.height);
    const ms = performance.now() - t0;
    const gain = r.objectiveAfter / Math.max(r.objectiveBefore, 1e-12);
    return {
      result: {
        layer: r.layer,
        width: r.image.width,
        height: r.image.height,
        objectiveGain: gain,
        ms,
        backend: describeBackend(engine.backend),
      },
      extra: { [STORAGE_KEYS.dreamPrefix + ctx.jobId]: png },
      log:
        `DeepDream (${r.layer}) ${r.image.width}×${r.image.height}: ` +
        `objective ×${gain.toFixed(2)} in ${(ms / 1000).toFixed(1)} s`,
    };
  },
};

/**
 * layers — "Compare layers" on a finished inversion job ("what does each layer keep?"): the job's
 * stored view (the whole picture, any aspect ratio) inverted from each of COMPARE_LAYERS in turn (methods/synthesize/invert.ts
 * `invertLayers`, from the same noise, the options' synthesis steps each), as one queued task:
 * one progress line naming the layer ("fire4: step 12 of 30"), one Cancel, the live preview of
 * the layer being inverted, then the five pictures under `layers:<id>` (layer → PNG).
 */

import { describeBackend } from '../../engine/backend.js';
import { invertLayers } from '../../methods/synthesize/invert.js';
import { COMPARE_LAYERS } from '../../shared/catalog.js';
import { formatNumber, t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import { rgbPng } from '../images-sw.js';
import { jobView, PREVIEW_EVERY } from './synthesis.js';
import type { TaskSpec } from './types.js';

export const layers: TaskSpec<'layers'> = {
  state: 'synthesizing',
  title: () => `reconstruction from ${COMPARE_LAYERS.join(', ')}`,
  refuse: (job) => (job.kind !== 'invert' || job.state !== 'done' ? t('refuseNotInvert') : null),
  async run(ctx) {
    const { image } = await jobView(ctx, undefined);
    const engine = await ctx.engine();
    const iterations = ctx.settings.synthesisIterations;
    const results = await invertLayers(engine.model, image, {
      layers: COMPARE_LAYERS,
      iterations,
      previewEvery: PREVIEW_EVERY,
      signal: ctx.signal,
      onProgress: (p) => {
        const line = t('layersProgress', [p.layer, formatNumber(p.layerStep), formatNumber(p.layerTotal)]);
        ctx.progress(line, p.step / p.total);
        if (p.preview)
          void rgbPng(Uint8ClampedArray.from(p.preview.data, Math.round), p.preview.width, p.preview.height).then(
            ctx.preview,
          );
      },
    });
    ctx.signal.throwIfAborted();
    const pngs: Record<string, string> = {};
    for (const r of results) pngs[r.layer] = await rgbPng(r.image.data, r.image.width, r.image.height);
    const ms = results.reduce((sum, r) => sum + r.ms, 0);
    const found = results.map((r) => ({ layer: r.layer, start: r.lossStart.content, end: r.lossEnd.content }));
    return {
      result: {
        iterations,
        ms,
        msPerIteration: ms / (iterations * results.length),
        backend: describeBackend(engine.backend),
        layers: found,
      },
      extra: { [STORAGE_KEYS.layersPrefix + ctx.jobId]: pngs },
      log:
        `reconstruction from each layer (${iterations} steps each): ` +
        found.map((l) => `${l.layer} ${l.start.toPrecision(3)} → ${l.end.toPrecision(3)}`).join(', ') +
        ` in ${(ms / 1000).toFixed(1)} s`,
    };
  },
};

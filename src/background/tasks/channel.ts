/**
 * channel — what one channel (or its centre neuron) of a layer responds to: activation
 * maximization with Lucid's parameterization and transforms (methods/visualize/channel.ts). A job
 * of its own, started from the popup's tools; the picture shows as it forms.
 */
import { describeBackend } from '../../engine/backend.js';
import { visualizeChannel } from '../../methods/visualize/channel.js';
import { formatNumber, t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import { rgbPng } from '../images-sw.js';
import type { TaskSpec } from './types.js';

export const channel: TaskSpec<'channel'> = {
  state: 'synthesizing',
  title: ({ layer, channel }) => `${layer} channel ${channel}`,
  async run(ctx, { layer, channel: index, neuron, steps }) {
    const engine = await ctx.engine();
    const info = { layer, channel: index, neuron, steps, step: 0 };
    const result = await visualizeChannel(engine.model, {
      layer,
      channel: index,
      neuron,
      steps,
      seed: Date.now() % 100_000,
      previewEvery: 8,
      signal: ctx.signal,
      onProgress: (p) => {
        ctx.progress(
          t('progressStep', [formatNumber(p.step), formatNumber(p.total)]),
          p.step / p.total,
          (j) => (j.results.channel = { ...info, step: p.step }),
        );
        if (p.preview)
          void rgbPng(Uint8ClampedArray.from(p.preview.data, Math.round), p.preview.width, p.preview.height).then(
            ctx.preview,
          );
      },
    });
    ctx.signal.throwIfAborted();
    const backend = describeBackend(engine.backend);
    return {
      result: {
        ...info,
        step: steps,
        objectiveStart: result.objectiveStart,
        objectiveEnd: result.objectiveEnd,
        ms: result.ms,
        backend,
      },
      extra: {
        [STORAGE_KEYS.channelPrefix + ctx.jobId]: await rgbPng(result.pixels, result.image.width, result.image.height),
      },
      log:
        `${layer} ${neuron ? 'centre neuron' : 'channel'} ${index}: objective ${result.objectiveStart.toFixed(2)} → ` +
        `${result.objectiveEnd.toFixed(2)} in ${(result.ms / 1000).toFixed(1)} s [${backend}]`,
    };
  },
};

/**
 * visualize — "What does SqueezeNet think a … looks like?": class visualization from seeded noise
 * (Simonyan et al. 2013, CS231n settings in methods/visualize/class-visualization.ts). A job of its
 * own with no image; the picture shows as it forms under `visual:<id>`, which then holds the result.
 */

import { describeBackend } from '../../engine/backend.js';
import { INPUT } from '../../engine/preprocess.js';
import { visualizeClass } from '../../methods/visualize/class-visualization.js';
import { quantizePixels } from '../../methods/visualize/image-ops.js';
import { t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import { rgbPng } from '../images-sw.js';
import type { TaskSpec } from './types.js';

export const visualize: TaskSpec<'visualize'> = {
  state: 'visualizing',
  title: () => 'class visualization',
  previewPrefix: STORAGE_KEYS.visualPrefix,
  // A preview every 10 steps (~65 ms each): show each as soon as 250 ms have passed.
  previewEveryMs: 250,
  async run(ctx, { classIndex, iterations }) {
    const t0 = Date.now();
    const engine = await ctx.engine();
    const label = engine.labels[classIndex];
    const visual = { classIndex, label, iterations, step: 0 };
    ctx.progress(t('progressLabelStarting', label), 0, (j) => (j.results.visualize = visual));
    const result = await visualizeClass(engine.model, classIndex, {
      iterations,
      seed: Date.now() % 100_000,
      previewEvery: 10,
      signal: ctx.signal,
      onProgress: (p) => {
        const detail = p.message ? ` · ${p.message.replace(/^class \d+: /, '')}` : '';
        ctx.progress(
          `step ${p.step} of ${p.total}${detail}`,
          p.step / p.total,
          (j) => (j.results.visualize = { ...visual, step: p.step }),
        );
        if (p.preview) void rgbPng(p.preview.data, INPUT).then(ctx.preview);
      },
    });
    ctx.signal.throwIfAborted();
    const backend = describeBackend(engine.backend);
    return {
      result: { ...visual, step: iterations, probability: result.probability8bit, ms: Date.now() - t0, backend },
      // The same rounding as probability8bit was measured on.
      extra: { [STORAGE_KEYS.visualPrefix + ctx.jobId]: await rgbPng(quantizePixels(result.image).data, INPUT) },
      log:
        `class visualization of ${label}: p = ${result.probability8bit.toFixed(3)} ` +
        `after ${iterations} steps [${backend}]`,
    };
  },
};

/**
 * fool — a fooling image from a fooling job's 224×224 view: the user's target is resolved against
 * the image's own probabilities (least likely / random), the attack runs with the popup's budget
 * (catalog defaults, as the CLI), and the result is the verified 8-bit PNG: decoded back and
 * classified again as a fresh image, so what users download and put on the page is what was checked.
 */

import { describeBackend } from '../../engine/backend.js';
import { normalize } from '../../engine/preprocess.js';
import { type AttackRequest, attackSummary, runAttack } from '../../methods/attack/index.js';
import { resolveTarget } from '../../methods/attack/targets.js';
import { pixelImage } from '../../methods/common.js';
import { ATTACKS, budgetOptions, FOOL_MARGIN } from '../../shared/catalog.js';
import { formatNumber, formatPercent, t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import type { FoolData } from '../../shared/task-results.js';
import { classifyTensor } from '../engine-sw.js';
import { pngPixels, rgbPng } from '../images-sw.js';
import { GONE, type TaskSpec } from './types.js';

/** The probabilities of 224×224 RGB pixels, as a fresh image from these bytes would get. */
async function probabilities(pixels: Uint8ClampedArray): Promise<Float32Array> {
  const byIndex = new Float32Array(1000);
  for (const t of (await classifyTensor(normalize(pixels), 1, { topk: 1000 })).top[0]) byIndex[t.index] = t.prob;
  return byIndex;
}

export const fool: TaskSpec<'fool'> = {
  state: 'explaining',
  title: ({ method }) => ATTACKS[method].short,
  refuse: (job) => (job.kind !== 'fool' ? t('refuseNotFool') : job.state !== 'done' ? t('refuseNotClassified') : null),
  async run(ctx, request) {
    const key = STORAGE_KEYS.foolPrefix + ctx.jobId;
    const data = await ctx.stored<FoolData>(key);
    if (!data) throw new Error(GONE);
    const { rgb } = await pngPixels(data.view);
    const engine = await ctx.engine();
    const target = resolveTarget(request.target, engine.labels, await probabilities(rgb));
    const label = engine.labels[target.index];
    const attack = {
      method: request.method,
      target: target.index,
      ...budgetOptions(request.method, request.budget),
      backend: engine.backend.backend,
      margin: FOOL_MARGIN,
      minProb: request.confidence,
      signal: ctx.signal,
      onProgress: (p: { step: number; total: number; prob: number }) =>
        ctx.progress(
          t('progressWithDetail', [
            t(request.method === 'cs231n' ? 'progressStepAtMost' : 'progressStep', [
              formatNumber(p.step),
              formatNumber(p.total),
            ]),
            `${label} ${formatPercent(p.prob)}`,
          ]),
          p.total ? p.step / p.total : undefined,
        ),
    } as AttackRequest;
    const result = await runAttack(engine.model, pixelImage(rgb), attack);
    const summary = attackSummary(result, engine.labels);
    const fooled = await rgbPng(result.pixels, data.size);
    const back = await pngPixels(fooled);
    for (let i = 0; i < back.rgb.length; i++)
      if (back.rgb[i] !== result.pixels[i]) throw new Error('the fooled image changed when saved as PNG');
    const again = (await classifyTensor(normalize(back.rgb), 1, { topk: 1 })).top[0][0];
    const m = result.metrics;
    const success = m.success && again.index === target.index && again.prob >= request.confidence;
    return {
      result: {
        method: request.method,
        budget: request.budget,
        confidence: request.confidence,
        target: { index: target.index, label, how: request.target.kind },
        source: summary.source,
        success,
        iterations: m.iterations,
        linf: m.linf,
        l2: m.l2,
        changedPixels: m.changedPixels,
        targetProbBefore: m.targetProbBefore ?? 0,
        targetProbAfter: m.targetProbAfter ?? 0,
        reclassified: again,
        backend: describeBackend(engine.backend),
        ms: m.ms,
      },
      extra: { [key]: { ...data, fooled } satisfies FoolData },
      log:
        `fooling image (${request.method}, budget ${request.budget}) → ` +
        `${label}: ${success ? 'fooled' : 'NOT fooled'}, ` +
        `${m.iterations} steps, L∞ ${m.linf}/255, re-classified as ${again.label} ${(again.prob * 100).toFixed(1)} %`,
    };
  },
};

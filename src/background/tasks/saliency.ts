/**
 * saliency — the map of a saliency job (vanilla gradient, right after classification) and its
 * re-runs with another method from the popup's picker, on the same 224×224 pixels. The map is
 * normalized to [0,1], clipped at the 99th percentile (a few extreme gradients would wash out the
 * rest), and stored as 8 bits under `saliency:<id>`; the view it explains is `saliencyView:<id>`.
 */

import { INPUT } from '../../engine/preprocess.js';
import { pixelImage } from '../../methods/common.js';
import { explain } from '../../methods/explain/index.js';
import { normalizeMap } from '../../render/overlay.js';
import { bytesToBase64, rgbFromBase64 } from '../../shared/base64.js';
import { SALIENCY_METHODS } from '../../shared/catalog.js';
import { t as msg } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import type { SaliencyData, SaliencyView } from '../../shared/task-results.js';
import { GONE, stepText, type TaskContext, type TaskSpec } from './types.js';

/** The view a saliency job's map explains (written with its classification), checked. */
export async function storedView(ctx: TaskContext): Promise<Uint8ClampedArray> {
  const view = await ctx.stored<SaliencyView>(STORAGE_KEYS.saliencyViewPrefix + ctx.jobId);
  if (typeof view !== 'string') throw new Error(GONE);
  return rgbFromBase64(view, INPUT);
}

export const saliency: TaskSpec<'saliency'> = {
  state: 'explaining',
  title: ({ method }) => method,
  refuse: (job) =>
    job.kind !== 'saliency' || job.state !== 'done' || !job.results.saliency ? msg('refuseNotSaliency') : null,
  async run(ctx, { method, pixels, heads }) {
    const key = STORAGE_KEYS.saliencyPrefix + ctx.jobId;
    if (!pixels) {
      heads = undefined; // they were of the pixels given, if any
      pixels = await storedView(ctx);
    }
    const engine = await ctx.engine();
    const top = ctx.job.results.classify?.top[0];
    const title = SALIENCY_METHODS[method].title.toLowerCase();
    ctx.progress(top ? msg('progressMethodOf', [top.label, title]) : title);
    const t0 = performance.now();
    const map = await explain(
      engine.model,
      pixelImage(pixels),
      method,
      // The classification's forward outputs on these pixels (the view just classified): the
      // target comes from them, so the map costs one forward + backward, not two forwards.
      { heads },
      {
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(stepText(p), p.total ? p.step / p.total : undefined),
      },
    );
    const ms = performance.now() - t0;
    ctx.signal.throwIfAborted();
    // Signed maps (gradient × input, IG): the popup shows the evidence for the class, the positive part.
    const signed = map.data.some((v) => v < 0);
    const values = signed ? map.data.map((v) => Math.max(v, 0)) : map.data;
    const t = normalizeMap({ width: map.width, height: map.height, data: values }, { normalize: 'percentile' });
    const bytes = new Uint8Array(t.length);
    for (let i = 0; i < t.length; i++) bytes[i] = Math.round(Math.min(Math.max(t[i], 0), 1) * 255);
    // (the view it explains was written with the classification: this write stays small)
    const data: SaliencyData = { size: map.width, map: bytesToBase64(bytes) };
    const label = engine.labels[map.classIndex];
    return {
      result: {
        method,
        methodTitle: SALIENCY_METHODS[method].title,
        positivePart: signed || undefined,
        classIndex: map.classIndex,
        label,
        probability: map.probability,
        ms,
      },
      extra: { [key]: data },
      log: `saliency ${method} of ${label}: ${ms.toFixed(0)} ms`,
    };
  },
  land: (job, result) => {
    job.results.saliency = result;
    delete job.results.sanity; // it checked the previous map
  },
};

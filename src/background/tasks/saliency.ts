/**
 * saliency — the map of a saliency job (vanilla gradient, right after classification) and its
 * re-runs with another method from the popup's picker, on the same 224×224 pixels. The map is
 * normalized to [0,1], clipped at the 99th percentile (a few extreme gradients would wash out the
 * rest), and stored as 8 bits under `saliency:<id>` with the view it explains (raw RGB).
 */

import { pixelImage } from '../../methods/common.js';
import { explain } from '../../methods/explain/index.js';
import { normalizeMap } from '../../render/overlay.js';
import { base64ToBytes, bytesToBase64 } from '../../shared/base64.js';
import { SALIENCY_METHODS } from '../../shared/catalog.js';
import { t as msg } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import type { SaliencyData } from '../../shared/task-results.js';
import { GONE, stepText, type TaskSpec } from './types.js';

const pixelsBase64 = (rgb: Uint8ClampedArray): string =>
  bytesToBase64(new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength));

/** The stored view's RGB pixels (size²·3 bytes), checked. */
export function storedPixels(data: SaliencyData): Uint8ClampedArray {
  const bytes = base64ToBytes(data.pixels);
  if (bytes.length !== data.size * data.size * 3)
    throw new Error(`saliency view: expected ${data.size * data.size * 3} bytes, got ${bytes.length}`);
  return new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
      const data = await ctx.stored<SaliencyData>(key);
      if (!data) throw new Error(GONE);
      pixels = storedPixels(data);
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
    const data: SaliencyData = { size: map.width, map: bytesToBase64(bytes), pixels: pixelsBase64(pixels) };
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

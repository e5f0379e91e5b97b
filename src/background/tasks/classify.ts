/**
 * classify — every menu job starts here: the captured image is downloaded (or taken from the
 * page's pixels), decoded (SVG through the offscreen document), preprocessed exactly as the
 * reference (Pillow-exact resize, centre crop) and classified. A fooling job also keeps the exact
 * 224×224 view the attack will start from; a saliency job hands it, and the forward pass's outputs,
 * to the map that follows.
 */

import { describeBackend } from '../../engine/backend.js';
import { INPUT, preprocess, preprocessWhole } from '../../engine/preprocess.js';
import { rgbToBase64 } from '../../shared/base64.js';
import { SYNTHESIS_SIZES } from '../../shared/catalog.js';
import { formatNumber, t } from '../../shared/i18n.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import type { CaptureSource } from '../../shared/messages.js';
import type { Settings } from '../../shared/settings.js';
import type { FoolData } from '../../shared/task-results.js';
import { type DecodedImage, decodeImageBlob, fetchImageBlob, isSvg, MAX_DECODE_PIXELS, sizesOf } from '../decode-sw.js';
import { classifyTensor, engineLoadStarted } from '../engine-sw.js';
import { blobDataUrl, rgbPng, thumbnail } from '../images-sw.js';
import { rasterizeSvg } from '../offscreen-client.js';
import { mark } from '../timings.js';
import type { TaskContext, TaskSpec, WholeView } from './types.js';

/**
 * The synthesis jobs' picture size (smallest side): the options page's (CS231n's 192 unless changed),
 * within what each method takes (catalog SYNTHESIS_SIZES); other jobs need none.
 */
function wholeSize(kind: string, settings: Settings): number | undefined {
  if (kind !== 'invert' && kind !== 'stylize' && kind !== 'style') return undefined;
  const { min, max } = SYNTHESIS_SIZES[kind];
  return Math.min(max, Math.max(min, settings.synthesisSize));
}

async function toImage(ctx: TaskContext, source: CaptureSource, settings: Settings): Promise<DecodedImage> {
  let blob: Blob;
  if (source.kind === 'pixels') {
    blob = await (await fetch(source.dataUrl)).blob();
  } else {
    blob = await fetchImageBlob(source.url, {
      signal: ctx.signal,
      timeoutMs: settings.fetchTimeoutSec * 1000,
      onBytes: (received, total) => {
        const mb = (n: number) => formatNumber(n / 1e6, 1);
        ctx.progress(
          total ? t('progressMbOf', [mb(received), mb(total)]) : t('progressMb', mb(received)),
          total ? received / total : undefined,
        );
      },
    });
  }
  ctx.signal.throwIfAborted();
  mark(ctx.jobId, 'fetched');
  await ctx.stage('decoding', `${(blob.size / 1e6).toFixed(2)} MB`);
  if (source.kind === 'url' && (source.svg || (await isSvg(blob)))) {
    blob = await rasterizeSvg({
      dataUrl: await blobDataUrl(blob, 'image/svg+xml'),
      fallbackWidth: source.displayWidth,
      fallbackHeight: source.displayHeight,
      maxPixels: MAX_DECODE_PIXELS,
    });
    ctx.signal.throwIfAborted();
  }
  return decodeImageBlob(blob);
}

export const classify: TaskSpec<'classify'> = {
  state: 'fetching',
  title: () => 'classification',
  async run(ctx, { source }) {
    const { signal, settings, job } = ctx;
    const image = await toImage(ctx, source, settings);
    signal.throwIfAborted();
    mark(ctx.jobId, 'decoded');

    const loading = !engineLoadStarted();
    const engine = await ctx.engine();
    signal.throwIfAborted();
    mark(ctx.jobId, 'engine');

    await ctx.stage('classifying');
    const { input, geometry, pixels } = preprocess(image, settings.preprocess);
    mark(ctx.jobId, 'preprocessed');
    // A saliency job's map starts from this forward pass's outputs (its class and head), not another.
    const heads = job.kind === 'saliency';
    const r = await classifyTensor(input, 1, { topk: 5, engine: engine.options, heads });
    mark(ctx.jobId, 'forward');
    const extra: Record<string, unknown> = {};
    // The attack waits for the user's target; keep the exact pixels it will start from.
    // A saliency job's view goes out with the classification, so the map's own write stays small.
    if (job.kind === 'saliency') extra[STORAGE_KEYS.saliencyViewPrefix + ctx.jobId] = rgbToBase64(pixels);
    if (job.kind === 'fool')
      extra[STORAGE_KEYS.foolPrefix + ctx.jobId] = {
        size: INPUT,
        view: await rgbPng(pixels, INPUT),
      } satisfies FoolData;
    // Inversion, style transfer and the style image use the whole picture at its aspect ratio (CS231n).
    const size = wholeSize(job.kind, settings);
    let whole: WholeView | undefined;
    if (size !== undefined) {
      const w = preprocessWhole(image, size);
      whole = { width: w.width, height: w.height, pixels: w.pixels };
    }
    signal.throwIfAborted();
    const top = r.top[0];
    const backendText = describeBackend(r.backend);
    return {
      result: {
        top,
        geometry,
        image: sizesOf(image),
        backend: r.backend,
        backendText,
        inferenceMs: r.ms,
        totalMs: Date.now() - job.createdAt,
        engineLoadMs: loading ? engine.load.totalMs : undefined,
      },
      extra,
      pixels,
      whole,
      heads: r.heads,
      later: async () => ({ [STORAGE_KEYS.thumbPrefix + ctx.jobId]: await thumbnail(image) }),
      log: `${top[0].label} ${(top[0].prob * 100).toFixed(1)}% [${backendText}, ${r.ms.toFixed(0)} ms]`,
    };
  },
};

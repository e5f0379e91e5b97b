/**
 * What feature inversion and style transfer share in the worker: the job's view — the whole picture
 * at its aspect ratio with its smallest side at 192 (catalog SYNTHESIS_SIZES, as the CLI; the options page may choose 256 or 384), handed
 * over right after classification, or read back from `view:<id>` (any size) for a re-run — the
 * optimizer's progress and preview, and the loss numbers kept in the record.
 */

import { describeBackend } from '../../engine/backend.js';
import { INPUT } from '../../engine/preprocess.js';
import { type PixelImage, type Progress, pixelImage } from '../../methods/common.js';
import type { LossPoint, SynthesisResult } from '../../methods/synthesize/optimize.js';
import { formatNumber, t } from '../../shared/i18n.js';
import { STORAGE_KEYS, STYLE_IMAGE_KEY } from '../../shared/jobs.js';
import { type LossParts, parseStyleImage, type StyleImage, type SynthesisNumbers } from '../../shared/task-results.js';
import { ImageFetchError } from '../decode-sw.js';
import type { SwEngine } from '../engine-sw.js';
import { pngPixels, rgbPng } from '../images-sw.js';
import { GONE, type TaskContext, type WholeView } from './types.js';

/** The view to start from, and the storage entry to write when it is new (the first run). */
export async function jobView(
  ctx: TaskContext,
  pixels: Uint8ClampedArray | undefined,
  whole?: WholeView,
): Promise<{ image: PixelImage; extra: Record<string, string> }> {
  const key = STORAGE_KEYS.viewPrefix + ctx.jobId;
  if (whole)
    return {
      image: pictureOf(whole.pixels, whole.width, whole.height),
      extra: { [key]: await rgbPng(whole.pixels, whole.width, whole.height) },
    };
  if (pixels) return { image: pixelImage(pixels), extra: { [key]: await rgbPng(pixels, INPUT) } };
  const view = await ctx.stored<string>(key);
  if (!view) throw new Error(GONE);
  const { rgb, width, height } = await pngPixels(view);
  return { image: pictureOf(rgb, width, height), extra: {} };
}

/** 8-bit RGB of any size as the methods' PixelImage. */
function pictureOf(rgb: ArrayLike<number>, width: number, height: number): PixelImage {
  return { width, height, data: Float32Array.from(rgb) };
}

/** The style image kept by "Use as style image", or a specific error saying how to choose one. */
export async function keptStyle(): Promise<{ style: StyleImage; pixels: PixelImage }> {
  const style = parseStyleImage((await chrome.storage.local.get(STYLE_IMAGE_KEY))[STYLE_IMAGE_KEY]);
  if (!style) throw new ImageFetchError(t('errNoStyle'), 'no-style');
  const { rgb, width, height } = await pngPixels(style.png);
  return { style, pixels: pictureOf(rgb, width, height) };
}

/** The optimizer's progress as the job's progress line, its preview images as the live preview. */
function synthesisProgress(ctx: TaskContext): (p: Progress) => void {
  return (p) => {
    ctx.progress(
      t('progressStep', [formatNumber(p.step), formatNumber(p.total)]),
      p.total ? p.step / p.total : undefined,
    );
    if (p.preview)
      void rgbPng(Uint8ClampedArray.from(p.preview.data, Math.round), p.preview.width, p.preview.height).then(
        ctx.preview,
      );
  };
}

/** How often the optimizer sends a preview: about every 2 s at ~0.5 s a step (style transfer). */
export const PREVIEW_EVERY = 5;

/** What every synthesis run takes from its task: the steps the options ask for, preview, cancel, progress. */
export function synthesisControl(ctx: TaskContext) {
  return {
    iterations: ctx.settings.synthesisIterations,
    previewEvery: PREVIEW_EVERY,
    signal: ctx.signal,
    onProgress: synthesisProgress(ctx),
  };
}

const lossParts = ({ total, content, style, tv }: LossPoint): LossParts => ({ total, content, style, tv });

export async function synthesisOutcome(
  result: SynthesisResult,
  engine: SwEngine,
): Promise<{ numbers: SynthesisNumbers; png: string }> {
  return {
    numbers: {
      iterations: result.iterations,
      start: lossParts(result.lossStart),
      end: lossParts(result.lossEnd),
      ms: result.ms,
      msPerIteration: result.msPerIteration,
      backend: describeBackend(engine.backend),
    },
    png: await rgbPng(result.image.data, result.image.width, result.image.height),
  };
}

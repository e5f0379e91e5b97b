/**
 * style — "Use as style image": the right-clicked picture, whole at its aspect ratio with its
 * smallest side at 192 or the options page's size (catalog SYNTHESIS_SIZES.style; the 224×224 view without it), is
 * kept in storage.local (it outlives the session and the job list, until the popup clears it or
 * another picture replaces it), for style transfer ("Stylize with the style image") and texture.
 */
import { INPUT } from '../../engine/preprocess.js';
import { STORAGE_KEYS, STYLE_IMAGE_KEY } from '../../shared/jobs.js';
import type { StyleImage } from '../../shared/task-results.js';
import { rgbPng } from '../images-sw.js';
import type { TaskSpec } from './types.js';

export const style: TaskSpec<'style'> = {
  state: 'synthesizing',
  title: () => 'style image',
  async run(ctx, { pixels, whole }) {
    const top = ctx.job.results.classify?.top[0];
    const kept: StyleImage = {
      png: whole ? await rgbPng(whole.pixels, whole.width, whole.height) : await rgbPng(pixels, INPUT),
      label: top?.label ?? 'picture',
      url: ctx.job.source?.url,
      pageUrl: ctx.job.source?.pageUrl,
      savedAt: Date.now(),
    };
    await chrome.storage.local.set({ [STYLE_IMAGE_KEY]: kept });
    return {
      result: { label: kept.label, savedAt: kept.savedAt },
      // The job shows the picture it kept, as the thumbnail it already has.
      extra: { [STORAGE_KEYS.viewPrefix + ctx.jobId]: kept.png },
      log: `kept as the style image: ${kept.label}`,
    };
  },
};

/**
 * stylize — "Stylize with the style image": style transfer (Gatys et al. 2016, CS231n's presets in
 * methods/synthesize/stylize.ts) of the job's 224×224 view in the style of the picture kept by
 * "Use as style image" (storage.local). Without one the job fails with a sentence saying how to
 * choose it; the popup re-runs it with another preset or strength (or a newly kept style image).
 */
import { stylize as stylizeImage } from '../../methods/synthesize/stylize.js';
import { STYLIZE_PRESETS } from '../../shared/catalog.js';
import { parseStyleImage, STORAGE_KEYS, STYLE_IMAGE_KEY } from '../../shared/jobs.js';
import { ImageFetchError } from '../decode-sw.js';
import { pngPixels } from '../images-sw.js';
import { jobView, PREVIEW_EVERY, synthesisOutcome, synthesisProgress, toPixelImage } from './synthesis.js';
import type { TaskSpec } from './types.js';

export const NO_STYLE_IMAGE =
  'There is no style image yet: right-click a picture whose style you like and choose ' +
  '“SqueezeLens → Use as style image” first.';

export const stylize: TaskSpec<'stylize'> = {
  state: 'synthesizing',
  title: ({ preset }) => `style transfer (${STYLIZE_PRESETS[preset].title})`,
  refuse: (job) => (job.kind !== 'stylize' || job.state !== 'done' ? 'not a finished style-transfer job' : null),
  async run(ctx, { preset, strength, pixels }) {
    const style = parseStyleImage((await chrome.storage.local.get(STYLE_IMAGE_KEY))[STYLE_IMAGE_KEY]);
    if (!style) throw new ImageFetchError(NO_STYLE_IMAGE, 'no-style');
    const { image, extra } = await jobView(ctx, pixels);
    const stylePixels = toPixelImage((await pngPixels(style.png)).rgb);
    const engine = await ctx.engine();
    const result = await stylizeImage(engine.model, image, stylePixels, {
      preset,
      strength,
      iterations: ctx.settings.synthesisIterations,
      previewEvery: PREVIEW_EVERY,
      signal: ctx.signal,
      onProgress: synthesisProgress(ctx),
    });
    ctx.signal.throwIfAborted();
    const { numbers, png } = await synthesisOutcome(result, engine);
    return {
      result: { ...numbers, preset, strength, style: { label: style.label, savedAt: style.savedAt } },
      extra: { ...extra, [STORAGE_KEYS.stylizePrefix + ctx.jobId]: png },
      log:
        `style transfer (${preset}, ×${strength}) in the style of ${style.label}: style loss ` +
        `${numbers.start.style.toPrecision(3)} → ${numbers.end.style.toPrecision(3)} in ${(numbers.ms / 1000).toFixed(1)} s`,
    };
  },
};

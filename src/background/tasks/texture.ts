/**
 * texture — texture synthesis from the style image (Gatys, Ecker & Bethge 2015; CS231n's Gram
 * layers and weights in methods/synthesize/texture.ts): from seeded noise, an image with the style
 * image's Gram matrices at conv1, fire3, fire4 and fire5 — its textures without its layout. A job of
 * its own, started from the popup's style-image tool; the style image is stored with it
 * (`view:<id>`) so the result shows beside what it came from even after the style image changes.
 */
import { synthesizeTexture } from '../../methods/synthesize/texture.js';
import { STORAGE_KEYS } from '../../shared/jobs.js';
import { keptStyle, synthesisControl, synthesisOutcome } from './synthesis.js';
import type { TaskSpec } from './types.js';

export const texture: TaskSpec<'texture'> = {
  state: 'synthesizing',
  title: () => 'texture synthesis',
  async run(ctx) {
    const { style, pixels } = await keptStyle();
    const engine = await ctx.engine();
    const result = await synthesizeTexture(engine.model, pixels, {
      seed: Date.now() % 100_000,
      ...synthesisControl(ctx),
    });
    ctx.signal.throwIfAborted();
    const { numbers, png } = await synthesisOutcome(result, engine);
    return {
      result: { ...numbers, style: { label: style.label, savedAt: style.savedAt } },
      extra: { [STORAGE_KEYS.viewPrefix + ctx.jobId]: style.png, [STORAGE_KEYS.texturePrefix + ctx.jobId]: png },
      log:
        `texture of ${style.label}: style loss ${numbers.start.style.toPrecision(3)} → ` +
        `${numbers.end.style.toPrecision(3)} in ${(numbers.ms / 1000).toFixed(1)} s`,
    };
  },
};

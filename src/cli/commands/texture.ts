/** squeezelens texture <style image> [--iterations 200] [--size 192] [--out tex.png] [--json] */
import { parseArgs } from 'node:util';
import { synthesizeTexture } from '../../methods/synthesize/texture.js';
import { STYLE_LAYERS, SYNTHESIS_OPTIMIZER, SYNTHESIS_SIZES, TEXTURE_DEFAULTS } from '../../shared/catalog.js';
import { ENGINE_HELP, engineFrom, fail, loadImageWhole, numberOption, progressPrinter, sizeOption } from '../shared.js';
import { iterationsOption, reportSynthesis, SYNTHESIS_HELP, SYNTHESIS_OPTIONS } from './invert.js';

export const TEXTURE_HELP = `Usage: squeezelens texture <style image> [options]

Texture synthesis (Gatys et al. 2015, CS231n): from noise, an image with the picture's Gram
matrices at ${STYLE_LAYERS.join(', ')} (weights ${TEXTURE_DEFAULTS.styleWeights.join(', ')}):
its textures, not its layout.
${SYNTHESIS_HELP}

Options:
  --iterations N         Adam steps (default ${SYNTHESIS_OPTIMIZER.iterations})
  --seed N               noise seed (default 0)
  --size N               the style picture's smallest side in pixels (default ${SYNTHESIS_SIZES.texture.default},
                         ${SYNTHESIS_SIZES.texture.min}–${SYNTHESIS_SIZES.texture.max}); the texture has the picture's size
  --out FILE             the texture (PNG)
${ENGINE_HELP}`;

export async function textureCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...SYNTHESIS_OPTIONS, seed: { type: 'string' } },
  });
  if (values.help) {
    process.stdout.write(`${TEXTURE_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail('texture takes exactly one style image file');
  const iterations = iterationsOption(values.iterations);
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  const size = sizeOption('size', values.size, SYNTHESIS_SIZES.texture);
  const engine = await engineFrom(values);
  try {
    const style = await loadImageWhole(positionals[0], size);
    const result = await synthesizeTexture(engine.model, style.pixels, {
      iterations,
      seed,
      onProgress: progressPrinter(values.json, 'texture'),
    });
    return await reportSynthesis(`${positionals[0]} (texture)`, result, engine, values.out, values.json, {
      style: positionals[0],
      smallestSide: size,
    });
  } finally {
    engine.model.dispose();
  }
}

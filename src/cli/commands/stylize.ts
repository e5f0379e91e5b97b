/**
 * squeezelens stylize <content image> --style <style image> [--preset P] [--strength 1] [--size 192]
 *   [--style-size 192] [--out out.png] [--json]
 */
import { parseArgs } from 'node:util';
import { stylize } from '../../methods/synthesize/stylize.js';
import {
  STYLE_LAYERS,
  STYLE_PRESETS,
  STYLIZE_DEFAULTS,
  STYLIZE_PRESETS,
  type StylePreset,
  SYNTHESIS_OPTIMIZER,
  SYNTHESIS_SIZES,
} from '../../shared/catalog.js';
import { ENGINE_HELP, engineFrom, fail, loadImageWhole, numberOption, progressPrinter, sizeOption } from '../shared.js';
import { iterationsOption, reportSynthesis, SYNTHESIS_HELP, SYNTHESIS_OPTIONS } from './invert.js';

const PRESET_LINES = STYLE_PRESETS.map((name) => {
  const p = STYLIZE_PRESETS[name];
  const weights = `content ${p.contentWeight}, style ${p.styleWeights.join('/')}, TV ${p.tvWeight}`;
  return `${' '.repeat(25)}${name}: ${weights}`;
}).join('\n');

export const STYLIZE_HELP = `Usage: squeezelens stylize <content image> --style <style image> [options]

Style transfer (Gatys et al. 2016, CS231n): starting from the content picture, keep its fire2
activations while taking on the style picture's Gram matrices at ${STYLE_LAYERS.join(', ')}.
${SYNTHESIS_HELP}

Options:
  --style FILE           the style picture
  --preset NAME          weights (default ${STYLIZE_DEFAULTS.preset}):
${PRESET_LINES}
  --strength X           multiplies the style weights (default ${STYLIZE_DEFAULTS.strength})
  --iterations N         Adam steps (default ${SYNTHESIS_OPTIMIZER.iterations})
  --size N               the content picture's smallest side in pixels (default ${SYNTHESIS_SIZES.stylize.default},
                         ${SYNTHESIS_SIZES.stylize.min}–${SYNTHESIS_SIZES.stylize.max}); the result has the content picture's size
  --style-size N         the style picture's smallest side (default ${SYNTHESIS_SIZES.style.default}, ${SYNTHESIS_SIZES.style.min}–${SYNTHESIS_SIZES.style.max})
  --out FILE             the result (PNG)
${ENGINE_HELP}`;

export async function stylizeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SYNTHESIS_OPTIONS,
      style: { type: 'string' },
      preset: { type: 'string', default: STYLIZE_DEFAULTS.preset },
      strength: { type: 'string' },
      'style-size': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${STYLIZE_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail('stylize takes exactly one content image file');
  if (values.style === undefined) fail('stylize needs --style FILE');
  if (!(STYLE_PRESETS as readonly string[]).includes(values.preset))
    fail(`--preset must be one of ${STYLE_PRESETS.join(', ')}, got '${values.preset}'`);
  const preset = values.preset as StylePreset;
  const strength = numberOption('strength', values.strength, STYLIZE_DEFAULTS.strength, STYLIZE_DEFAULTS.strengthRange);
  const iterations = iterationsOption(values.iterations);
  const size = sizeOption('size', values.size, SYNTHESIS_SIZES.stylize);
  const styleSize = sizeOption('style-size', values['style-size'], SYNTHESIS_SIZES.style);
  const engine = await engineFrom(values);
  try {
    const content = await loadImageWhole(positionals[0], size);
    const style = await loadImageWhole(values.style, styleSize);
    const result = await stylize(engine.model, content.pixels, style.pixels, {
      preset,
      strength,
      iterations,
      onProgress: progressPrinter(values.json, `style transfer (${preset})`),
    });
    return await reportSynthesis(`${positionals[0]} (${preset})`, result, engine, values.out, values.json, {
      file: positionals[0],
      style: values.style,
      preset,
      strength,
      weights: result.weights,
      smallestSide: size,
      styleSmallestSide: styleSize,
      styleSize: { width: style.pixels.width, height: style.pixels.height },
    });
  } finally {
    engine.model.dispose();
  }
}

/** squeezelens invert <image> --layer fire2 [--iterations 200] [--out inv.png] [--json] */
import { parseArgs } from 'node:util';
import type { NodeEngine } from '../../engine/node.js';
import { invertFeatures } from '../../methods/synthesize/invert.js';
import type { SynthesisResult } from '../../methods/synthesize/optimize.js';
import { INVERT_DEFAULTS, INVERT_LAYERS, type InvertLayer, SYNTHESIS_OPTIMIZER } from '../../shared/catalog.js';
import {
  ENGINE_HELP,
  ENGINE_OPTIONS,
  engineFrom,
  fail,
  loadImage,
  numberOption,
  progressPrinter,
  round,
  writePng,
} from '../shared.js';

/** What every synthesis command says about its size, schedule and output. */
export const SYNTHESIS_HELP = `Pictures are stretched to 224×224 (the network's only input size), as is the result.
Adam on the normalized image, learning rate 3.0, then 0.1 for the last 10 % of the iterations;
the image is clamped to [−1.5, 1.5] (normalized units) except during the last 5 % (CS231n).`;

/** Options every synthesis command takes. */
export const SYNTHESIS_OPTIONS = {
  ...ENGINE_OPTIONS,
  iterations: { type: 'string' },
  out: { type: 'string' },
} as const;

export function iterationsOption(text: string | undefined): number {
  return numberOption('iterations', text, SYNTHESIS_OPTIMIZER.iterations, { min: 1, max: 5000, integer: true });
}

/** Write the PNG, print the summary (JSON or a line), return the exit status. */
export async function reportSynthesis(
  what: string,
  result: SynthesisResult,
  engine: NodeEngine,
  out: string | undefined,
  json: boolean,
  extra: Record<string, unknown>,
): Promise<number> {
  if (out) await writePng(out, { width: result.image.width, height: result.image.height, data: result.image.data });
  const losses = (p: SynthesisResult['lossStart']) => ({
    total: round(p.total, 4),
    content: round(p.content, 4),
    style: round(p.style, 4),
    tv: round(p.tv, 4),
  });
  const summary = {
    ...extra,
    iterations: result.iterations,
    ms: round(result.ms, 1),
    msPerIteration: round(result.msPerIteration, 1),
    backend: engine.backend.backend,
    losses: { start: losses(result.lossStart), end: losses(result.lossEnd) },
    size: { width: result.image.width, height: result.image.height },
    outputs: out ? { image: out } : {},
  };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `${what}: loss ${result.lossStart.total.toPrecision(4)} → ${result.lossEnd.total.toPrecision(4)} in ` +
        `${result.iterations} iterations (${result.msPerIteration.toFixed(0)} ms each on ${engine.backend.backend})\n`,
    );
    if (out) process.stdout.write(`  image: ${out}\n`);
  }
  return 0;
}

export const INVERT_HELP = `Usage: squeezelens invert <image> [options]

Feature inversion (Mahendran & Vedaldi 2015, CS231n): from noise, an image whose activations at
one layer match the picture's (content loss 6e-2, total variation 2e-2): what that layer keeps.
${SYNTHESIS_HELP}

Options:
  --layer NAME           ${INVERT_LAYERS.join(', ')} (default ${INVERT_DEFAULTS.layer})
  --iterations N         Adam steps (default ${SYNTHESIS_OPTIMIZER.iterations})
  --seed N               noise seed (default 0)
  --out FILE             the inversion (PNG, 224×224)
${ENGINE_HELP}`;

export async function invertCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SYNTHESIS_OPTIONS,
      layer: { type: 'string', default: INVERT_DEFAULTS.layer },
      seed: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${INVERT_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail('invert takes exactly one image file');
  if (!(INVERT_LAYERS as readonly string[]).includes(values.layer))
    fail(`--layer must be one of ${INVERT_LAYERS.join(', ')}, got '${values.layer}'`);
  const layer = values.layer as InvertLayer;
  const iterations = iterationsOption(values.iterations);
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  const engine = await engineFrom(values);
  try {
    const image = await loadImage(positionals[0], 'fit');
    const result = await invertFeatures(engine.model, image.pixels, {
      layer,
      iterations,
      seed,
      onProgress: progressPrinter(values.json, `inverting ${layer}`),
    });
    return await reportSynthesis(`${positionals[0]} (${layer})`, result, engine, values.out, values.json, {
      file: positionals[0],
      layer,
    });
  } finally {
    engine.model.dispose();
  }
}

/**
 * squeezelens invert <image> --layer fire2 [--iterations 200] [--size 192] [--out inv.png] [--json]
 * squeezelens invert <image> --layers conv1,fire2,fire4,fire6,fire8 --out strip.png [--json]
 */
import { parseArgs } from 'node:util';
import type { NodeEngine } from '../../engine/node.js';
import { invertFeatures, invertLayers } from '../../methods/synthesize/invert.js';
import type { SynthesisResult } from '../../methods/synthesize/optimize.js';
import { contactSheet } from '../../render/sheet.js';
import {
  COMPARE_LAYERS,
  INVERT_DEFAULTS,
  INVERT_LAYERS,
  type InvertLayer,
  SYNTHESIS_OPTIMIZER,
  SYNTHESIS_SIZES,
} from '../../shared/catalog.js';
import {
  ENGINE_HELP,
  ENGINE_OPTIONS,
  engineFrom,
  fail,
  type LoadedImage,
  loadImageWhole,
  numberOption,
  progressPrinter,
  round,
  sizeOption,
  writePng,
} from '../shared.js';

/** What every synthesis command says about its size, schedule and output. */
export const SYNTHESIS_HELP = `Pictures are used whole, at their aspect ratio, with their smallest side at --size pixels
(torchvision's Resize, as CS231n: a 500×332 photo at 192 is 289×192); the result has that size.
Adam on the normalized image, learning rate 3.0, then 0.1 for the last 10 % of the iterations;
the image is clamped to [−1.5, 1.5] (normalized units) except during the last 5 % (CS231n).`;

/** Options every synthesis command takes. */
export const SYNTHESIS_OPTIONS = {
  ...ENGINE_OPTIONS,
  iterations: { type: 'string' },
  size: { type: 'string' },
  out: { type: 'string' },
} as const;

export function iterationsOption(text: string | undefined): number {
  return numberOption('iterations', text, SYNTHESIS_OPTIMIZER.iterations, { min: 1, max: 5000, integer: true });
}

const losses = (p: SynthesisResult['lossStart']) => ({
  total: round(p.total, 4),
  content: round(p.content, 4),
  style: round(p.style, 4),
  tv: round(p.tv, 4),
});

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
  --layers A,B,…         "what does each layer keep?": invert from each of these layers (from the
                         same noise) and write one strip, the picture first (e.g. --layers
                         ${COMPARE_LAYERS.join(',')}); the JSON lists each layer's losses
  --iterations N         Adam steps (default ${SYNTHESIS_OPTIMIZER.iterations})
  --seed N               noise seed (default 0)
  --size N               the picture's smallest side in pixels (default ${SYNTHESIS_SIZES.invert.default}, ${SYNTHESIS_SIZES.invert.min}–${SYNTHESIS_SIZES.invert.max})
  --out FILE             the inversion (PNG, the picture's size at --size; with --layers the strip,
                         4 px white gaps)
${ENGINE_HELP}`;

export async function invertCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SYNTHESIS_OPTIONS,
      layer: { type: 'string' },
      layers: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${INVERT_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail('invert takes exactly one image file');
  if (values.layer !== undefined && values.layers !== undefined) fail('give either --layer or --layers, not both');
  const layers = values.layers === undefined ? undefined : layersOption(values.layers);
  const layer = (values.layer ?? INVERT_DEFAULTS.layer) as InvertLayer;
  if (!(INVERT_LAYERS as readonly string[]).includes(layer))
    fail(`--layer must be one of ${INVERT_LAYERS.join(', ')}, got '${layer}'`);
  const iterations = iterationsOption(values.iterations);
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  const size = sizeOption('size', values.size, SYNTHESIS_SIZES.invert);
  const engine = await engineFrom(values);
  try {
    const image = await loadImageWhole(positionals[0], size);
    if (layers)
      return await compareLayers(engine, image, layers, { json: values.json, out: values.out, iterations, seed, size });
    const result = await invertFeatures(engine.model, image.pixels, {
      layer,
      iterations,
      seed,
      onProgress: progressPrinter(values.json, `inverting ${layer}`),
    });
    return await reportSynthesis(`${positionals[0]} (${layer})`, result, engine, values.out, values.json, {
      file: positionals[0],
      layer,
      smallestSide: size,
    });
  } finally {
    engine.model.dispose();
  }
}

function layersOption(text: string): InvertLayer[] {
  const layers = text.split(',').map((l) => l.trim());
  for (const l of layers)
    if (!(INVERT_LAYERS as readonly string[]).includes(l))
      fail(`--layers takes names from ${INVERT_LAYERS.join(', ')}, got '${l}'`);
  if (new Set(layers).size !== layers.length) fail(`--layers names a layer twice: '${text}'`);
  return layers as InvertLayer[];
}

/** One inversion per layer, from the same noise; the strip (picture, then each layer) and a summary. */
async function compareLayers(
  engine: NodeEngine,
  image: LoadedImage,
  layers: InvertLayer[],
  o: { iterations: number; seed: number; json: boolean; out?: string; size: number },
): Promise<number> {
  const started = performance.now();
  const results = await invertLayers(engine.model, image.pixels, {
    layers,
    iterations: o.iterations,
    seed: o.seed,
    onProgress: progressPrinter(o.json, `inverting ${layers.length} layers`),
  });
  const ms = performance.now() - started;
  const strip = contactSheet([image.pixels, ...results.map((r) => r.image)].map(rgbOf), { columns: layers.length + 1 });
  if (o.out) await writePng(o.out, strip);
  const summary = {
    file: image.file,
    layers: results.map((r) => ({
      layer: r.layer,
      contentStart: round(r.lossStart.content, 4),
      contentEnd: round(r.lossEnd.content, 4),
      losses: { start: losses(r.lossStart), end: losses(r.lossEnd) },
      ms: round(r.ms, 1),
    })),
    iterations: o.iterations,
    ms: round(ms, 1),
    msPerIteration: round(ms / (o.iterations * layers.length), 1),
    backend: engine.backend.backend,
    smallestSide: o.size,
    pictureSize: { width: image.pixels.width, height: image.pixels.height },
    size: { width: strip.width, height: strip.height },
    outputs: o.out ? { image: o.out } : {},
  };
  if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    for (const r of results)
      process.stdout.write(
        `${image.file} (${r.layer}): content loss ${r.lossStart.content.toPrecision(4)} → ` +
          `${r.lossEnd.content.toPrecision(4)} in ${r.iterations} iterations\n`,
      );
    process.stdout.write(`  ${summary.msPerIteration.toFixed(0)} ms/iteration on ${engine.backend.backend}\n`);
    if (o.out) process.stdout.write(`  strip: ${o.out}\n`);
  }
  return 0;
}

/** A method's 8-bit picture (float pixel units for the photo itself) as an RGB image. */
function rgbOf(p: { width: number; height: number; data: ArrayLike<number> }) {
  return { width: p.width, height: p.height, data: Uint8ClampedArray.from(p.data, Math.round) };
}

/** squeezelens dream <image> [--layer fire5] [--out dream.png] */
import { parseArgs } from 'node:util';
import { isLayerName, LAYER_NAMES, type LayerName, layerChannels } from '../../engine/architecture.js';
import { type DreamObjective, deepDream } from '../../methods/visualize/deepdream.js';
import { DREAM_DEFAULTS } from '../../shared/catalog.js';
import {
  ENGINE_HELP,
  ENGINE_OPTIONS,
  engineFrom,
  fail,
  numberOption,
  progressPrinter,
  readImage,
  round,
  writePng,
} from '../shared.js';

const DREAM_LAYERS = LAYER_NAMES.filter((l) => l.startsWith('fire') || l === 'conv1');

export const DREAM_HELP = `Usage: squeezelens dream <image> [options]

DeepDream: amplify what a layer sees in the image (gradient ascent on ½‖activation‖², over
several octaves, with jitter). Works on the whole image (longer side up to 512 px).

Options:
  --layer NAME           ${DREAM_LAYERS.join(', ')} (default ${DREAM_DEFAULTS.layer})
  --channel N[,N…]       steer the dream to these channels of the layer (the "controllable dream";
                         repeatable); the objective is then their mean activation
  --objective l2|mean    l2: mean of activation² (default without --channel); mean: mean activation
  --octaves N            scales (default 3)
  --iterations N         steps per octave (default 10)
  --seed N               jitter seed (default 0)
  --out FILE             the dream (PNG)
${ENGINE_HELP}`;

export async function dreamCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      layer: { type: 'string', default: DREAM_DEFAULTS.layer },
      channel: { type: 'string', multiple: true },
      objective: { type: 'string' },
      octaves: { type: 'string' },
      iterations: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${DREAM_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail('dream takes exactly one image file');
  if (!isLayerName(values.layer) || values.layer.startsWith('classifier'))
    fail(`--layer must be conv1 or fire2…fire9, got '${values.layer}'`);
  const available = layerChannels(values.layer);
  const channels = (values.channel ?? [])
    .flatMap((text) => text.split(','))
    .map((text) => numberOption('channel', text, 0, { min: 0, integer: true }));
  for (const c of channels)
    if (c >= available)
      fail(`--channel ${c} is out of range: ${values.layer} has ${available} channels (0–${available - 1})`);
  const objective = (values.objective ?? (channels.length ? 'mean' : 'l2')) as DreamObjective;
  if (objective !== 'l2' && objective !== 'mean') fail(`--objective must be l2 or mean, got '${values.objective}'`);
  const octaves = numberOption('octaves', values.octaves, 3, { min: 1, max: 8, integer: true });
  const iterations = numberOption('iterations', values.iterations, 10, { min: 1, max: 500, integer: true });
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  const engine = await engineFrom(values);
  try {
    const source = await readImage(positionals[0]);
    const result = await deepDream(engine.model, source, {
      layer: values.layer as LayerName,
      channels: channels.length ? channels : undefined,
      objective,
      octaves,
      iterations,
      seed,
      onProgress: progressPrinter(values.json, `dreaming (${values.layer})`),
    });
    if (values.out)
      await writePng(values.out, {
        width: result.image.width,
        height: result.image.height,
        data: new Uint8ClampedArray(result.image.data),
      }); // rounds and clamps
    const summary = {
      file: positionals[0],
      layer: result.layer,
      channels: channels.length ? channels : null,
      objective,
      objectiveBefore: round(result.objectiveBefore, 4),
      objectiveAfter: round(result.objectiveAfter, 4),
      steps: result.steps,
      msPerStep: round(result.msPerStep, 1),
      size: { width: result.image.width, height: result.image.height },
      backend: engine.backend.backend,
      outputs: values.out ? { dream: values.out } : {},
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `${positionals[0]}: ${result.layer} objective ${result.objectiveBefore.toFixed(1)} → ` +
          `${result.objectiveAfter.toFixed(1)} in ${result.steps} steps ` +
          `(${result.msPerStep.toFixed(0)} ms/step on ${engine.backend.backend})\n`,
      );
      if (values.out) process.stdout.write(`  dream: ${values.out}\n`);
    }
    return 0;
  } finally {
    engine.model.dispose();
  }
}

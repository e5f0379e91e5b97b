/** squeezelens channel --layer fire6 --channel 17 [--neuron] [--atlas 16] [--steps 256] [--size 128] --out ch.png [--json] */
import { parseArgs } from 'node:util';
import { type LayerName, layerChannels } from '../../engine/architecture.js';
import { type ChannelResult, channelAtlas, visualizeChannel } from '../../methods/visualize/channel.js';
import { contactSheet } from '../../render/sheet.js';
import { CHANNEL_DEFAULTS, CHANNEL_LAYERS, CHANNEL_SIZE, type ChannelLayer } from '../../shared/catalog.js';
import {
  ENGINE_HELP,
  ENGINE_OPTIONS,
  engineFrom,
  fail,
  numberOption,
  progressPrinter,
  round,
  sizeOption,
  writePng,
} from '../shared.js';

export const CHANNEL_HELP = `Usage: squeezelens channel --layer NAME (--channel N | --atlas N) [options]

Channel / neuron visualization (activation maximization: Yosinski et al. 2015, Olah et al. 2017):
an image that makes one channel of a layer fire as much as possible, on average over the layer
("channel") or at its centre ("neuron"). As Lucid: Adam (lr ${CHANNEL_DEFAULTS.learningRate}) on 1/f-scaled Fourier
coefficients in decorrelated colours, a random shift / scale / rotation of the image every step;
the objective is taken before the layer's ReLU. The output is the optimized square image itself
(${CHANNEL_SIZE.default}×${CHANNEL_SIZE.default} by default, Lucid's size).

Options:
  --layer NAME           ${CHANNEL_LAYERS.join(', ')} (default ${CHANNEL_DEFAULTS.layer};
                         classifier: the class map before its ReLU, channel = class)
  --channel N            the channel (0 … channels − 1: conv1 64, fire2/3 128, fire4/5 256,
                         fire6/7 384, fire8/9 512, classifier 1000)
  --neuron               the centre neuron instead of the channel's mean
  --atlas N              the first N channels of the layer side by side instead (a contact sheet)
  --steps N              Adam steps per image (default ${CHANNEL_DEFAULTS.steps})
  --seed N               seed of the start and the transforms (default 0)
  --size N               side of the image in pixels, ${CHANNEL_SIZE.min}–${CHANNEL_SIZE.max} (default ${CHANNEL_SIZE.default}, Lucid's;
                         224 = the network's own view, ~3× slower a step)
  --out FILE             the image (PNG; size×size, or the sheet with --atlas)
${ENGINE_HELP}`;

export async function channelCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      layer: { type: 'string', default: CHANNEL_DEFAULTS.layer },
      channel: { type: 'string' },
      neuron: { type: 'boolean', default: false },
      atlas: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      size: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${CHANNEL_HELP}\n`);
    return 0;
  }
  if (positionals.length) fail(`channel takes no image (got '${positionals[0]}')`);
  if (!(CHANNEL_LAYERS as readonly string[]).includes(values.layer))
    fail(`unknown layer '${values.layer}' (available: ${CHANNEL_LAYERS.join(', ')})`);
  const layer = values.layer as ChannelLayer;
  const available = layerChannels(layer as LayerName);
  if ((values.channel === undefined) === (values.atlas === undefined))
    fail('give either --channel N (one channel) or --atlas N (the first N channels)');
  const channel = numberOption('channel', values.channel, 0, { min: 0, integer: true });
  if (channel >= available)
    fail(`--channel ${channel} is out of range: ${layer} has ${available} channels (0–${available - 1})`);
  const atlas = numberOption('atlas', values.atlas, 0, { min: 1, max: available, integer: true });
  const steps = numberOption('steps', values.steps, CHANNEL_DEFAULTS.steps, { min: 1, max: 10000, integer: true });
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  const size = sizeOption('size', values.size, CHANNEL_SIZE);
  const engine = await engineFrom(values);
  try {
    const started = performance.now();
    const common = {
      layer,
      neuron: values.neuron,
      steps,
      seed,
      size,
      onProgress: progressPrinter(values.json, `visualizing ${layer}`),
    };
    const results: ChannelResult[] = atlas
      ? await channelAtlas(engine.model, { ...common, count: atlas })
      : [await visualizeChannel(engine.model, { ...common, channel })];
    const ms = performance.now() - started;
    const rgb = (r: ChannelResult) => ({ width: r.image.width, height: r.image.height, data: r.pixels });
    const image = atlas
      ? contactSheet(results.map(rgb), {
          columns: Math.ceil(Math.sqrt(atlas)),
          labels: results.map((r) => `${r.channel}`),
        })
      : rgb(results[0]);
    if (values.out) await writePng(values.out, image);
    const summary = {
      layer,
      neuron: values.neuron,
      channels: results.map((r) => ({
        channel: r.channel,
        objectiveStart: round(r.objectiveStart, 4),
        objectiveEnd: round(r.objectiveEnd, 4),
      })),
      iterations: steps * results.length,
      ms: round(ms, 1),
      msPerStep: round(ms / (steps * results.length), 1),
      backend: engine.backend.backend,
      size: { width: image.width, height: image.height },
      outputs: values.out ? { image: values.out } : {},
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      for (const r of results)
        process.stdout.write(
          `${layer}:${r.channel}${values.neuron ? ' (centre neuron)' : ''}: objective ` +
            `${r.objectiveStart.toFixed(2)} → ${r.objectiveEnd.toFixed(2)} in ${steps} steps\n`,
        );
      process.stdout.write(`  ${summary.msPerStep.toFixed(0)} ms/step on ${engine.backend.backend}\n`);
      if (values.out) process.stdout.write(`  image: ${values.out}\n`);
    }
    return 0;
  } finally {
    engine.model.dispose();
  }
}

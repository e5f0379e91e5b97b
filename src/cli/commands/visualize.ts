/** squeezelens visualize --class NAME [--iterations N] [--out viz.png] */
import { parseArgs } from 'node:util';
import { visualizeClass } from '../../methods/visualize/class-visualization.js';
import { VISUALIZE_ITERATIONS } from '../../shared/catalog.js';
import {
  classArg,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  engineFrom,
  fail,
  numberOption,
  progressPrinter,
  round,
  writePng,
} from '../shared.js';

export const VISUALIZE_HELP = `Usage: squeezelens visualize --class NAME|INDEX [options]

What SqueezeNet thinks a class looks like: gradient ascent on the class score from random noise,
CS231n style (jitter up to 16 px, L2 regularization 1e-3, blur σ 0.5 every 10 steps, clipping,
learning rate 25).

Options:
  --class NAME|INDEX     the class (e.g. gorilla or 366)
  --iterations N         steps (default ${VISUALIZE_ITERATIONS.default}; 100–1000 are sensible)
  --seed N               noise and jitter seed (default 0)
  --out FILE             the visualization (PNG, 224×224)
${ENGINE_HELP}`;

export async function visualizeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      class: { type: 'string' },
      iterations: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${VISUALIZE_HELP}\n`);
    return 0;
  }
  if (positionals.length) fail(`visualize takes no image (got ${positionals.join(' ')}); use --class`);
  if (values.class === undefined) fail('visualize needs --class NAME|INDEX');
  const iterations = numberOption('iterations', values.iterations, VISUALIZE_ITERATIONS.default, {
    min: 1,
    max: 5000,
    integer: true,
  });
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  const engine = await engineFrom(values);
  try {
    const cls = classArg(values.class, engine.labels);
    if (cls.note) process.stderr.write(`squeezelens: ${cls.note}\n`);
    const result = await visualizeClass(engine.model, cls.index, {
      iterations,
      seed,
      onProgress: progressPrinter(values.json, `visualizing ${cls.label}`),
    });
    if (values.out)
      await writePng(values.out, {
        width: 224,
        height: 224,
        data: new Uint8ClampedArray(result.image.data), // rounds and clamps
      });
    const summary = {
      class: { index: cls.index, label: cls.label },
      probability: round(result.probability8bit),
      top5: result.top5.map((t) => ({ index: t.index, label: engine.labels[t.index], prob: round(t.prob) })),
      iterations: result.iterations,
      msPerIteration: round(result.msPerIteration, 2),
      backend: engine.backend.backend,
      outputs: values.out ? { visualization: values.out } : {},
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `"${cls.label}" (${cls.index}) after ${result.iterations} steps: ` +
          `classified as it with p=${(result.probability8bit * 100).toFixed(1)}% ` +
          `(${result.msPerIteration.toFixed(0)} ms/step on ${engine.backend.backend})\n`,
      );
      if (values.out) process.stdout.write(`  visualization: ${values.out}\n`);
    }
    return 0;
  } finally {
    engine.model.dispose();
  }
}

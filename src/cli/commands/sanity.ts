/** squeezelens sanity <image> [--method vanilla] — can this saliency map be trusted? */
import { parseArgs } from 'node:util';
import { loadWeightsNode } from '../../engine/node-weights.js';
import { explain } from '../../methods/explain/index.js';
import { deletionInsertion } from '../../methods/trust/deletion-insertion.js';
import { type MapFn, modelRandomization } from '../../methods/trust/model-randomization.js';
import { SALIENCY_METHOD_NAMES, SALIENCY_METHODS, type SaliencyMethodName } from '../../shared/catalog.js';
import {
  classArg,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  engineFrom,
  fail,
  loadImage,
  numberOption,
  progressPrinter,
  round,
} from '../shared.js';

const methods = SALIENCY_METHOD_NAMES;

export const SANITY_HELP = `Usage: squeezelens sanity <image> [options]

Sanity checks for a saliency method on one image:
  model randomization (Adebayo et al. 2018): the map is recomputed while the network's layers are
    replaced by random weights from the top down; a method whose map barely changes (Spearman rank
    correlation ≥ 0.7 after the classifier, fire9 and fire8 are randomized) is flagged as not
    model-sensitive: it shows the image, not what the network uses;
  deletion / insertion: the class probability as the most salient 8×8 patches are blurred away
    (deletion, lower area = better) or revealed on a blurred image (insertion, higher = better),
    compared with a random order.

Options:
  --method NAME          ${methods.join(' | ')} (default vanilla; smoothgrad/ig are slow here)
  --class NAME|INDEX     class to explain (default: the predicted one)
  --seed N               randomization seed (default 0)
${ENGINE_HELP}`;

export async function sanityCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      method: { type: 'string', default: 'vanilla' },
      class: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SANITY_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail('sanity takes exactly one image file');
  const method = values.method as SaliencyMethodName;
  if (!methods.includes(method)) fail(`--method must be one of ${methods.join(', ')}, got '${values.method}'`);
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  const engine = await engineFrom(values);
  try {
    const image = await loadImage(positionals[0]);
    const classIndex = values.class === undefined ? undefined : classArg(values.class, engine.labels).index;
    const mapFn: MapFn = async (model, img, cls, control) =>
      (await explain(model, img, method, { classIndex: cls, samples: 16, steps: 32 }, control)).data;
    const weights = await loadWeightsNode(engine.data, engine.weightsDType);
    const t0 = performance.now();
    const randomization = await modelRandomization(
      engine.model,
      weights,
      image.pixels,
      mapFn,
      { classIndex, seed },
      { onProgress: progressPrinter(values.json, 'randomizing layers') },
    );
    const original = await explain(engine.model, image.pixels, method, {
      classIndex: randomization.classIndex,
      samples: 16,
      steps: 32,
    });
    const curves = await deletionInsertion(
      engine.model,
      image.pixels,
      original,
      { classIndex: randomization.classIndex },
      { onProgress: progressPrinter(values.json, 'deletion/insertion') },
    );
    const random = await deletionInsertion(engine.model, image.pixels, new Float32Array(224 * 224), {
      classIndex: randomization.classIndex,
      seed: seed + 1,
    });
    const ms = performance.now() - t0;
    const summary = {
      file: image.file,
      method,
      class: { index: randomization.classIndex, label: engine.labels[randomization.classIndex] },
      modelRandomization: {
        steps: randomization.steps.map((s) => ({
          block: s.block,
          spearman: round(s.spearmanAbs, 4),
          ssim: round(s.ssim, 4),
        })),
        modelSensitive: randomization.verdict.modelSensitive,
        verdict: randomization.verdict.message,
      },
      deletionAuc: round(curves.deletion!.auc, 4),
      insertionAuc: round(curves.insertion!.auc, 4),
      randomOrder: { deletionAuc: round(random.deletion!.auc, 4), insertionAuc: round(random.insertion!.auc, 4) },
      backend: engine.backend.backend,
      ms: round(ms, 0),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `${image.file}: ${SALIENCY_METHODS[method].title} for "${summary.class.label}" (${summary.class.index})\n`,
      );
      process.stdout.write(`  model randomization (Spearman of |map| with the original, top-down):\n`);
      for (const s of summary.modelRandomization.steps)
        process.stdout.write(`    ${s.block.padEnd(10)} ${s.spearman.toFixed(3)}\n`);
      process.stdout.write(
        `  ${randomization.verdict.modelSensitive ? '✓' : '✗'} ` + `${randomization.verdict.message}\n`,
      );
      process.stdout.write(
        `  deletion AUC ${summary.deletionAuc.toFixed(3)} ` +
          `(random order ${summary.randomOrder.deletionAuc.toFixed(3)}; lower is better)\n`,
      );
      process.stdout.write(
        `  insertion AUC ${summary.insertionAuc.toFixed(3)} ` +
          `(random order ${summary.randomOrder.insertionAuc.toFixed(3)}; higher is better)\n`,
      );
    }
    return 0;
  } finally {
    engine.model.dispose();
  }
}

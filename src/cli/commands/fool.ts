/** squeezelens fool <image> --target NAME [--method cs231n|fgsm|pgd] [--out fooled.png] … */
import { parseArgs } from 'node:util';
import { foolFromNoise, noiseBytes } from '../../methods/attack/from-noise.js';
import { type AttackRequest, attackSummary, classifyUint8, runAttack } from '../../methods/attack/index.js';
import { parseTarget, resolveTarget, TargetError } from '../../methods/attack/targets.js';
import { differenceImage, magnifiedDifference } from '../../render/difference.js';
import {
  ATTACK_DEFAULTS,
  ATTACK_METHODS,
  type AttackMethod,
  DEFAULT_FOOL_CONFIDENCE,
  FOOL_MARGIN,
  FROM_NOISE_DEFAULTS,
  pgdStepSize,
} from '../../shared/catalog.js';
import {
  ENGINE_HELP,
  ENGINE_OPTIONS,
  engineFrom,
  fail,
  loadImage,
  numberOption,
  parseMode,
  progressPrinter,
  round,
  writePng,
} from '../shared.js';

export const FOOL_HELP = `Usage: squeezelens fool <image> [options]
       squeezelens fool --from-noise --target T [--out noise.png] [options]

Make a fooling image: visually the same, classified as something else. The result is the 8-bit
224×224 image the network sees, verified after rounding: saving it and classifying it again gives
the same answer (\`squeezelens classify fooled.png\`).

Defaults are the extension popup's (src/shared/catalog.ts): both attack the same way.

Options:
  --target T             a class name ("gorilla") or index (366), least-likely, random or random:SEED.
                         Required for cs231n; without it fgsm/pgd are untargeted (any other class).
  --method NAME          cs231n (default): gradient ascent on the target score with steps
                           lr·g/‖g‖₂, stopping as soon as the target wins (CS231n);
                         fgsm: one signed-gradient step of size ε;
                         pgd: iterated signed steps projected into the L∞ ball of radius ε.
  --epsilon N            fgsm/pgd: L∞ budget in pixel levels (/255 units), default
                         ${ATTACK_DEFAULTS.pgd.epsilon} for pgd, ${ATTACK_DEFAULTS.fgsm.epsilon} for fgsm
  --iterations N         cs231n: at most N steps (default ${ATTACK_DEFAULTS.cs231n.maxIterations});
                         pgd: steps (default ${ATTACK_DEFAULTS.pgd.iterations})
  --lr X                 cs231n: L2 length of each step in pixel units (default ${ATTACK_DEFAULTS.cs231n.lr})
  --step-size N          pgd: step in pixel levels (default ε/4, at least 0.25)
  --random-start         pgd: start from a random point of the ε ball (seeded)
  --seed N               random target / random start seed (default 0)
  --margin X             required lead of the target's logit over every other class (default ${FOOL_MARGIN},
                         so the result also fools the CPU backend, whose logits differ by ~1e-4)
  --min-prob P           targeted: go on until the target's probability is at least P (default
                         ${DEFAULT_FOOL_CONFIDENCE}, ~2 more steps on the test photos; 0: top-1 is enough)
  --out FILE             the fooled image (PNG, 224×224)
  --diff FILE            the difference (mid-grey = unchanged) (PNG)
  --diff10 FILE          the difference magnified 10× (PNG)
  --preprocess crop|fit  as for classify (default crop)
  --from-noise           no image: start from seeded uniform noise (--seed) and climb log p(target)
                         with no regularizer until the 8-bit image is the target with
                         ≥ --min-prob (default here ${FROM_NOISE_DEFAULTS.minProb}); steps of L2 length --lr (default
                         ${FROM_NOISE_DEFAULTS.lr}), at most --iterations (default ${FROM_NOISE_DEFAULTS.maxIterations}) (Nguyen et al. 2015). The result
                         still looks like noise: compare \`squeezelens visualize --class T\`.
${ENGINE_HELP}`;

export async function foolCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      target: { type: 'string' },
      method: { type: 'string', default: 'cs231n' },
      epsilon: { type: 'string' },
      iterations: { type: 'string' },
      lr: { type: 'string' },
      'step-size': { type: 'string' },
      'random-start': { type: 'boolean', default: false },
      seed: { type: 'string' },
      margin: { type: 'string' },
      'min-prob': { type: 'string' },
      out: { type: 'string' },
      diff: { type: 'string' },
      diff10: { type: 'string' },
      preprocess: { type: 'string', default: 'crop' },
      'from-noise': { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${FOOL_HELP}\n`);
    return 0;
  }
  if (values['from-noise']) return fromNoise(values, positionals);
  if (positionals.length !== 1) fail('fool takes exactly one image file');
  const method = values.method as AttackMethod;
  if (!ATTACK_METHODS.includes(method))
    fail(`--method must be one of ${ATTACK_METHODS.join(', ')}, got '${values.method}'`);
  if (method === 'cs231n' && values.target === undefined)
    fail('--target is required for --method cs231n (a class name or index, least-likely or random)');
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  // Checked up front for every method, as before; cs231n has no ε (its budget is a step count) and ignores it.
  const epsilon = numberOption('epsilon', values.epsilon, method === 'cs231n' ? 0 : ATTACK_DEFAULTS[method].epsilon, {
    min: 0,
    max: 255,
  });
  const margin = numberOption('margin', values.margin, FOOL_MARGIN, { min: 0, max: 50 });
  const minProb = numberOption('min-prob', values['min-prob'], DEFAULT_FOOL_CONFIDENCE, { min: 0, max: 0.999 });
  const mode = parseMode(values.preprocess);
  const engine = await engineFrom(values);
  try {
    const image = await loadImage(positionals[0], mode);
    let target: number | null = null;
    let targetNote: string | undefined;
    if (values.target !== undefined) {
      const probs = await engine.classifier.probabilities(image.pre.input);
      try {
        const resolved = resolveTarget(parseTarget(values.target, seed), engine.labels, probs);
        target = resolved.index;
        if (resolved.ambiguous)
          targetNote = `"${values.target}" matches several classes; using ${resolved.label} (${resolved.index})`;
      } catch (error) {
        if (error instanceof TargetError) fail(error.message);
        throw error;
      }
    }
    if (targetNote) process.stderr.write(`squeezelens: ${targetNote}\n`);
    const common = {
      backend: engine.backend.backend,
      margin,
      minProb,
      onProgress: progressPrinter(values.json, `fooling (${method})`),
    };
    let request: AttackRequest;
    if (method === 'cs231n') {
      request = {
        method,
        target: target!,
        ...common,
        maxIterations: numberOption('iterations', values.iterations, ATTACK_DEFAULTS.cs231n.maxIterations, {
          min: 1,
          max: 10000,
          integer: true,
        }),
        lr: numberOption('lr', values.lr, ATTACK_DEFAULTS.cs231n.lr, { min: 0.001, max: 10000 }),
      };
    } else if (method === 'fgsm') {
      request = { method, target, ...common, epsilon };
    } else {
      request = {
        method,
        target,
        ...common,
        epsilon,
        iterations: numberOption('iterations', values.iterations, ATTACK_DEFAULTS.pgd.iterations, {
          min: 1,
          max: 10000,
          integer: true,
        }),
        stepSize: numberOption('step-size', values['step-size'], pgdStepSize(epsilon), { min: 0.001, max: 255 }),
        randomStart: values['random-start'],
        seed,
      };
    }
    const result = await runAttack(engine.model, image.pixels, request);
    const rgb = (data: Uint8ClampedArray) => ({ width: 224, height: 224, data });
    // The attack measures from the 8-bit view it was given, so the pictures compare those bytes.
    const [original, fooled] = [rgb(image.pre.pixels), rgb(result.pixels)];
    const outputs: Record<string, string> = {};
    if (values.out) await writePng((outputs.fooled = values.out), fooled);
    if (values.diff) await writePng((outputs.difference = values.diff), differenceImage(original, fooled));
    if (values.diff10) await writePng((outputs.difference10x = values.diff10), magnifiedDifference(original, fooled));
    const summary = attackSummary(result, engine.labels);
    if (values.json) {
      const rounded = Object.fromEntries(
        Object.entries(summary).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]),
      );
      process.stdout.write(`${JSON.stringify({ file: image.file, ...rounded, outputs })}\n`);
    } else {
      const m = result.metrics;
      const goal = summary.target
        ? `"${summary.target.label}" (${summary.target.index})`
        : `anything but "${summary.source.label}"`;
      process.stdout.write(
        `${image.file}: ${method} toward ${goal}: ${result.success ? 'SUCCESS' : 'FAILED'} ` +
          `after ${m.iterations} step(s), ${m.ms.toFixed(0)} ms on ${engine.backend.backend}\n`,
      );
      process.stdout.write(
        `  now classified as "${summary.predictedAfterLabel}" ${(m.predictedProbAfter * 100).toFixed(1)}% ` +
          `(was "${summary.predictedBeforeLabel}" ${(m.predictedProbBefore * 100).toFixed(1)}%)\n`,
      );
      if (m.targetProbAfter !== null)
        process.stdout.write(
          `  target probability ${(m.targetProbBefore! * 100).toFixed(2)}% → ` +
            `${(m.targetProbAfter * 100).toFixed(2)}%\n`,
        );
      process.stdout.write(
        `  change: L∞ ${m.linf}/255, L2 ${m.l2.toFixed(1)}, ${(m.changedPixels * 100).toFixed(1)}% of pixels` +
          `${m.roundingRetries ? `, ${m.roundingRetries} rounding retr${m.roundingRetries === 1 ? 'y' : 'ies'}` : ''}` +
          '\n',
      );
      for (const [kind, path] of Object.entries(outputs)) process.stdout.write(`  ${kind}: ${path}\n`);
    }
    return result.success ? 0 : 1;
  } finally {
    engine.model.dispose();
  }
}

interface FoolValues {
  json: boolean;
  backend: string;
  weights: string;
  models?: string;
  target?: string;
  method: string;
  iterations?: string;
  lr?: string;
  seed?: string;
  margin?: string;
  'min-prob'?: string;
  out?: string;
  diff?: string;
  diff10?: string;
  epsilon?: string;
}

/** fool --from-noise: a fooling image that starts from noise (methods/attack/from-noise.ts). */
async function fromNoise(values: FoolValues, positionals: string[]): Promise<number> {
  if (positionals.length) fail(`--from-noise takes no image (got '${positionals[0]}')`);
  if (values.target === undefined) fail('--from-noise needs --target (a class name or index, least-likely or random)');
  if (values.method !== 'cs231n') fail('--from-noise has its own method: leave out --method');
  for (const option of ['diff', 'diff10', 'epsilon'] as const)
    if (values[option] !== undefined) fail(`--${option} does not apply to --from-noise (there is no original)`);
  const seed = numberOption('seed', values.seed, 0, { min: 0, integer: true });
  const minProb = numberOption('min-prob', values['min-prob'], FROM_NOISE_DEFAULTS.minProb, { min: 0, max: 0.999 });
  const margin = numberOption('margin', values.margin, FOOL_MARGIN, { min: 0, max: 50 });
  const lr = numberOption('lr', values.lr, FROM_NOISE_DEFAULTS.lr, { min: 0.001, max: 10000 });
  const maxIterations = numberOption('iterations', values.iterations, FROM_NOISE_DEFAULTS.maxIterations, {
    min: 1,
    max: 10000,
    integer: true,
  });
  const engine = await engineFrom(values);
  try {
    const noise = await classifyUint8(engine.model, noiseBytes(seed));
    let target: number;
    try {
      const resolved = resolveTarget(parseTarget(values.target, seed), engine.labels, noise.probs);
      target = resolved.index;
      if (resolved.ambiguous)
        process.stderr.write(
          `squeezelens: "${values.target}" matches several classes; using ${resolved.label} (${resolved.index})\n`,
        );
    } catch (error) {
      if (error instanceof TargetError) fail(error.message);
      throw error;
    }
    const result = await foolFromNoise(engine.model, target, {
      seed,
      minProb,
      margin,
      lr,
      maxIterations,
      backend: engine.backend.backend,
      onProgress: progressPrinter(values.json, 'fooling from noise'),
    });
    if (values.out) await writePng(values.out, { width: 224, height: 224, data: result.pixels });
    const label = (index: number) => ({ index, label: engine.labels[index] });
    const summary = {
      fromNoise: true,
      seed,
      target: label(target),
      success: result.success,
      minProb,
      targetProb: round(result.targetProb),
      predicted: { ...label(result.predicted), prob: round(result.probs[result.predicted]) },
      targetProbStart: round(result.targetProbStart),
      predictedStart: label(result.predictedStart),
      iterations: result.iterations,
      roundingRetries: result.roundingRetries,
      ms: round(result.ms, 1),
      backend: engine.backend.backend,
      outputs: values.out ? { fooled: values.out } : {},
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `noise (seed ${seed}) toward "${engine.labels[target]}" (${target}): ${result.success ? 'SUCCESS' : 'FAILED'} ` +
          `after ${result.iterations} step(s), ${result.ms.toFixed(0)} ms on ${engine.backend.backend}\n`,
      );
      process.stdout.write(
        `  target probability ${(result.targetProbStart * 100).toFixed(3)}% → ${(result.targetProb * 100).toFixed(2)}% ` +
          `(8-bit image, re-classified)\n`,
      );
      if (values.out) process.stdout.write(`  fooled: ${values.out}\n`);
    }
    return result.success ? 0 : 1;
  } finally {
    engine.model.dispose();
  }
}

/** squeezelens saliency <image> [--method …] [--out map.png] [--overlay overlay.png] [--mask mask.png] */
import { parseArgs } from 'node:util';
import { SCORE_DESCRIPTIONS, type ScoreKind } from '../../engine/scores.js';
import { CAM_LAYERS, type CamLayer } from '../../methods/explain/grad-cam.js';
import { explain, type SaliencyOptions, type SmoothableMethodName } from '../../methods/explain/index.js';
import type { SaliencyMap } from '../../methods/explain/saliency.js';
import { type ColormapName, isColormapName } from '../../render/colormap.js';
import { heatmap, maskImage, overlayOnSource } from '../../render/overlay.js';
import {
  DEFAULT_MASK_KEEP,
  OCCLUSION_BASELINES,
  OCCLUSION_DEFAULTS,
  type OcclusionBaseline,
  SALIENCY_METHOD_NAMES,
  SALIENCY_METHODS,
  type SaliencyMethodName,
} from '../../shared/catalog.js';
import {
  classArg,
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

const methods = SALIENCY_METHOD_NAMES;
const scoreKinds = Object.keys(SCORE_DESCRIPTIONS) as ScoreKind[];

export const SALIENCY_HELP = `Usage: squeezelens saliency <image> [options]

Which pixels drive SqueezeNet's answer. Writes PNGs; prints a summary (or JSON with --json).

Options:
  --method NAME          ${methods.join(' | ')} (default vanilla)
${methods.map((m) => `                           ${m}: ${SALIENCY_METHODS[m].description}`).join('\n')}
  --class NAME|INDEX     class to explain (default: the predicted one)
  --score KIND           what is differentiated (default raw):
${scoreKinds.map((k) => `                           ${k}: ${SCORE_DESCRIPTIONS[k]}`).join('\n')}
  --layer NAME           gradcam layer: ${CAM_LAYERS.join(', ')} (default fire9)
  --base NAME            smoothgrad: the method it averages (default vanilla)
  --samples N --noise F  smoothgrad: noisy samples (default 50) and noise σ as a fraction of the range (0.15)
  --steps N              ig: integration steps (default 50)
  --baseline KIND        ig: black | blur, the reference image (default black);
                         occlusion: ${OCCLUSION_BASELINES.join(' | ')}, what hides the patch \
(default ${OCCLUSION_DEFAULTS.baseline})
  --patch N              occlusion: side of the square patch in pixels (default ${OCCLUSION_DEFAULTS.patch})
  --stride N             occlusion: step between patches in pixels (default ${OCCLUSION_DEFAULTS.stride}); 16/8 is
                           729 forward passes, ~15–20 s on WASM; --patch 32 --stride 32 is 49, ~1–2 s
  --seed N               noise seed (default 0)
  --out FILE             the 224×224 heat map (PNG)
  --overlay FILE         the heat map over the original image, on the region the network saw (PNG)
  --mask FILE            the original 224×224 view with only the most salient pixels kept (PNG)
  --keep F               fraction of pixels the mask keeps (default ${DEFAULT_MASK_KEEP}, as the popup's mask)
  --colormap NAME        inferno (default), viridis, magma, gray; signed maps use a diverging map
  --preprocess crop|fit  as for classify (default crop)
${ENGINE_HELP}`;

export async function saliencyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      method: { type: 'string', default: 'vanilla' },
      class: { type: 'string' },
      score: { type: 'string', default: 'raw' },
      layer: { type: 'string', default: 'fire9' },
      base: { type: 'string', default: 'vanilla' },
      samples: { type: 'string' },
      noise: { type: 'string' },
      steps: { type: 'string' },
      baseline: { type: 'string' },
      patch: { type: 'string' },
      stride: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      overlay: { type: 'string' },
      mask: { type: 'string' },
      keep: { type: 'string' },
      colormap: { type: 'string', default: 'inferno' },
      preprocess: { type: 'string', default: 'crop' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SALIENCY_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail('saliency takes exactly one image file');
  const method = values.method as SaliencyMethodName;
  if (!methods.includes(method)) fail(`--method must be one of ${methods.join(', ')}, got '${values.method}'`);
  if (!(values.score in SCORE_DESCRIPTIONS))
    fail(`--score must be one of ${Object.keys(SCORE_DESCRIPTIONS).join(', ')}, got '${values.score}'`);
  if (!CAM_LAYERS.includes(values.layer as CamLayer))
    fail(`--layer must be one of ${CAM_LAYERS.join(', ')}, got '${values.layer}'`);
  if (!['vanilla', 'gradxinput', 'ig', 'gradcam'].includes(values.base))
    fail(`--base must be vanilla, gradxinput, ig or gradcam, got '${values.base}'`);
  const occluding = method === 'occlusion';
  const baseline = values.baseline ?? (occluding ? OCCLUSION_DEFAULTS.baseline : 'black');
  if (occluding && !OCCLUSION_BASELINES.includes(baseline as OcclusionBaseline))
    fail(`--baseline must be one of ${OCCLUSION_BASELINES.join(', ')} for occlusion, got '${baseline}'`);
  if (!occluding && baseline !== 'black' && baseline !== 'blur')
    fail(`--baseline must be black or blur, got '${baseline}'`);
  if (!isColormapName(values.colormap))
    fail(`--colormap must be inferno, viridis, magma or gray, got '${values.colormap}'`);
  const keep = numberOption('keep', values.keep, DEFAULT_MASK_KEEP, { min: 0.001, max: 1 });
  const options: SaliencyOptions = {
    score: values.score as ScoreKind,
    layer: values.layer as CamLayer,
    base: values.base as SmoothableMethodName,
    samples: numberOption('samples', values.samples, 50, { min: 1, max: 1000, integer: true }),
    noiseLevel: numberOption('noise', values.noise, 0.15, { min: 0, max: 1 }),
    steps: numberOption('steps', values.steps, 50, { min: 1, max: 2000, integer: true }),
    baseline: occluding ? undefined : (baseline as 'black' | 'blur'),
    occlusionBaseline: occluding ? (baseline as OcclusionBaseline) : undefined,
    patch: numberOption('patch', values.patch, OCCLUSION_DEFAULTS.patch, { min: 1, max: 224, integer: true }),
    stride: numberOption('stride', values.stride, OCCLUSION_DEFAULTS.stride, { min: 1, max: 224, integer: true }),
    seed: numberOption('seed', values.seed, 0, { min: 0, integer: true }),
  };
  const mode = parseMode(values.preprocess);
  const engine = await engineFrom(values);
  try {
    const image = await loadImage(positionals[0], mode);
    if (values.class !== undefined) {
      const cls = classArg(values.class, engine.labels);
      if (cls.note) process.stderr.write(`squeezelens: ${cls.note}\n`);
      options.classIndex = cls.index;
    }
    const t0 = performance.now();
    const map = await explain(engine.model, image.pixels, method, options, {
      onProgress: progressPrinter(values.json, SALIENCY_METHODS[method].title),
    });
    const ms = performance.now() - t0;
    const outputs = await writeOutputs(map, image, {
      out: values.out,
      overlay: values.overlay,
      mask: values.mask,
      keep,
      colormap: values.colormap,
    });
    const completeness = (
      map as SaliencyMap & {
        completeness?: { relativeError: number; attributionSum: number; scoreAtInput: number; scoreAtBaseline: number };
      }
    ).completeness;
    const occluded = map as SaliencyMap & { patch?: number; stride?: number; baseline?: string; patches?: number };
    const summary = {
      file: image.file,
      method: map.method,
      class: { index: map.classIndex, label: engine.labels[map.classIndex] },
      score: map.score,
      head: map.head,
      scoreValue: round(map.scoreValue),
      probability: round(map.probability),
      stats: Object.fromEntries(Object.entries(map.stats).map(([k, v]) => [k, round(v as number, 8)])),
      ...(occluding
        ? {
            occlusion: {
              patch: occluded.patch,
              stride: occluded.stride,
              baseline: occluded.baseline,
              patches: occluded.patches,
            },
          }
        : {}),
      ...(completeness ? { completeness: { ...completeness, relativeError: round(completeness.relativeError) } } : {}),
      backend: engine.backend.backend,
      ms: round(ms, 1),
      outputs,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `${image.file}: ${SALIENCY_METHODS[method].title} for "${summary.class.label}" (${summary.class.index}), ` +
          `p=${(map.probability * 100).toFixed(1)}%, ${ms.toFixed(0)} ms on ${engine.backend.backend}\n`,
      );
      if (completeness)
        process.stdout.write(
          `  completeness: attributions sum ${completeness.attributionSum.toFixed(4)} ` +
            `vs f(x) − f(baseline) ${(completeness.scoreAtInput - completeness.scoreAtBaseline).toFixed(4)} ` +
            `(${(completeness.relativeError * 100).toFixed(2)} % error)\n`,
        );
      for (const [kind, path] of Object.entries(outputs)) process.stdout.write(`  ${kind}: ${path}\n`);
      if (Object.keys(outputs).length === 0)
        process.stdout.write('  (no --out/--overlay/--mask given: nothing written)\n');
    }
    return 0;
  } finally {
    engine.model.dispose();
  }
}

async function writeOutputs(
  map: SaliencyMap,
  image: Awaited<ReturnType<typeof loadImage>>,
  o: { out?: string; overlay?: string; mask?: string; keep: number; colormap: ColormapName },
): Promise<Record<string, string>> {
  const signed = map.stats.min < 0;
  // Signed maps (gradient × input, IG) are shown on a diverging scale around zero; magnitudes with
  // the chosen sequential map, clipped at the 99th percentile so a few hot pixels do not wash out the rest.
  const look = signed
    ? ({ normalize: 'symmetric', colormap: 'rdbu_r' } as const)
    : ({ normalize: 'percentile', percentile: 99, colormap: o.colormap } as const);
  const written: Record<string, string> = {};
  if (o.out) {
    await writePng(o.out, heatmap(map, look));
    written.map = o.out;
  }
  if (o.overlay) {
    await writePng(
      o.overlay,
      overlayOnSource(image.rgba, map, image.pre.geometry, {
        ...look,
        opacity: 0.6,
        weightByValue: !signed,
        dimOutside: 0.5,
      }),
    );
    written.overlay = o.overlay;
  }
  if (o.mask) {
    const magnitude = signed ? { ...map, data: map.data.map(Math.abs) } : map;
    await writePng(
      o.mask,
      maskImage({ width: 224, height: 224, data: image.pre.pixels }, magnitude, { keep: o.keep, normalize: 'minmax' }),
    );
    written.mask = o.mask;
  }
  return written;
}

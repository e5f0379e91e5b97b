/** squeezelens saliency <images, directories or globs…> [--method …] [--out map.png] [--overlay overlay.png] [--mask mask.png] */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveModelData } from '../../engine/model-data-node.js';
import { LABELS_PATH, parseLabels } from '../../engine/model-sources.js';
import type { PreprocessMode } from '../../engine/preprocess.js';
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
import { type BatchInput, defaultJobs, expandInputs, registerBatchTask, runBatch } from '../batch.js';
import {
  checkEngineArgs,
  classArg,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  fail,
  type LoadedImage,
  loadImage,
  numberOption,
  parseMode,
  progressPrinter,
  round,
  writePng,
} from '../shared.js';

const methods = SALIENCY_METHOD_NAMES;
const scoreKinds = Object.keys(SCORE_DESCRIPTIONS) as ScoreKind[];

export const SALIENCY_HELP = `Usage: squeezelens saliency <images, directories or globs…> [options]

Which pixels drive SqueezeNet's answer. Writes PNGs; prints a summary (or JSON with --json).
Several images (a directory means every image under it; a quoted glob is matched here): the output
paths must contain {name}, the image's file name without extension, e.g. --out 'maps/{name}.png';
summaries come in input order, and a file that fails is reported in its place.

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
  --jobs N               engines run in parallel on several images, in worker threads (default: the
                         number of cores, ${defaultJobs()} here)
${ENGINE_HELP}`;

/** What each file's run needs: plain data, so that it can be sent to a worker thread. */
interface SaliencyTaskOptions {
  method: SaliencyMethodName;
  saliency: SaliencyOptions;
  mode: PreprocessMode;
  /** output path templates ({name}: the image's file name without extension) */
  out?: string;
  overlay?: string;
  mask?: string;
  keep: number;
  colormap: ColormapName;
  /** the method's own progress bar (one image on a terminal; a batch has the batch's) */
  methodProgress: boolean;
}

type SaliencySummary = Record<string, unknown> & {
  file: string;
  class: { index: number; label: string };
  probability: number;
  backend: string;
  ms: number;
  outputs: Record<string, string>;
  completeness?: { relativeError: number; attributionSum: number; scoreAtInput: number; scoreAtBaseline: number };
};

/** An output path for one image: the template with {name} replaced by the file's name without extension. */
export function outputPath(template: string, file: string): string {
  return template.replaceAll('{name}', basename(file, extname(file)));
}

registerBatchTask<SaliencyTaskOptions, LoadedImage, SaliencySummary>('saliency', {
  read: (file, o) => loadImage(file, o.mode),
  async run(engine, image, o) {
    const t0 = performance.now();
    const map = await explain(engine.model, image.pixels, o.method, o.saliency, {
      onProgress: o.methodProgress ? progressPrinter(false, SALIENCY_METHODS[o.method].title) : undefined,
    });
    const ms = performance.now() - t0;
    const path = (template?: string) => (template === undefined ? undefined : outputPath(template, image.file));
    const outputs = await writeOutputs(map, image, {
      out: path(o.out),
      overlay: path(o.overlay),
      mask: path(o.mask),
      keep: o.keep,
      colormap: o.colormap,
    });
    const completeness = (map as SaliencyMap & { completeness?: SaliencySummary['completeness'] }).completeness;
    const occluded = map as SaliencyMap & { patch?: number; stride?: number; baseline?: string; patches?: number };
    const summary: SaliencySummary = {
      file: image.file,
      method: map.method,
      class: { index: map.classIndex, label: engine.labels[map.classIndex] },
      score: map.score,
      head: map.head,
      scoreValue: round(map.scoreValue),
      probability: round(map.probability),
      stats: Object.fromEntries(Object.entries(map.stats).map(([k, v]) => [k, round(v as number, 8)])),
      ...(o.method === 'occlusion'
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
    return summary;
  },
});

/** The class names, from the model data as the engine finds it (for --class before any engine loads). */
async function loadLabels(models: string | undefined): Promise<string[]> {
  const data = await resolveModelData({ dir: models, log: (m) => process.stderr.write(`squeezelens: ${m}\n`) });
  return parseLabels(await readFile(data.files.get(LABELS_PATH)!, 'utf8'));
}

/** With several images, each output path needs {name}, and no two images may write the same file. */
function checkOutputs(inputs: readonly BatchInput[], templates: Record<string, string | undefined>): void {
  const files = inputs.filter((i) => !('error' in i)).map((i) => i.file);
  if (inputs.length < 2) return;
  for (const [option, template] of Object.entries(templates)) {
    if (template === undefined) continue;
    if (!template.includes('{name}'))
      fail(
        `--${option} must contain {name} with several images ` +
          `(e.g. 'out/{name}.${option === 'out' ? 'map' : option}.png'), got '${template}'`,
      );
    const seen = new Map<string, string>();
    for (const file of files) {
      const path = outputPath(template, file);
      const other = seen.get(path);
      if (other !== undefined && other !== file)
        fail(`--${option}: ${other} and ${file} would both write ${path} (their names are the same)`);
      seen.set(path, file);
    }
  }
}

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
      jobs: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SALIENCY_HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) fail('saliency needs at least one image file');
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
  const saliency: SaliencyOptions = {
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
  const jobs = numberOption('jobs', values.jobs, defaultJobs(), { min: 1, max: 256, integer: true });
  checkEngineArgs(values);
  if (values.class !== undefined) {
    // Resolved once, here, so that an unknown class is a usage error rather than every file's error.
    const cls = classArg(values.class, await loadLabels(values.models));
    if (cls.note) process.stderr.write(`squeezelens: ${cls.note}\n`);
    saliency.classIndex = cls.index;
  }
  const inputs = expandInputs(positionals);
  checkOutputs(inputs, { out: values.out, overlay: values.overlay, mask: values.mask });
  const options: SaliencyTaskOptions = {
    method,
    saliency,
    mode,
    out: values.out,
    overlay: values.overlay,
    mask: values.mask,
    keep,
    colormap: values.colormap,
    methodProgress: inputs.length === 1 && !values.json,
  };
  let failures = 0;
  await runBatch<SaliencyTaskOptions, SaliencySummary>(
    inputs,
    { task: 'saliency', engine: values, options, jobs, progress: process.stderr, unit: 'images' },
    {
      onError(file, message) {
        failures++;
        process.stderr.write(`squeezelens: error: ${message}\n`);
        if (values.json) process.stdout.write(`${JSON.stringify({ file, error: message })}\n`);
      },
      onResult(_file, summary) {
        if (values.json) {
          process.stdout.write(`${JSON.stringify(summary)}\n`);
          return;
        }
        const { completeness, outputs } = summary;
        process.stdout.write(
          `${summary.file}: ${SALIENCY_METHODS[method].title} for "${summary.class.label}" (${summary.class.index}), ` +
            `p=${(summary.probability * 100).toFixed(1)}%, ${summary.ms.toFixed(0)} ms on ${summary.backend}\n`,
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
      },
    },
  );
  return failures > 0 ? 1 : 0;
}

async function writeOutputs(
  map: SaliencyMap,
  image: LoadedImage,
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

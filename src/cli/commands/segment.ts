/** squeezelens segment <image> --out mask.png [--cutout cut.png] [--method …] [--json] */
import { parseArgs } from 'node:util';
import { explain } from '../../methods/explain/index.js';
import { segmentFromSaliency } from '../../methods/explain/segment.js';
import { cutout, maskPicture } from '../../render/cutout.js';
import {
  OCCLUSION_DEFAULTS,
  SALIENCY_METHOD_NAMES,
  SALIENCY_METHODS,
  type SaliencyMethodName,
  SEGMENT_DEFAULTS,
  SEGMENT_SALIENCY_METHOD,
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

const d = SEGMENT_DEFAULTS;

export const SEGMENT_HELP = `Usage: squeezelens segment <image> --out mask.png [options]

Cut the object out of a photo with its saliency map (Simonyan, Vedaldi & Zisserman 2013): pixels
above the ${d.foregroundPercentile}th percentile of the map seed the object, below the \
${d.backgroundPercentile}th the background;
colour models (${d.components} Gaussians a side) and a graph cut (GrabCut, Rother et al. 2004) give the mask,
of which the largest connected part is kept. The mask and the cut-out have the image's own size;
the cut runs on the image shrunk to ${d.maxSide} px on its long side.

Options:
  --out FILE             the mask (PNG: white object, black background), required
  --cutout FILE          the image with alpha = mask (PNG, transparent background)
  --method NAME          the saliency map: ${SALIENCY_METHOD_NAMES.join(' | ')} (default ${SEGMENT_SALIENCY_METHOD});
                           signed maps are used as magnitudes; occlusion runs at \
${OCCLUSION_DEFAULTS.patch}/${OCCLUSION_DEFAULTS.stride} (slow)
  --class NAME|INDEX     class whose map seeds the object (default: the predicted one)
  --blur SIGMA           blur of the map before the percentiles, in map pixels (default ${d.blur})
  --iterations N         GrabCut rounds at most (default ${d.iterations})
  --smoothness GAMMA     weight of the edge-aware smoothness term (default ${d.smoothness})
  --max-side N           long side of the grid the cut runs on (default ${d.maxSide})
  --preprocess crop|fit  how the network sees the photo, as for classify (default crop); with crop,
                           the sides it does not see get no seed and are labelled by colour alone
${ENGINE_HELP}`;

export async function segmentCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      out: { type: 'string' },
      cutout: { type: 'string' },
      method: { type: 'string', default: SEGMENT_SALIENCY_METHOD },
      class: { type: 'string' },
      blur: { type: 'string' },
      iterations: { type: 'string' },
      smoothness: { type: 'string' },
      'max-side': { type: 'string' },
      preprocess: { type: 'string', default: 'crop' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SEGMENT_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail('segment takes exactly one image file');
  if (!values.out) fail('segment needs --out FILE (the mask PNG)');
  const method = values.method as SaliencyMethodName;
  if (!SALIENCY_METHOD_NAMES.includes(method))
    fail(`--method must be one of ${SALIENCY_METHOD_NAMES.join(', ')}, got '${values.method}'`);
  const options = {
    blur: numberOption('blur', values.blur, d.blur, { min: 0, max: 64 }),
    iterations: numberOption('iterations', values.iterations, d.iterations, { min: 1, max: 100, integer: true }),
    smoothness: numberOption('smoothness', values.smoothness, d.smoothness, { min: 0, max: 10000 }),
    maxSide: numberOption('max-side', values['max-side'], d.maxSide, { min: 8, max: 4096, integer: true }),
  };
  const mode = parseMode(values.preprocess);
  const engine = await engineFrom(values);
  try {
    const t0 = performance.now();
    const image = await loadImage(positionals[0], mode);
    let classIndex: number | undefined;
    if (values.class !== undefined) {
      const cls = classArg(values.class, engine.labels);
      if (cls.note) process.stderr.write(`squeezelens: ${cls.note}\n`);
      classIndex = cls.index;
    }
    const t1 = performance.now();
    const map = await explain(engine.model, image.pixels, method, classIndex === undefined ? {} : { classIndex }, {
      onProgress: progressPrinter(values.json, SALIENCY_METHODS[method].title),
    });
    const saliencyMs = performance.now() - t1;
    const signed = map.stats.min < 0;
    const magnitude = signed ? { ...map, data: map.data.map(Math.abs) } : map;
    let s: ReturnType<typeof segmentFromSaliency>;
    try {
      s = segmentFromSaliency(image.rgba, magnitude, { ...options, geometry: image.pre.geometry });
    } catch (error) {
      throw new Error(`${image.file}: ${(error as Error).message}`);
    }
    const outputs: Record<string, string> = {};
    await writePng(values.out, maskPicture(s.mask, s.width, s.height));
    outputs.mask = values.out;
    if (values.cutout) {
      await writePng(values.cutout, cutout(image.rgba, s.mask));
      outputs.cutout = values.cutout;
    }
    const region = image.pre.geometry.region;
    const summary = {
      file: image.file,
      method: map.method,
      class: { index: map.classIndex, label: engine.labels[map.classIndex] },
      probability: round(map.probability),
      backend: engine.backend.backend,
      foregroundFraction: round(s.foregroundFraction),
      iterations: s.iterations,
      converged: s.converged,
      seeds: { foreground: s.seeds.foreground, background: s.seeds.background },
      sizes: {
        image: [s.width, s.height],
        grid: [s.grid.width, s.grid.height],
        map: [map.width, map.height],
        view: [region.x, region.y, region.width, region.height].map((v) => round(v, 2)),
      },
      ms: {
        saliency: round(saliencyMs, 1),
        segment: round(s.ms, 1),
        total: round(performance.now() - t0, 1),
      },
      outputs,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `${image.file}: ${(100 * s.foregroundFraction).toFixed(1)} % object for "${summary.class.label}" ` +
          `(${SALIENCY_METHODS[method].title} map), ${s.iterations} GrabCut round${s.iterations === 1 ? '' : 's'} ` +
          `on ${s.grid.width}×${s.grid.height}, ${summary.ms.total.toFixed(0)} ms on ${summary.backend}\n`,
      );
      for (const [kind, path] of Object.entries(outputs)) process.stdout.write(`  ${kind}: ${path}\n`);
    }
    return 0;
  } finally {
    engine.model.dispose();
  }
}

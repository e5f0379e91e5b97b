/**
 * The README's figures: one small picture per method, made from the test photos
 * (../shared/testdata/photos) by the same code the command line runs (cli/shared.ts's image
 * loading, the methods with their catalog defaults, render/ for maps, differences and sheets).
 *
 *   npm run figures                 → docs/figures/*.png (all of them, ~10 min on 2 busy cores)
 *   npm run figures -- invert fool  → only those
 *
 * Every cell is made at 224×224 (the network's view) and shrunk to CELL px for the README (at 224 px
 * the figures came to ~4 MB together: the saliency one alone was 512 KB; noise does not compress);
 * sheets add 4 px white gaps; no text is drawn into the pixels: the README says what each cell is.
 * The figures are committed: they illustrate the README. The time each figure took is printed
 * (and its file size), so the README can say it.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classArg, type LoadedImage, loadImage } from '../src/cli/shared.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { loadEngineNode, type NodeEngine } from '../src/engine/node.js';
import { INPUT } from '../src/engine/preprocess.js';
import { foolFromNoise } from '../src/methods/attack/from-noise.js';
import { runAttack } from '../src/methods/attack/index.js';
import { explain } from '../src/methods/explain/index.js';
import type { SaliencyMap } from '../src/methods/explain/saliency.js';
import { segmentFromSaliency } from '../src/methods/explain/segment.js';
import { invertLayers } from '../src/methods/synthesize/invert.js';
import { stylize } from '../src/methods/synthesize/stylize.js';
import { synthesizeTexture } from '../src/methods/synthesize/texture.js';
import { visualizeChannel } from '../src/methods/visualize/channel.js';
import { visualizeClass } from '../src/methods/visualize/class-visualization.js';
import { deepDream } from '../src/methods/visualize/deepdream.js';
import { cutout } from '../src/render/cutout.js';
import { magnifiedDifference } from '../src/render/difference.js';
import { colorize, normalizeMap, overlay } from '../src/render/overlay.js';
import { encodePng } from '../src/render/png.js';
import { contactSheet } from '../src/render/sheet.js';
import {
  ATTACK_DEFAULTS,
  DEFAULT_FOOL_CONFIDENCE,
  FOOL_MARGIN,
  SEGMENT_SALIENCY_METHOD,
} from '../src/shared/catalog.js';
import { type AnyImage, channelsOf } from '../src/shared/image.js';
import { resize } from '../src/shared/resample.js';
import { photos } from '../test/helpers/data.js';

const OUT = join(projectRoot(), 'docs', 'figures');
/** Side of each cell in the committed figures (antialiased shrink from 224). */
const CELL = 160;

function shrink(image: AnyImage): AnyImage {
  const channels = channelsOf(image);
  const data = resize(image.data, image.width, image.height, channels, CELL, CELL);
  return { width: CELL, height: CELL, data: Uint8ClampedArray.from(data, Math.round) };
}

/** Float or 8-bit pixels as an 8-bit image (rounded and clamped, as a PNG holds them). */
const bytes = (p: { width: number; height: number; data: ArrayLike<number> }): AnyImage => ({
  width: p.width,
  height: p.height,
  data: Uint8ClampedArray.from(p.data, Math.round),
});

/** Which test photo each figure uses (the file names are in ../shared/testdata/photos). */
const PHOTO = { owl: 0, cat: 2, monarch: 3, church: 8, horn: 9 } as const;
const photo = (k: keyof typeof PHOTO, mode: 'crop' | 'fit' = 'crop') => loadImage(photos()[PHOTO[k]].path, mode);
const view = (image: LoadedImage): AnyImage => ({ width: INPUT, height: INPUT, data: image.pre.pixels });

/** A map over the view as the popup draws it: each pixel's colour weighted by its own value (99th percentile = 1). */
function mapOver(image: LoadedImage, map: SaliencyMap): AnyImage {
  const magnitude = map.stats.min < 0 ? { ...map, data: map.data.map((v) => Math.max(0, v)) } : map;
  const t = normalizeMap(magnitude, { normalize: 'percentile', percentile: 99 });
  return overlay(view(image), colorize(t, INPUT, INPUT, 'inferno'), { opacity: 0.9, weights: t });
}

/** A transparent image over a light checkerboard, so the transparency shows in the README. */
function onCheckerboard(image: { width: number; height: number; data: ArrayLike<number> }): AnyImage {
  const data = new Uint8ClampedArray(image.width * image.height * 3);
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) {
      const p = y * image.width + x;
      const back = ((x >> 3) + (y >> 3)) % 2 ? 255 : 214;
      const a = image.data[p * 4 + 3] / 255;
      for (let c = 0; c < 3; c++) data[p * 3 + c] = image.data[p * 4 + c] * a + back * (1 - a);
    }
  return { width: image.width, height: image.height, data };
}

/** Class visualizations by name, made once (the noise figure shows gorilla's again). */
const visuals = new Map<string, ReturnType<typeof visualizeClass>>();
function visualization(engine: NodeEngine, name: string) {
  if (!visuals.has(name)) visuals.set(name, visualizeClass(engine.model, classArg(name, engine.labels).index));
  return visuals.get(name)!;
}

type Figure = (engine: NodeEngine) => Promise<{ cells: AnyImage[]; note: string }>;

const FIGURES: Record<string, Figure> = {
  async saliency(engine) {
    const image = await photo('monarch');
    const maps = [];
    for (const method of ['vanilla', 'smoothgrad', 'gradcam', 'occlusion'] as const)
      maps.push(await explain(engine.model, image.pixels, method));
    return {
      cells: [view(image), ...maps.map((m) => mapOver(image, m))],
      note: 'monarch: vanilla, SmoothGrad, Grad-CAM, occlusion',
    };
  },
  async fool(engine) {
    const image = await photo('cat');
    const target = classArg('gorilla', engine.labels).index;
    const r = await runAttack(engine.model, image.pixels, {
      method: 'cs231n',
      target,
      backend: engine.backend.backend,
      margin: FOOL_MARGIN,
      minProb: DEFAULT_FOOL_CONFIDENCE,
      ...ATTACK_DEFAULTS.cs231n,
    });
    const fooled = { width: INPUT, height: INPUT, data: r.pixels };
    return {
      cells: [view(image), fooled, magnifiedDifference(view(image), fooled)],
      note: `cat → gorilla: success ${r.success}, ${r.metrics.iterations} steps, p ${r.metrics.targetProbAfter?.toFixed(3)}`,
    };
  },
  async visualize(engine) {
    const cells = [];
    const notes = [];
    for (const name of ['gorilla', 'tarantula', 'king penguin']) {
      const r = await visualization(engine, name);
      cells.push(bytes(r.image));
      notes.push(`${name} p ${r.probability8bit.toFixed(3)}`);
    }
    return { cells, note: notes.join(', ') };
  },
  async noise(engine) {
    const gorilla = classArg('gorilla', engine.labels).index;
    const visual = await visualization(engine, 'gorilla');
    const r = await foolFromNoise(engine.model, gorilla, { backend: engine.backend.backend });
    return {
      cells: [bytes(visual.image), { width: INPUT, height: INPUT, data: r.pixels }],
      note: `visualization p ${visual.probability8bit.toFixed(3)}, noise p ${r.targetProb.toFixed(4)} in ${r.iterations} steps`,
    };
  },
  async dream(engine) {
    const image = await photo('church');
    const r = await deepDream(engine.model, view(image));
    return {
      cells: [view(image), bytes(r.image)],
      note: `fire5 ${r.objectiveBefore.toFixed(1)} → ${r.objectiveAfter.toFixed(1)}`,
    };
  },
  async invert(engine) {
    // As the CLI's `invert --layers`: the picture stretched to 224×224 ('fit'), then each layer.
    const image = await photo('monarch', 'fit');
    const results = await invertLayers(engine.model, image.pixels);
    return {
      cells: [bytes(image.pixels), ...results.map((r) => r.image)],
      note: results
        .map((r) => `${r.layer} ${r.lossStart.content.toFixed(0)}→${r.lossEnd.content.toFixed(0)}`)
        .join(', '),
    };
  },
  async texture(engine) {
    const style = await photo('church', 'fit');
    const r = await synthesizeTexture(engine.model, style.pixels);
    return {
      cells: [bytes(style.pixels), r.image],
      note: `style loss ${r.lossStart.style.toFixed(0)} → ${r.lossEnd.style.toFixed(0)}`,
    };
  },
  async stylize(engine) {
    const [content, style] = [await photo('monarch', 'fit'), await photo('church', 'fit')];
    const r = await stylize(engine.model, content.pixels, style.pixels);
    return {
      cells: [bytes(content.pixels), bytes(style.pixels), r.image],
      note: `composition-vii: style loss ${r.lossStart.style.toFixed(0)} → ${r.lossEnd.style.toFixed(0)}`,
    };
  },
  async channel(engine) {
    const cells = [];
    const notes = [];
    for (const neuron of [false, true]) {
      const r = await visualizeChannel(engine.model, { layer: 'fire6', channel: 17, neuron });
      cells.push({ width: INPUT, height: INPUT, data: r.pixels });
      notes.push(`${neuron ? 'neuron' : 'channel'} ${r.objectiveStart.toFixed(1)} → ${r.objectiveEnd.toFixed(1)}`);
    }
    return { cells, note: `fire6:17 ${notes.join(', ')}` };
  },
  async segment(engine) {
    const image = await photo('owl');
    const map = await explain(engine.model, image.pixels, SEGMENT_SALIENCY_METHOD);
    const s = segmentFromSaliency(view(image), map);
    return {
      cells: [view(image), mapOver(image, map), onCheckerboard(cutout(view(image), s.mask))],
      note: `foreground ${(100 * s.foregroundFraction).toFixed(1)} %`,
    };
  },
};

const asked = process.argv.slice(2);
for (const name of asked)
  if (!(name in FIGURES)) throw new Error(`no figure '${name}' (figures: ${Object.keys(FIGURES).join(', ')})`);
mkdirSync(OUT, { recursive: true });
const engine = await loadEngineNode({ backend: 'wasm' });
const started = performance.now();
try {
  for (const name of asked.length ? asked : Object.keys(FIGURES)) {
    const t0 = performance.now();
    const { cells, note } = await FIGURES[name](engine);
    const file = join(OUT, `${name}.png`);
    writeFileSync(file, await encodePng(contactSheet(cells.map(shrink), { columns: cells.length })));
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`${file}: ${(statSync(file).size / 1024).toFixed(0)} KB, ${s} s (${note})\n`);
  }
} finally {
  engine.model.dispose();
}
process.stdout.write(`all: ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

/**
 * The saliency-segmentation figure: each of the 12 test photos (../shared/testdata/photos) with
 * the background dimmed outside its mask, beside the blurred saliency map the seeds came from.
 *   npx tsx scripts/segment-figure.ts [--method vanilla|gradcam|…]   → out/segment-<method>.png
 * Nothing here is committed: the photos stay in ../shared.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeImage } from '../src/engine/decode-node.js';
import { loadEngineNode } from '../src/engine/node.js';
import { preprocess } from '../src/engine/preprocess.js';
import { pixelImage } from '../src/methods/common.js';
import { explain } from '../src/methods/explain/index.js';
import { segmentFromSaliency } from '../src/methods/explain/segment.js';
import { heatmap } from '../src/render/overlay.js';
import { encodePng } from '../src/render/png.js';
import { contactSheet } from '../src/render/sheet.js';
import { gaussianBlur } from '../src/shared/blur.js';
import { type SaliencyMethodName, SEGMENT_DEFAULTS, SEGMENT_SALIENCY_METHOD } from '../src/shared/catalog.js';
import type { AnyImage } from '../src/shared/image.js';
import { resize } from '../src/shared/resample.js';
import { photos } from '../test/helpers/data.js';

const { values } = parseArgs({ options: { method: { type: 'string', default: SEGMENT_SALIENCY_METHOD } } });
const method = values.method as SaliencyMethodName;
const engine = await loadEngineNode({ backend: 'wasm' });
const HEIGHT = 180;
const cells: AnyImage[] = [];
const labels: string[] = [];
for (const p of photos()) {
  const rgba = decodeImage(readFileSync(p.path), p.path);
  const pre = preprocess(rgba, 'crop');
  const map = await explain(engine.model, pixelImage(pre.pixels), method);
  const magnitude = map.stats.min < 0 ? { ...map, data: map.data.map(Math.abs) } : map;
  const s = segmentFromSaliency(rgba, magnitude, { geometry: pre.geometry });
  const dimmed = new Float32Array(rgba.data.length);
  for (let i = 0; i < s.mask.length; i++) {
    for (let c = 0; c < 3; c++) dimmed[i * 4 + c] = rgba.data[i * 4 + c] * (s.mask[i] ? 1 : 0.2);
    dimmed[i * 4 + 3] = 255;
  }
  const w = Math.round((rgba.width * HEIGHT) / rgba.height);
  cells.push({ width: w, height: HEIGHT, data: resize(dimmed, rgba.width, rgba.height, 4, w, HEIGHT) });
  const blurred = { width: 224, height: 224, data: gaussianBlur(magnitude.data, 224, 224, 1, SEGMENT_DEFAULTS.blur) };
  const heat = heatmap(blurred, { normalize: 'minmax', colormap: 'inferno' });
  cells.push({ width: HEIGHT, height: HEIGHT, data: resize(heat.data, 224, 224, 4, HEIGHT, HEIGHT) });
  labels.push(`${(100 * s.foregroundFraction).toFixed(1)}%`, method);
  process.stderr.write(`${p.file}: ${(100 * s.foregroundFraction).toFixed(1)} % (${s.ms.toFixed(0)} ms)\n`);
}
mkdirSync('out', { recursive: true });
const file = join('out', `segment-${method}.png`);
writeFileSync(file, await encodePng(contactSheet(cells, { columns: 6, labels })));
process.stdout.write(`${file}\n`);
engine.model.dispose();

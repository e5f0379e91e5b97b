/**
 * `npm run models`: resolves the pinned model data (see src/engine/model-data-node.ts), verifies
 * every checksum, and writes the format the extension loads into build/models/ (git-ignored):
 *   squeezenet1_1.float32.json + .bin, squeezenet1_1.float16.json + .bin, imagenet_classes.json
 * Each manifest records the SHA-256 of its binary so the extension can verify what it loads.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot, resolveModelData, sha256 } from '../src/engine/model-data-node.js';
import { LABELS_PATH, parseLabels } from '../src/engine/model-sources.js';
import { loadWeightsNode } from '../src/engine/node-weights.js';
import { packWeights } from '../src/engine/weights.js';

const out = join(projectRoot(), 'build', 'models');
const data = await resolveModelData({ log: (m) => console.log(m) });
console.log(`model data: ${data.origin} (${data.root}), ${data.files.size} files verified`);
await mkdir(out, { recursive: true });
const weights = await loadWeightsNode(data, 'float32');
for (const dtype of ['float32', 'float16'] as const) {
  const { manifest, bin } = packWeights(weights, dtype);
  await writeFile(join(out, `squeezenet1_1.${dtype}.bin`), bin);
  await writeFile(
    join(out, `squeezenet1_1.${dtype}.json`),
    JSON.stringify({ ...manifest, sha256: sha256(bin) }, null, 1),
  );
  console.log(`wrote squeezenet1_1.${dtype} (${(bin.length / 1e6).toFixed(2)} MB)`);
}
const labels = parseLabels(await readFile(data.files.get(LABELS_PATH)!, 'utf8'));
await writeFile(join(out, 'imagenet_classes.json'), JSON.stringify(labels));
console.log(`wrote ${out}`);

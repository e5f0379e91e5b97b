/**
 * Maintainer tool: (re)writes models/squeezenet1_1.sources.json from ../shared/models, pinning
 * each file by SHA-256 and size. Run only when the pinned model data deliberately changes.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..', 'shared', 'models');
const commit = 'f8bb0122e5253da9ac39e94979bbbd8ebc2709fd';
const polyfillRaw = 'https://raw.githubusercontent.com/webmachinelearning/webnn-polyfill';
const weightsUrl = `${polyfillRaw}/${commit}/test/models/squeezenet1.1_nchw/weights/`;
const entry = (path: string, url: string) => {
  const bytes = readFileSync(join(root, path));
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, url };
};
const weights = readdirSync(join(root, 'squeezenet1_1', 'weights'))
  .filter((f) => f.endsWith('.npy'))
  .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  .map((f) => entry(`squeezenet1_1/weights/${f}`, weightsUrl + f));
const manifest = {
  model: 'SqueezeNet 1.1 (ImageNet-1k), float32, NCHW/OIHW .npy per tensor',
  license: 'Apache-2.0 (webnn-polyfill); original SqueezeNet weights BSD (DeepScale)',
  provenance:
    `webmachinelearning/webnn-polyfill@${commit} test/models/squeezenet1.1_nchw/ (ONNX model zoo SqueezeNet 1.1); ` +
    'class names from pytorch/hub imagenet_classes.txt',
  files: [
    ...weights,
    entry('imagenet_classes.txt', 'https://raw.githubusercontent.com/pytorch/hub/master/imagenet_classes.txt'),
  ],
};
writeFileSync(
  join(import.meta.dirname, '..', 'models', 'squeezenet1_1.sources.json'),
  `${JSON.stringify(manifest, null, 2)}\n`,
);
console.log(`wrote ${manifest.files.length} entries`);

/**
 * The pinned list of model data files (committed as models/squeezenet1_1.sources.json):
 * each file's path inside a model-data root, its SHA-256, its size and its public URL.
 */
export interface SourceFile {
  path: string; // relative to the model-data root, e.g. squeezenet1_1/weights/squeezenet0_conv0_weight.npy
  sha256: string;
  bytes: number;
  url: string;
}

export interface SourcesManifest {
  model: string;
  license: string;
  provenance: string;
  files: SourceFile[];
}

export const WEIGHTS_SUBDIR = 'squeezenet1_1/weights';
export const LABELS_PATH = 'imagenet_classes.txt';

export function parseLabels(text: string): string[] {
  const labels = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (labels.length !== 1000) throw new Error(`class names: expected 1000 lines, found ${labels.length}`);
  return labels;
}

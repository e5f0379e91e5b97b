/**
 * The friendly face of the engine: `classify(image, { topk })`, with preprocessing beside the
 * model (as in tfjs-models' mobilenet). The same object serves the CLI, tests and the extension.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendReport } from './backend.js';
import { preprocess, type Geometry, type PreprocessMode, type RgbaImage } from './preprocess.js';
import { disposeResult, type SqueezeNet } from './squeezenet.js';

export interface ClassProb {
  index: number;
  label: string;
  prob: number;
}

export interface Classification {
  top: ClassProb[];
  geometry: Geometry;
  backend: BackendReport;
  /** preprocessing + network, wall clock */
  ms: number;
}

export function topK(probs: ArrayLike<number>, labels: readonly string[], k: number): ClassProb[] {
  const idx = Array.from({ length: probs.length }, (_, i) => i);
  idx.sort((a, b) => probs[b] - probs[a] || a - b);
  return idx.slice(0, k).map((index) => ({ index, label: labels[index], prob: probs[index] }));
}

export class Classifier {
  constructor(
    readonly model: SqueezeNet,
    readonly labels: readonly string[],
    readonly backend: BackendReport,
  ) {}

  async classify(image: RgbaImage, options: { topk?: number; preprocess?: PreprocessMode } = {}): Promise<Classification> {
    const t0 = performance.now();
    const { input, geometry } = preprocess(image, options.preprocess ?? 'crop');
    const probs = await this.probabilities(input);
    return { top: topK(probs, this.labels, options.topk ?? 5), geometry, backend: this.backend, ms: performance.now() - t0 };
  }

  /** Softmax probabilities for one preprocessed input (224·224·3). */
  async probabilities(input: Float32Array): Promise<Float32Array> {
    const x = tf.tensor4d(input, [1, 224, 224, 3]);
    try {
      const result = this.model.run(x);
      try {
        return (await result.probs.data()) as Float32Array;
      } finally {
        disposeResult(result);
      }
    } finally {
      x.dispose();
    }
  }
}

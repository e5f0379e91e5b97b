/**
 * The friendly face of the engine: `classify(image, { topk })`, with preprocessing beside the
 * model (as in tfjs-models' mobilenet). The same object serves the CLI, tests and the extension.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ClassProb, topK } from '../shared/classes.js';
import type { BackendReport } from './backend.js';
import { type Geometry, type PreprocessMode, preprocess, type RgbaImage } from './preprocess.js';
import { disposeResult, type SqueezeNet } from './squeezenet.js';

export interface Classification {
  top: ClassProb[];
  geometry: Geometry;
  backend: BackendReport;
  /** preprocessing + network, wall clock */
  ms: number;
}

export class Classifier {
  constructor(
    readonly model: SqueezeNet,
    readonly labels: readonly string[],
    readonly backend: BackendReport,
  ) {}

  async classify(
    image: RgbaImage,
    options: { topk?: number; preprocess?: PreprocessMode } = {},
  ): Promise<Classification> {
    const t0 = performance.now();
    const { input, geometry } = preprocess(image, options.preprocess ?? 'crop');
    const probs = await this.probabilities(input);
    return {
      top: topK(probs, this.labels, options.topk ?? 5),
      geometry,
      backend: this.backend,
      ms: performance.now() - t0,
    };
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

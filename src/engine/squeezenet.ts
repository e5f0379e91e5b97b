/**
 * SqueezeNet 1.1 on tfjs-core, NHWC, input H×W with each side in 64…512 (224×224 for
 * classification; the synthesis methods use the picture's own aspect ratio).
 *
 * One call, `run`, returns named outputs: logits (the reference network's output: the class map
 * after its final ReLU, averaged), pre-ReLU logits (the class map averaged before that ReLU),
 * probabilities, any named activations, and gradients of a caller-defined score with respect to
 * the input or any named activation. Methods (saliency, attacks, visualization) only ever talk to
 * this call, never to layers.
 *
 * The backward pass is written by hand rather than taken from `tf.grad`, for two reasons
 * (measured, see docs/platform.md, "Input gradients in TF.js"): the stock WASM backprop kernels
 * are ~12× slower than the forward pass, and the max-pool gradient's tie rule differs between
 * backends. Here every conv's input gradient is itself a forward convolution (transposed / flipped
 * kernels, precomputed once), and max-pool ties share the gradient equally, on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FIRES, type LayerName, MAX_INPUT_SIZE, MIN_INPUT_SIZE, NUM_CLASSES } from './architecture.js';
import {
  type BackwardWeights,
  backwardPass,
  type ConvParams,
  type FireParams,
  type FireTrace,
  type GradientTarget,
  type Seed,
  STAGES,
  stageOf,
  type Trace,
} from './backward.js';
import { conv0PhaseKernel, flipTranspose3x3, transpose1x1 } from './backward-kernels.js';
import { addAll } from './kernels/add-all.js';
import { Conv0Backward } from './kernels/conv0-backward.js';
import { Conv1x1 } from './kernels/conv1x1-split.js';
import { classHeads, concatChannels, conv1x1Sparse, maxPoolCeil, reluMask } from './kernels/ops.js';
import { Expand3x3, type WinogradWeightsWhen } from './kernels/winograd.js';
import type { ScoreFn } from './scores.js';
import type { ModelWeights } from './weights.js';

export type { GradientTarget };

/** What a score function sees: per-example heads, shape [N, 1000]. */
export interface ScoreHeads {
  logits: tf.Tensor2D;
  preReluLogits: tf.Tensor2D;
}

export interface RunOptions {
  /** Named activations to return. */
  activations?: readonly LayerName[];
  /**
   * A per-example score and its gradient w.r.t. the heads (see scores.ts). Gradients are of each
   * example's own score.
   */
  score?: ScoreFn;
  /**
   * Instead of a score on the heads, a per-example score on named activations (DeepDream, feature
   * visualization, synthesis losses): each `fn` gets its layer's activation and returns the value
   * and its gradient. Several scores (on the same or different layers) are summed and cost one
   * forward and one backward pass: each gradient joins the backward pass where it reaches that layer.
   */
  layerScore?: LayerScore | readonly LayerScore[];
  /** What to differentiate the score with respect to (default: the input). */
  gradients?: readonly GradientTarget[];
  /**
   * `false`: no logits, probabilities or head score — the forward pass stops at the deepest layer
   * the activations and layer scores need (a score on fire2 skips fire3 … the classifier: measured
   * below, README "Methods"). `'score'`: only the class columns the score declares it reads (its
   * `support`: one class for a class score) — the classifier's 512 → 1000 product and the heads
   * of the other 999 classes are skipped (1.1 of the pass's 11.4 kernel ms at 224, measured with
   * bench/gradient-profile.ts), for callers that need the score and its gradient but not the
   * logits (the gradient methods' samples); no logits or probabilities are returned. Default true.
   */
  heads?: boolean | 'score';
}

export interface LayerScore {
  layer: LayerName;
  fn: (activation: tf.Tensor4D) => { value: tf.Tensor1D; dActivation: tf.Tensor4D };
  /**
   * Score the layer before its final ReLU (conv1 and the fire modules; the class map has none):
   * `fn` gets the pre-activations and the backward pass starts under the ReLU. Activation
   * maximization needs it: a channel that is zero everywhere after its ReLU has no gradient
   * (on a grey start image 73 of fire6's 384 channels are, 419 of fire9's 512).
   */
  preRelu?: boolean;
}

export interface RunResult {
  logits: tf.Tensor2D;
  preReluLogits: tf.Tensor2D;
  probs: tf.Tensor2D;
  activations: Partial<Record<LayerName, tf.Tensor4D>>;
  gradients: Partial<Record<GradientTarget, tf.Tensor4D>>;
  /** per-example score values [N], when a score was given (the sum over several layer scores) */
  score?: tf.Tensor1D;
  /** with `layerScore`: each layer score's own values [N], in the order given */
  layerScores?: tf.Tensor1D[];
}

/** A run with `heads: false` or `'score'`: no heads. */
export type LayerRunResult = Omit<RunResult, 'logits' | 'preReluLogits' | 'probs'> &
  Partial<Pick<RunResult, 'logits' | 'preReluLogits' | 'probs'>>;

export class EngineInputError extends Error {}

/** Release everything a `run` returned. */
export function disposeResult(result: LayerRunResult): void {
  tf.dispose([
    result.logits ?? [],
    result.preReluLogits ?? [],
    result.probs ?? [],
    result.score ?? [],
    ...(result.layerScores ?? []),
    ...Object.values(result.activations),
    ...Object.values(result.gradients),
  ]);
}

export class SqueezeNet implements BackwardWeights {
  private readonly conv0: ConvParams;
  /** conv0 input gradient as a 2×2 conv whose 12 outputs are the 4 stride-2 phases × RGB */
  readonly conv0Back: tf.Tensor4D;
  readonly conv0Sparse: Conv0Backward;
  readonly fires: FireParams[];
  private readonly classifier: ConvParams;
  readonly classifierBack: tf.Tensor4D;
  private disposed = false;

  /** `winograd`: when the 3×3 convolutions' Winograd weights are made (kernels/winograd.ts; default 'now') */
  constructor(weights: ModelWeights, options: { winograd?: WinogradWeightsWhen } = {}) {
    const param = (name: string): ConvParams => {
      const w = weights[name];
      return { kernel: tf.tensor4d(w.kernel, w.kernelShape), bias: tf.tensor1d(w.bias) };
    };
    this.conv0 = param('conv0');
    this.conv0Back = tf.tensor4d(conv0PhaseKernel(weights.conv0.kernel), [2, 2, 64, 12]);
    this.conv0Sparse = new Conv0Backward(weights.conv0.kernel, 64);
    this.fires = FIRES.map((spec) => {
      const sq = weights[`conv${spec.conv}`];
      const e1 = weights[`conv${spec.conv + 1}`];
      const e3 = weights[`conv${spec.conv + 2}`];
      const squeezeBackValues = transpose1x1(sq.kernel, spec.inChannels, spec.squeeze);
      const squeezeBack = tf.tensor4d(squeezeBackValues, [1, 1, spec.squeeze, spec.inChannels]);
      const expand1BackValues = transpose1x1(e1.kernel, spec.squeeze, spec.expand);
      const expand1Back = tf.tensor4d(expand1BackValues, [1, 1, spec.expand, spec.squeeze]);
      return {
        spec,
        squeeze: param(`conv${spec.conv}`),
        expand1: param(`conv${spec.conv + 1}`),
        expand3: param(`conv${spec.conv + 2}`),
        squeezeBack,
        squeezeBack1x1: new Conv1x1(squeezeBack, squeezeBackValues),
        expand1Back,
        expand1Back1x1: new Conv1x1(expand1Back, expand1BackValues),
        expand3Back: tf.tensor4d(flipTranspose3x3(e3.kernel, spec.squeeze, spec.expand), [
          3,
          3,
          spec.expand,
          spec.squeeze,
        ]),
        e3: new Expand3x3(e3.kernel, spec.squeeze, spec.expand, options.winograd),
      };
    });
    this.classifier = param('conv25');
    this.classifierBack = tf.tensor4d(transpose1x1(weights.conv25.kernel, 512, NUM_CLASSES), [1, 1, NUM_CLASSES, 512]);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const all: tf.Tensor[] = [
      this.conv0.kernel,
      this.conv0.bias,
      this.conv0Back,
      this.classifier.kernel,
      this.classifier.bias,
      this.classifierBack,
    ];
    for (const f of this.fires) {
      all.push(
        f.squeeze.kernel,
        f.squeeze.bias,
        f.expand1.kernel,
        f.expand1.bias,
        f.expand3.kernel,
        f.expand3.bias,
        f.squeezeBack,
        f.expand1Back,
        f.expand3Back,
      );
      f.e3.dispose();
      f.squeezeBack1x1.dispose();
      f.expand1Back1x1.dispose();
    }
    tf.dispose(all);
    this.conv0Sparse.dispose();
  }

  /**
   * Forward (and, with `score` or `layerScore`, backward) on a preprocessed NHWC batch
   * [N,H,W,3] (H, W in 64…512; the network's own size is 224×224). The caller owns every tensor in the result (see `disposeResult`); nothing else
   * survives.
   */
  run(input: tf.Tensor4D, options: RunOptions & { heads: false | 'score' }): LayerRunResult;
  run(input: tf.Tensor4D, options?: RunOptions): RunResult;
  run(input: tf.Tensor4D, options: RunOptions = {}): LayerRunResult {
    if (this.disposed) throw new EngineInputError('this model has been disposed');
    const [, h, w, c] = input.shape;
    const sideOk = (s: number) => Number.isInteger(s) && s >= MIN_INPUT_SIZE && s <= MAX_INPUT_SIZE;
    if (input.rank !== 4 || c !== 3 || !sideOk(h) || !sideOk(w)) {
      throw new EngineInputError(
        `input must be [N, H, W, 3] with H and W in ${MIN_INPUT_SIZE}…${MAX_INPUT_SIZE} (224 for classification), got [${input.shape.join(', ')}]`,
      );
    }
    if (input.dtype !== 'float32') throw new EngineInputError(`input must be float32, got ${input.dtype}`);
    const layerScores: readonly LayerScore[] =
      options.layerScore === undefined
        ? []
        : Array.isArray(options.layerScore)
          ? (options.layerScore as readonly LayerScore[])
          : [options.layerScore as LayerScore];
    if (options.score && layerScores.length) throw new EngineInputError('give either score or layerScore, not both');
    const heads = options.heads ?? true;
    if (options.score && !heads) throw new EngineInputError('a score on the heads needs heads');
    // heads: 'score' → the classifier columns of the score's support only
    let columns: readonly number[] | null = null;
    if (heads === 'score') {
      columns = options.score?.support ?? null;
      if (!columns?.length)
        throw new EngineInputError("heads: 'score' needs a score that declares the classes it reads (its support)");
      const whole = [...(options.activations ?? []), ...(options.gradients ?? [])].filter((t) =>
        t.startsWith('classifier'),
      );
      if (whole.length)
        throw new EngineInputError(
          `heads: 'score' computes only the score's classes; ${whole.join(', ')} need all 1000`,
        );
    }
    const scored = Boolean(options.score || layerScores.length);
    const wantGradients = scored ? (options.gradients ?? ['input']) : [];
    if (!scored && options.gradients?.length) {
      throw new EngineInputError('gradients were requested without a score function');
    }
    if (layerScores.length) {
      const from = Math.min(...layerScores.map((l) => stageOf(l.layer)));
      const above = wantGradients.filter((t) => stageOf(t) < from);
      if (above.length)
        throw new EngineInputError(
          `cannot differentiate a score on ${STAGES[from]} w.r.t. ${above.join(', ')}, which come after it`,
        );
    }
    // How far the forward pass must go: all the way for the heads, else the deepest layer asked for.
    const layers = [...(options.activations ?? []), ...layerScores.map((l) => l.layer)];
    const depth = heads ? FIRES.length + 1 : Math.max(0, ...layers.map(forwardDepth));
    // tidy keeps exactly the tensors found in the returned object and frees every other one.
    return tf.tidy(() => {
      const trace = this.forward(input, depth, columns);
      const activations: RunResult['activations'] = {};
      for (const name of options.activations ?? []) activations[name] = this.activation(trace, name);
      const result: LayerRunResult = { activations, gradients: {} };
      let scoreHeads: ScoreHeads | null = null;
      if (columns) {
        // the support's columns of both heads, placed in [N, 1000] rows that are zero elsewhere
        const { preReluLogits, logits } = classHeads(trace.classifier!);
        scoreHeads = { logits: spreadColumns(logits, columns), preReluLogits: spreadColumns(preReluLogits, columns) };
      } else if (heads) {
        const { preReluLogits, logits } = classHeads(trace.classifier!);
        Object.assign(result, { logits, preReluLogits, probs: tf.softmax(logits) as tf.Tensor2D });
        scoreHeads = { logits, preReluLogits };
      }
      if (options.score) {
        const seed = options.score(scoreHeads!);
        result.score = seed.value;
        const start = this.headSeed(
          trace,
          seed.dLogits ?? null,
          seed.dPreReluLogits ?? null,
          seed.classes ?? null,
          wantGradients,
        );
        result.gradients = backwardPass(this, trace, [start.seed], start.emitted, wantGradients);
      } else if (layerScores.length) {
        const seeds: Seed[] = [];
        const values: tf.Tensor1D[] = [];
        for (const { layer, fn, preRelu } of layerScores) {
          const act = preRelu ? this.preActivation(trace, layer) : this.activation(trace, layer);
          const seed = fn(act);
          if (seed.dActivation.shape.join() !== act.shape.join()) {
            throw new EngineInputError(
              `layerScore gradient has shape [${seed.dActivation.shape}], the ${layer} activation [${act.shape}]`,
            );
          }
          values.push(seed.value);
          seeds.push({ stage: stageOf(layer), d: seed.dActivation, underRelu: preRelu });
        }
        result.score = addAll(values);
        result.layerScores = values;
        result.gradients = backwardPass(this, trace, seeds, {}, wantGradients);
      }
      return result as unknown as tf.TensorContainer;
    }) as unknown as LayerRunResult;
  }

  /**
   * The forward pass through `depth` fire modules (0: conv1 and pool1 only; FIRES.length + 1: the
   * classifier — all 1000 class maps, or only `columns`').
   */
  private forward(x: tf.Tensor4D, depth: number, columns: readonly number[] | null = null): Trace {
    const conv1 = tf.fused.conv2d({
      x,
      filter: this.conv0.kernel,
      bias: this.conv0.bias,
      strides: 2,
      pad: 'valid',
      activation: 'relu',
    });
    const pool1 = maxPoolCeil(conv1);
    const fires: FireTrace[] = [];
    const pools = new Map<number, tf.Tensor4D>();
    let h = pool1;
    for (const [k, f] of this.fires.slice(0, depth).entries()) {
      const conv = (x: tf.Tensor4D, p: ConvParams, pad: 'valid' | 'same') =>
        tf.fused.conv2d({ x, filter: p.kernel, bias: p.bias, strides: 1, pad, activation: 'relu' });
      const squeezed = conv(h, f.squeeze, 'valid');
      const e3 = f.e3.forward.apply(squeezed, f.expand3.kernel, f.expand3.bias, true);
      const output = concatChannels(conv(squeezed, f.expand1, 'valid'), e3);
      fires.push({ squeezed, output });
      h = output;
      if (f.spec.poolAfter) {
        h = maxPoolCeil(output);
        pools.set(k, h);
      }
    }
    let classifier: tf.Tensor4D | undefined;
    let columnsBack: tf.Tensor4D | undefined;
    if (depth > FIRES.length && columns) {
      const idx = tf.tensor1d(columns as number[], 'int32');
      // One gather of the transposed classifier's rows (contiguous) serves both passes; for one
      // class its row [1,1,1,512] is, as memory, the forward kernel's column [1,1,512,1].
      columnsBack = tf.gather(this.classifierBack, idx, 2) as tf.Tensor4D;
      const kernel =
        columns.length === 1 ? tf.reshape(columnsBack, [1, 1, 512, 1]) : tf.transpose(columnsBack, [0, 1, 3, 2]);
      // bias added apart: WASM's gather keeps a rank-4 shape on its output's data, which the
      // fused conv's bias check reads ("only supports rank-1 bias")
      const z = tf.conv2d(h, kernel as tf.Tensor4D, 1, 'valid');
      classifier = tf.add(z, tf.gather(this.classifier.bias, idx)) as tf.Tensor4D;
    } else if (depth > FIRES.length) {
      // fire9's output is ~90 % zeros (after its ReLU): the classifier skips them on WASM.
      classifier = conv1x1Sparse(h, this.classifier.kernel, this.classifier.bias);
    }
    return { input: x, conv1, pool1, fires, pools, classifier, columns: columns ?? undefined, columnsBack };
  }

  /** A layer's values before its final ReLU (recomputed: the forward pass fuses the ReLU). */
  private preActivation(trace: Trace, name: LayerName): tf.Tensor4D {
    if (name === 'classifier' || name === 'classifier_relu') return trace.classifier!;
    const conv = (x: tf.Tensor4D, p: ConvParams, strides: number, pad: 'valid' | 'same') =>
      tf.fused.conv2d({ x, filter: p.kernel, bias: p.bias, strides, pad });
    if (name === 'conv1') return conv(trace.input, this.conv0, 2, 'valid');
    const k = FIRES.findIndex((f) => f.name === name);
    const { squeezed } = trace.fires[k];
    return tf.concat(
      [conv(squeezed, this.fires[k].expand1, 1, 'valid'), conv(squeezed, this.fires[k].expand3, 1, 'same')],
      3,
    );
  }

  private activation(trace: Trace, name: LayerName): tf.Tensor4D {
    if (name === 'conv1') return trace.conv1;
    if (name === 'classifier') return trace.classifier!;
    if (name === 'classifier_relu') return tf.relu(trace.classifier!);
    return trace.fires[FIRES.findIndex((f) => f.name === name)].output;
  }

  /**
   * Where the backward pass starts for a score on the heads: the gradient w.r.t. the class map
   * (or, with the few-classes shortcut, already w.r.t. fire9's output).
   */
  private headSeed(
    trace: Trace,
    dLogits: tf.Tensor2D | null,
    dPre: tf.Tensor2D | null,
    classes: readonly number[] | null,
    targets: readonly GradientTarget[],
  ): { seed: Seed; emitted: RunResult['gradients'] } {
    const z = trace.classifier!;
    const [n, gh, gw] = z.shape;
    const cells = gh * gw;
    // logits = mean(relu(Z)) and preReluLogits = mean(Z) over the gh×gw cells of the class map Z (13×13 at 224).
    const perCell = (d: tf.Tensor2D) => tf.reshape(tf.div(d, cells), [n, 1, 1, d.shape[1]]);
    const dMap = (z: tf.Tensor4D, dl: tf.Tensor2D | null, dp: tf.Tensor2D | null): tf.Tensor4D => {
      // a few columns: the mask times the per-cell gradient, broadcast (no tiled copy to mask)
      const masked = (dl: tf.Tensor2D) =>
        z.shape[3] < 4 ? tf.mul(tf.step(z), perCell(dl)) : reluMask(tf.broadcastTo(perCell(dl), z.shape), z);
      let d = (dl ? masked(dl) : tf.zerosLike(z)) as tf.Tensor4D;
      if (dp) d = tf.add(d, perCell(dp)) as tf.Tensor4D;
      return d;
    };
    const emitted: RunResult['gradients'] = {};
    if (targets.includes('classifier_relu')) {
      emitted.classifier_relu = (dLogits ? tf.broadcastTo(perCell(dLogits), z.shape) : tf.zerosLike(z)) as tf.Tensor4D;
    }
    // A 'score' run's class map holds only its support's columns: the seed must live there too.
    const narrowed = trace.columns ?? null;
    if (narrowed && classes?.some((c) => !narrowed.includes(c)))
      throw new EngineInputError(`the score's gradient reaches classes outside its declared support`);
    const columns = narrowed ?? (classes && !targets.includes('classifier') ? classes : null);
    if (columns) {
      // The score's gradient lives on a few classes only (e.g. one class score): back-propagate
      // through those columns of the 512 → 1000 classifier instead of all 1000.
      const idx = tf.tensor1d(columns as number[], 'int32');
      const pick = (t: tf.Tensor2D | null) => (t ? (tf.gather(t, idx, 1) as tf.Tensor2D) : null);
      const zc = narrowed ? z : (tf.gather(z, idx, 3) as tf.Tensor4D);
      const dZ = dMap(zc, pick(dLogits), pick(dPre));
      const back = trace.columnsBack ?? (tf.gather(this.classifierBack, idx, 2) as tf.Tensor4D);
      const d = tf.conv2d(dZ, back, 1, 'valid');
      return { seed: { stage: stageOf('fire9'), d }, emitted };
    }
    return { seed: { stage: stageOf('classifier'), d: dMap(z, dLogits, dPre) }, emitted };
  }
}

/** Fire modules the forward pass must run to produce a layer (the class map: all, and the classifier). */
function forwardDepth(layer: LayerName): number {
  if (layer === 'conv1') return 0;
  if (layer === 'classifier' || layer === 'classifier_relu') return FIRES.length + 1;
  return FIRES.findIndex((f) => f.name === layer) + 1;
}

/**
 * Heads of a few class columns [N,k] placed in [N,1000] rows that are zero elsewhere: for one
 * class a pad (one op), else a product with the columns' one-hot rows.
 */
function spreadColumns(t: tf.Tensor2D, columns: readonly number[]): tf.Tensor2D {
  if (columns.length === 1)
    return tf.pad(t, [
      [0, 0],
      [columns[0], NUM_CLASSES - 1 - columns[0]],
    ]);
  const place = tf.oneHot(tf.tensor1d(columns as number[], 'int32'), NUM_CLASSES);
  return tf.matMul(t, tf.cast(place, 'float32')) as tf.Tensor2D;
}

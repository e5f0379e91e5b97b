/**
 * SqueezeNet 1.1 on tfjs-core, NHWC, input fixed at 224×224.
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
import { FIRES, type FireSpec, INPUT_SIZE, type LayerName, NUM_CLASSES } from './architecture.js';
import { conv0PhaseKernel, flipTranspose3x3, transpose1x1 } from './backward-kernels.js';
import { Conv0Backward } from './kernels/conv0-backward.js';
import {
  classHeads,
  concatChannels,
  conv1x1Sparse,
  depthToSpace2,
  maxPoolBackward,
  reluMask,
  reluMaskSplit,
} from './kernels/ops.js';
import { Expand3x3 } from './kernels/winograd.js';
import type { ScoreFn } from './scores.js';
import type { ModelWeights } from './weights.js';

export type GradientTarget = 'input' | LayerName;

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
   * Instead of a score on the heads, a per-example score on one named activation (DeepDream,
   * feature visualization): `fn` gets that activation and returns the value and its gradient.
   */
  layerScore?: LayerScore;
  /** What to differentiate the score with respect to (default: the input). */
  gradients?: readonly GradientTarget[];
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
  /** per-example score values [N], when a score was given */
  score?: tf.Tensor1D;
}

export class EngineInputError extends Error {}

interface ConvParams {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

interface FireParams {
  spec: FireSpec;
  squeeze: ConvParams;
  expand1: ConvParams;
  expand3: ConvParams;
  /** squeeze input gradient: 1×1, [1,1,squeeze,in] */
  squeezeBack: tf.Tensor4D;
  /** expand-1×1 input gradient: its kernel transposed, [1,1,expand,squeeze] */
  expand1Back: tf.Tensor4D;
  /** expand-3×3 input gradient ("same" conv): its kernel flipped and transposed, [3,3,expand,squeeze] */
  expand3Back: tf.Tensor4D;
  /** expand-3×3 and its input gradient: Winograd on WASM where faster, else XNNPACK (kernels/winograd.ts) */
  e3: Expand3x3;
}

interface FireTrace {
  squeezed: tf.Tensor4D; // after ReLU
  output: tf.Tensor4D; // concat of both expands, after ReLU
}

interface Trace {
  input: tf.Tensor4D;
  conv1: tf.Tensor4D;
  pool1: tf.Tensor4D;
  fires: FireTrace[];
  pools: Map<number, tf.Tensor4D>; // fire index → pooled output
  classifier: tf.Tensor4D; // pre-ReLU
}

/** Release everything a `run` returned. */
export function disposeResult(result: RunResult): void {
  tf.dispose([
    result.logits,
    result.preReluLogits,
    result.probs,
    result.score ?? [],
    ...Object.values(result.activations),
    ...Object.values(result.gradients),
  ]);
}

export class SqueezeNet {
  private readonly conv0: ConvParams;
  /** conv0 input gradient as a 2×2 conv whose 12 outputs are the 4 stride-2 phases × RGB */
  private readonly conv0Back: tf.Tensor4D;
  /** the same gradient on WASM, skipping the zeros the max-pool and ReLU leave (kernels/conv0-backward.ts) */
  private readonly conv0Sparse: Conv0Backward;
  private readonly fires: FireParams[];
  private readonly classifier: ConvParams;
  private readonly classifierBack: tf.Tensor4D;
  private disposed = false;

  constructor(weights: ModelWeights) {
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
      return {
        spec,
        squeeze: param(`conv${spec.conv}`),
        expand1: param(`conv${spec.conv + 1}`),
        expand3: param(`conv${spec.conv + 2}`),
        squeezeBack: tf.tensor4d(transpose1x1(sq.kernel, spec.inChannels, spec.squeeze), [
          1,
          1,
          spec.squeeze,
          spec.inChannels,
        ]),
        expand1Back: tf.tensor4d(transpose1x1(e1.kernel, spec.squeeze, spec.expand), [1, 1, spec.expand, spec.squeeze]),
        expand3Back: tf.tensor4d(flipTranspose3x3(e3.kernel, spec.squeeze, spec.expand), [
          3,
          3,
          spec.expand,
          spec.squeeze,
        ]),
        e3: new Expand3x3(e3.kernel, spec.squeeze, spec.expand),
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
    }
    tf.dispose(all);
    this.conv0Sparse.dispose();
  }

  /**
   * Forward (and, with `score`, backward) on a preprocessed NHWC batch [N,224,224,3].
   * The caller owns every tensor in the result (see `disposeResult`); nothing else survives.
   */
  run(input: tf.Tensor4D, options: RunOptions = {}): RunResult {
    if (this.disposed) throw new EngineInputError('this model has been disposed');
    const [, h, w, c] = input.shape;
    if (h !== INPUT_SIZE || w !== INPUT_SIZE || c !== 3 || input.rank !== 4) {
      throw new EngineInputError(`input must be [N, ${INPUT_SIZE}, ${INPUT_SIZE}, 3], got [${input.shape.join(', ')}]`);
    }
    if (input.dtype !== 'float32') throw new EngineInputError(`input must be float32, got ${input.dtype}`);
    if (options.score && options.layerScore) throw new EngineInputError('give either score or layerScore, not both');
    const scored = Boolean(options.score || options.layerScore);
    const wantGradients = scored ? (options.gradients ?? ['input']) : [];
    if (!scored && options.gradients?.length) {
      throw new EngineInputError('gradients were requested without a score function');
    }
    if (options.layerScore) {
      const from = STAGES.indexOf(options.layerScore.layer);
      const above = wantGradients.filter((t) => STAGES.indexOf(t) < from);
      if (above.length)
        throw new EngineInputError(
          `cannot differentiate a score on ${options.layerScore.layer} w.r.t. ${above.join(', ')}, which come after it`,
        );
    }
    // tidy keeps exactly the tensors found in the returned object and frees every other one.
    return tf.tidy(() => {
      const trace = this.forward(input);
      const { preReluLogits, logits } = classHeads(trace.classifier);
      const probs = tf.softmax(logits) as tf.Tensor2D;
      const activations: RunResult['activations'] = {};
      for (const name of options.activations ?? []) activations[name] = this.activation(trace, name);
      const result: RunResult = { logits, preReluLogits, probs, activations, gradients: {} };
      if (options.score) {
        const seed = options.score({ logits, preReluLogits });
        result.score = seed.value;
        result.gradients = this.backward(
          trace,
          this.headSeed(trace, seed.dLogits ?? null, seed.dPreReluLogits ?? null, seed.classes ?? null, wantGradients),
          wantGradients,
        );
      } else if (options.layerScore) {
        const { layer, fn, preRelu } = options.layerScore;
        const act = preRelu ? this.preActivation(trace, layer) : this.activation(trace, layer);
        const seed = fn(act);
        if (seed.dActivation.shape.join() !== act.shape.join()) {
          throw new EngineInputError(
            `layerScore gradient has shape [${seed.dActivation.shape}], the ${layer} activation [${act.shape}]`,
          );
        }
        result.score = seed.value;
        result.gradients = this.backward(
          trace,
          { stage: STAGES.indexOf(layer), d: seed.dActivation, emitted: {}, underRelu: preRelu },
          wantGradients,
        );
      }
      return result as unknown as tf.TensorContainer;
    }) as unknown as RunResult;
  }

  private forward(x: tf.Tensor4D): Trace {
    const conv1 = tf.fused.conv2d({
      x,
      filter: this.conv0.kernel,
      bias: this.conv0.bias,
      strides: 2,
      pad: 'valid',
      activation: 'relu',
    });
    const pool1 = tf.maxPool(conv1, 3, 2, 'valid');
    const fires: FireTrace[] = [];
    const pools = new Map<number, tf.Tensor4D>();
    let h = pool1;
    this.fires.forEach((f, k) => {
      const squeezed = tf.fused.conv2d({
        x: h,
        filter: f.squeeze.kernel,
        bias: f.squeeze.bias,
        strides: 1,
        pad: 'valid',
        activation: 'relu',
      });
      const e1 = tf.fused.conv2d({
        x: squeezed,
        filter: f.expand1.kernel,
        bias: f.expand1.bias,
        strides: 1,
        pad: 'valid',
        activation: 'relu',
      });
      const e3 = f.e3.forward.apply(squeezed, f.expand3.kernel, f.expand3.bias, true);
      const output = concatChannels(e1, e3);
      fires.push({ squeezed, output });
      h = output;
      if (f.spec.poolAfter) {
        h = tf.maxPool(output, 3, 2, 'valid');
        pools.set(k, h);
      }
    });
    // fire9's output is ~90 % zeros (after its ReLU): the classifier skips them on WASM.
    const classifier = conv1x1Sparse(h, this.classifier.kernel, this.classifier.bias);
    return { input: x, conv1, pool1, fires, pools, classifier };
  }

  /** A layer's values before its final ReLU (recomputed: the forward pass fuses the ReLU). */
  private preActivation(trace: Trace, name: LayerName): tf.Tensor4D {
    if (name === 'classifier' || name === 'classifier_relu') return trace.classifier;
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
    if (name === 'classifier') return trace.classifier;
    if (name === 'classifier_relu') return tf.relu(trace.classifier);
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
  ): Start {
    const [n, gh, gw] = trace.classifier.shape;
    const cells = gh * gw;
    // logits = mean(relu(Z)) and preReluLogits = mean(Z) over the 13×13 cells of the class map Z.
    const perCell = (d: tf.Tensor2D) => tf.reshape(tf.div(d, cells), [n, 1, 1, d.shape[1]]);
    const dMap = (z: tf.Tensor4D, dl: tf.Tensor2D | null, dp: tf.Tensor2D | null): tf.Tensor4D => {
      let d = (dl ? reluMask(tf.broadcastTo(perCell(dl), z.shape), z) : tf.zerosLike(z)) as tf.Tensor4D;
      if (dp) d = tf.add(d, perCell(dp)) as tf.Tensor4D;
      return d;
    };
    const emitted: Start['emitted'] = {};
    if (targets.includes('classifier_relu')) {
      emitted.classifier_relu = (
        dLogits ? tf.broadcastTo(perCell(dLogits), trace.classifier.shape) : tf.zerosLike(trace.classifier)
      ) as tf.Tensor4D;
    }
    if (classes && !targets.includes('classifier')) {
      // The score's gradient lives on a few classes only (e.g. one class score): back-propagate
      // through those columns of the 512 → 1000 classifier instead of all 1000.
      const idx = tf.tensor1d(classes as number[], 'int32');
      const pick = (t: tf.Tensor2D | null) => (t ? (tf.gather(t, idx, 1) as tf.Tensor2D) : null);
      const dZ = dMap(tf.gather(trace.classifier, idx, 3) as tf.Tensor4D, pick(dLogits), pick(dPre));
      return {
        stage: STAGES.indexOf('fire9'),
        d: tf.conv2d(dZ, tf.gather(this.classifierBack, idx, 2) as tf.Tensor4D, 1, 'valid'),
        emitted,
      };
    }
    return { stage: STAGES.indexOf('classifier'), d: dMap(trace.classifier, dLogits, dPre), emitted };
  }

  /**
   * Reverse-mode pass down the chain of stages (classifier_relu → classifier → fire9 … fire2 →
   * conv1 → input) from the starting stage to the deepest requested target; stops there.
   */
  private backward(trace: Trace, start: Start, targets: readonly GradientTarget[]): RunResult['gradients'] {
    const out: RunResult['gradients'] = { ...start.emitted };
    if (targets.length === 0) return out;
    const want = new Set(targets);
    const deepest = Math.max(...targets.map((t) => STAGES.indexOf(t)));
    let d = start.d;
    for (let stage = start.stage; ; stage++) {
      const name = STAGES[stage];
      if (want.has(name)) out[name] = d;
      if (stage >= deepest) return out;
      d = this.stepDown(trace, name, d, !(start.underRelu && stage === start.stage));
    }
  }

  /** Gradient w.r.t. one stage's output → gradient w.r.t. the next stage down's output. */
  private stepDown(trace: Trace, stage: GradientTarget, d: tf.Tensor4D, throughRelu = true): tf.Tensor4D {
    if (stage === 'classifier_relu') return throughRelu ? reluMask(d, trace.classifier) : d;
    if (stage === 'classifier') return tf.conv2d(d, this.classifierBack, 1, 'valid');
    if (stage === 'conv1') {
      const masked = throughRelu ? reluMask(d, trace.conv1) : d;
      if (this.conv0Sparse.active()) return this.conv0Sparse.apply(masked);
      // Stride-2 valid 3×3 conv backward as one 2×2 conv over the padded gradient, one output
      // group per (row phase, column phase), then interleaved by depth-to-space: 224×224×3.
      const phases = tf.conv2d(
        tf.pad(masked, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        this.conv0Back,
        1,
        'valid',
      );
      return depthToSpace2(phases);
    }
    // A fire module: from its output back to its input, which is the previous module's output
    // (through a max-pool when one sits between them) or, for fire2, conv1 through pool1.
    const k = FIRES.findIndex((f) => f.name === stage);
    const f = this.fires[k];
    const ft = trace.fires[k];
    // output = [ReLU(expand1) ‖ ReLU(expand3)]
    const [d1, d3] = throughRelu ? reluMaskSplit(d, ft.output) : (tf.split(d, 2, 3) as [tf.Tensor4D, tf.Tensor4D]);
    const dSqueezed = tf.add(
      tf.conv2d(d1, f.expand1Back, 1, 'valid'),
      f.e3.backward.apply(d3, f.expand3Back, null, false),
    ) as tf.Tensor4D;
    const dIn = tf.conv2d(reluMask(dSqueezed, ft.squeezed), f.squeezeBack, 1, 'valid');
    if (k === 0) return maxPoolBackward(trace.conv1, trace.pool1, dIn);
    if (FIRES[k - 1].poolAfter) return maxPoolBackward(trace.fires[k - 1].output, trace.pools.get(k - 1)!, dIn);
    return dIn;
  }
}

/** The backward chain, top to bottom. */
const STAGES: readonly GradientTarget[] = [
  'classifier_relu',
  'classifier',
  ...[...FIRES].reverse().map((f) => f.name),
  'conv1',
  'input',
];

interface Start {
  stage: number;
  d: tf.Tensor4D;
  /** gradients already produced above the start (classifier_relu for head scores) */
  emitted: RunResult['gradients'];
  /** `d` is the gradient under the start stage's ReLU (LayerScore.preRelu) */
  underRelu?: boolean;
}

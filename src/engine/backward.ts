/**
 * The engine's hand-written reverse-mode pass (see squeezenet.ts for why it is not tf.grad): from
 * one or more seeds — gradients w.r.t. named stages, where scores were taken — down the chain of
 * stages to the deepest requested target. Several seeds make one pass: each is added where the pass
 * reaches its stage, so a loss on k layers (style transfer: 4 style layers + the content layer)
 * costs one backward pass, not k.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FIRES, type FireSpec, type LayerName } from './architecture.js';
import type { Conv0Backward } from './kernels/conv0-backward.js';
import type { Conv1x1 } from './kernels/conv1x1-split.js';
import {
  fireBackwardSparse,
  keptFraction,
  SPARSE_FIRE_MAX_KEPT,
  sparseFireBackwardFits,
} from './kernels/fire-backward.js';
import { depthToSpace2, maxPoolBackwardSplit, maxPoolCeilBackward, reluMask, reluMaskSplit } from './kernels/ops.js';
import type { Expand3x3 } from './kernels/winograd.js';

export type GradientTarget = 'input' | LayerName;

export interface ConvParams {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

export interface FireParams {
  spec: FireSpec;
  squeeze: ConvParams;
  expand1: ConvParams;
  expand3: ConvParams;
  /** squeeze input gradient: 1×1, [1,1,squeeze,in] */
  squeezeBack: tf.Tensor4D;
  /** the same by our 1×1 kernel, plain or stored masked and split for the fire module below */
  squeezeBack1x1: Conv1x1;
  /** expand-1×1 input gradient: its kernel transposed, [1,1,expand,squeeze] */
  expand1Back: tf.Tensor4D;
  /** the same by our 1×1 kernel */
  expand1Back1x1: Conv1x1;
  /** expand-3×3 input gradient ("same" conv): its kernel flipped and transposed, [3,3,expand,squeeze] */
  expand3Back: tf.Tensor4D;
  /** expand-3×3 and its input gradient: Winograd on WASM where faster, else XNNPACK (kernels/winograd.ts) */
  e3: Expand3x3;
}

/** The precomputed backward kernels the pass needs. */
export interface BackwardWeights {
  fires: readonly FireParams[];
  /** conv0 input gradient as a 2×2 conv whose 12 outputs are the 4 stride-2 phases × RGB */
  conv0Back: tf.Tensor4D;
  /** the same gradient on WASM, skipping the zeros the max-pool and ReLU leave (kernels/conv0-backward.ts) */
  conv0Sparse: Conv0Backward;
  classifierBack: tf.Tensor4D;
}

export interface FireTrace {
  squeezed: tf.Tensor4D; // after ReLU
  output: tf.Tensor4D; // concat of both expands, after ReLU
}

/** What the forward pass keeps. It may stop early (no score on the heads): then `fires` is short. */
export interface Trace {
  input: tf.Tensor4D;
  conv1: tf.Tensor4D;
  pool1: tf.Tensor4D;
  fires: FireTrace[];
  pools: Map<number, tf.Tensor4D>; // fire index → pooled output
  classifier?: tf.Tensor4D; // pre-ReLU
  /** the classes `classifier` holds, in its channel order, when not all 1000 (a heads: 'score' run) */
  columns?: readonly number[];
  /** with `columns`: their rows of the classifier's input-gradient kernel, [1,1,k,512] (one gather for both passes) */
  columnsBack?: tf.Tensor4D;
}

/** The backward chain, top to bottom. */
export const STAGES: readonly GradientTarget[] = [
  'classifier_relu',
  'classifier',
  ...[...FIRES].reverse().map((f) => f.name),
  'conv1',
  'input',
];

export const stageOf = (name: GradientTarget): number => STAGES.indexOf(name);

/** A gradient w.r.t. a stage's output, or (underRelu) w.r.t. its values before its final ReLU. */
export interface Seed {
  stage: number;
  d: tf.Tensor4D;
  underRelu?: boolean;
}

/**
 * Reverse-mode pass from the seeds to the deepest requested target. At each stage the gradient
 * from above and the seeds on that stage's output are summed, ReLU-masked, and the seeds under the
 * ReLU added. The gradient reported for a stage is w.r.t. its output, or — when a seed sits under
 * its ReLU — w.r.t. its pre-activation (as a single `preRelu` layer score always reported it).
 */
export function backwardPass(
  net: BackwardWeights,
  trace: Trace,
  seeds: readonly Seed[],
  emitted: Partial<Record<GradientTarget, tf.Tensor4D>>,
  targets: readonly GradientTarget[],
): Partial<Record<GradientTarget, tf.Tensor4D>> {
  const out = { ...emitted };
  if (targets.length === 0 || seeds.length === 0) return out;
  const want = new Set(targets);
  const deepest = Math.max(...targets.map(stageOf));
  const add = (a: tf.Tensor4D | null, b: tf.Tensor4D): tf.Tensor4D => (a ? (tf.add(a, b) as tf.Tensor4D) : b);
  let d: tf.Tensor4D | null = null; // gradient w.r.t. the current stage's output, from above
  // or, at a fire module, that gradient already ReLU-masked and split in the module's two branches
  // (stored so by the module above, when nothing is asked of or seeded at this stage)
  let split: readonly [tf.Tensor4D, tf.Tensor4D] | null = null;
  for (let stage = Math.min(...seeds.map((s) => s.stage)); ; stage++) {
    const name = STAGES[stage];
    for (const s of seeds) if (s.stage === stage && !s.underRelu) d = add(d, s.d);
    const under = seeds.filter((s) => s.stage === stage && s.underRelu);
    let throughRelu = true;
    if (under.length) {
      // d·relu′ + the seeds under the ReLU; the step below must not mask again.
      let pre = d ? reluMaskOf(trace, name, d) : null;
      for (const s of under) pre = add(pre, s.d);
      d = pre;
      throughRelu = false;
    }
    if (d && want.has(name)) out[name] = d;
    if (stage >= deepest) return out;
    // d! below: a stage nothing has reached (no seed above it) is impossible, the loop starts at a seed
    const k = FIRES.findIndex((f) => f.name === name);
    if (k < 0) {
      d = stepDown(net, trace, name, d!, throughRelu);
      continue;
    }
    // A fire module: from its output back to its input, which is the previous module's output
    // (through a max-pool when one sits between them) or, for fire2, conv1 through pool1.
    const f = net.fires[k];
    const dSqueezed = squeezeGradient(net, trace, k, split ?? d!, throughRelu);
    split = null;
    const below = stage + 1;
    const free = !want.has(STAGES[below]) && !seeds.some((s) => s.stage === below);
    if (k === 0 && free && net.conv0Sparse.pooledFits(trace.conv1, trace.pool1)) {
      // straight to the input: pool1's backward, conv1's ReLU and conv0's gradient in one kernel
      // (kernels/conv0-backward.ts)
      const dIn = f.squeezeBack1x1.conv(dSqueezed);
      d = cropTo(trace.input, net.conv0Sparse.applyPooled(trace.conv1, trace.pool1, dIn));
      stage = below; // the loop's step lands on 'input'
      continue;
    }
    if (k > 0 && free && !FIRES[k - 1].poolAfter && f.squeezeBack1x1.active()) {
      // the squeeze gradient stored masked and split for the module below (kernels/conv1x1-split.ts)
      split = f.squeezeBack1x1.maskSplit(dSqueezed, trace.fires[k - 1].output);
      d = null;
      continue;
    }
    const dIn = f.squeezeBack1x1.conv(dSqueezed);
    if (k === 0) d = maxPoolCeilBackward(trace.conv1, trace.pool1, dIn);
    else if (!FIRES[k - 1].poolAfter) d = dIn;
    else {
      const [pooled, pool] = [trace.fires[k - 1].output, trace.pools.get(k - 1)!];
      // through the max-pool, stored masked and split for the module below in one pass (kernels/ops.ts)
      split = free ? maxPoolBackwardSplit(pooled, pool, dIn) : null;
      d = split ? null : maxPoolCeilBackward(pooled, pool, dIn);
    }
  }
}

/** d masked by the ReLU at the top of a stage (none for the pre-ReLU class map and the input). */
function reluMaskOf(trace: Trace, stage: GradientTarget, d: tf.Tensor4D): tf.Tensor4D {
  if (stage === 'classifier_relu') return reluMask(d, trace.classifier!);
  if (stage === 'conv1') return reluMask(d, trace.conv1);
  if (stage === 'classifier' || stage === 'input') return d;
  return reluMask(d, trace.fires[FIRES.findIndex((f) => f.name === stage)].output);
}

/** Gradient w.r.t. one stage's output → gradient w.r.t. the next stage down's output (fire modules: in backwardPass). */
function stepDown(
  net: BackwardWeights,
  trace: Trace,
  stage: GradientTarget,
  d: tf.Tensor4D,
  throughRelu: boolean,
): tf.Tensor4D {
  if (stage === 'classifier_relu') return throughRelu ? reluMask(d, trace.classifier!) : d;
  if (stage === 'classifier') return tf.conv2d(d, net.classifierBack, 1, 'valid');
  if (stage === 'conv1') {
    // on WASM the ReLU's mask is applied inside the sparse conv0 gradient (one pass less over 111×111×64)
    if (net.conv0Sparse.active())
      return cropTo(trace.input, net.conv0Sparse.apply(d, throughRelu ? trace.conv1 : undefined));
    const masked = throughRelu ? reluMask(d, trace.conv1) : d;
    return cropTo(trace.input, conv0Backward(net, masked));
  }
  throw new Error(`stepDown: ${stage} is a fire module`);
}

/**
 * Fire module k's output gradient (d, or its masked branches [d1, d3]) → the gradient w.r.t. its
 * squeeze output, both branches summed and masked by the squeeze ReLU.
 */
function squeezeGradient(
  net: BackwardWeights,
  trace: Trace,
  k: number,
  d: tf.Tensor4D | readonly [tf.Tensor4D, tf.Tensor4D],
  throughRelu: boolean,
): tf.Tensor4D {
  const f = net.fires[k];
  const ft = trace.fires[k];
  // output = [ReLU(expand1) ‖ ReLU(expand3)]
  if (throughRelu && sparseEnough(f, d, ft.output))
    return fireBackwardSparse(d, ft.output, ft.squeezed, f.expand1Back, f.expand3Back);
  const [d1, d3] = Array.isArray(d)
    ? (d as readonly [tf.Tensor4D, tf.Tensor4D])
    : throughRelu
      ? reluMaskSplit(d as tf.Tensor4D, ft.output)
      : (tf.split(d as tf.Tensor4D, 2, 3) as [tf.Tensor4D, tf.Tensor4D]);
  // on WASM the sum and the mask are in the expand-3×3 gradient's Winograd output transform
  return f.e3.backward.applyAddMask(d3, f.expand3Back, f.expand1Back1x1.conv(d1), ft.squeezed);
}

/**
 * Whether the fire output's gradient, masked by its ReLU, is sparse enough for the zero-skipping
 * kernel (kernels/fire-backward.ts): in SqueezeNet's class-score gradients fire9's keeps ~10 %.
 */
function sparseEnough(
  f: FireParams,
  d: tf.Tensor4D | readonly [tf.Tensor4D, tf.Tensor4D],
  output: tf.Tensor4D,
): boolean {
  const { expand, squeeze } = f.spec;
  return sparseFireBackwardFits(expand, squeeze) && keptFraction(d, output) <= SPARSE_FIRE_MAX_KEPT;
}

/**
 * conv0's input gradient from the gradient d [n,h,w,64] of its output: [n, 2h+2, 2w+2, 3]. An input
 * of 2h+1 rows (an odd size) is one row shorter; its valid stride-2 3×3 windows end at row 2h either way.
 */
function conv0Backward(net: BackwardWeights, masked: tf.Tensor4D): tf.Tensor4D {
  // Stride-2 valid 3×3 conv backward as one 2×2 conv over the padded gradient, one output
  // group per (row phase, column phase), then interleaved by depth-to-space: (2h+2)×(2w+2)×3.
  const phases = tf.conv2d(
    tf.pad(masked, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]),
    net.conv0Back,
    1,
    'valid',
  );
  return depthToSpace2(phases);
}

/** g cut to x's height and width (a no-op when they match, as at 224). */
function cropTo(x: tf.Tensor4D, g: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = x.shape;
  if (g.shape[1] === h && g.shape[2] === w) return g;
  return tf.slice(g, [0, 0, 0, 0], [n, h, w, g.shape[3]]);
}

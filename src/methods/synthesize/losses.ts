/**
 * The losses of "images from features" (CS231n's StyleTransfer notebook, on SqueezeNet 1.1), each
 * with its value and its gradient in closed form, so that the engine's hand-written backward pass
 * carries them to the input (no tf.grad):
 *
 *  - content: w·Σ(F − P)² over one layer's activations F (target P), ∂/∂F = 2w(F − P);
 *  - Gram matrix of a layer: G = FᵀF / (H·W·C), F seen as an (H·W)×C matrix (CS231n normalizes by
 *    the layer's whole size, not H·W alone);
 *  - style: Σ_l w_l·Σ(G_l − A_l)² with target Grams A_l; per layer ∂/∂F = 4w·F(G − A)/(H·W·C)
 *    (G and A are symmetric, so the two terms of the product rule are equal);
 *  - total variation: w·(Σ (x[i,j+1] − x[i,j])² + Σ (x[i+1,j] − x[i,j])²) over the image, every
 *    channel, in the normalized input units the network sees (as CS231n, which applies it to the
 *    preprocessed image); its gradient is a discrete Laplacian, also in closed form.
 *
 * Every term is one of the engine's layer scores, and all of them go into ONE run (`layerScore`
 * takes several: one forward pass to the deepest layer, one backward pass that picks up each
 * layer's gradient on the way down, no heads). Style transfer's 5 terms used to cost 5 runs, each
 * a full forward to the classifier and a backward from its layer: measured below (README,
 * "Methods"). Every value is per example ([N]), as the engine's scores are.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerName } from '../../engine/architecture.js';
import { addAll } from '../../engine/kernels/add-all.js';
import type { LayerScore } from '../../engine/squeezenet.js';
import type { Model } from '../common.js';

/** Gram matrices [N,C,C] of activations [N,H,W,C]: FᵀF / (H·W·C). */
export function gramMatrix(features: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = features.shape;
    const f = tf.reshape(features, [n, h * w, c]) as tf.Tensor3D;
    // Fᵀ made explicitly: TF.js's WASM matMul with a transposed operand is far slower (conv1's
    // 12321×64 Gram: 62 ms of CPU with matMul(f, f, true) vs 9 ms transposed first; fire4's
    // 729×256: 92 vs 5 ms; measured under load 13, scratch profiling, 2026-12-02).
    return tf.div(tf.matMul(tf.transpose(f, [0, 2, 1]), f), h * w * c) as tf.Tensor3D;
  });
}

/** Content loss on one layer against target activations P ([1,H,W,C], broadcast over the batch). */
export function contentLoss(target: tf.Tensor4D, weight: number): LayerScore['fn'] {
  return (a) => {
    const diff = tf.sub(a, target);
    return {
      value: tf.mul(tf.sum(tf.square(diff), [1, 2, 3]), weight) as tf.Tensor1D,
      dActivation: tf.mul(diff, 2 * weight) as tf.Tensor4D,
    };
  };
}

/** Style loss on one layer against a target Gram matrix A ([1,C,C], broadcast over the batch). */
export function styleLoss(targetGram: tf.Tensor3D, weight: number): LayerScore['fn'] {
  return (a) => {
    const [n, h, w, c] = a.shape;
    const f = tf.reshape(a, [n, h * w, c]) as tf.Tensor3D;
    const diff = tf.sub(gramMatrix(a), targetGram) as tf.Tensor3D;
    // The scale on the C×C difference, not on the (H·W)×C product: one pass over conv1's 12k×64
    // values fewer a step.
    const d = tf.matMul(f, tf.mul(diff, (4 * weight) / (h * w * c)));
    return {
      value: tf.mul(tf.sum(tf.square(diff), [1, 2]), weight) as tf.Tensor1D,
      dActivation: tf.reshape(d, [n, h, w, c]) as tf.Tensor4D,
    };
  };
}

/**
 * Total-variation loss of images [N,H,W,C] and its gradient w.r.t. them. TV = xᵀLx with L the grid
 * graph's Laplacian ((Lx)ᵢ = deg(i)·xᵢ − Σ neighbours), so the gradient is 2w·Lx and the value
 * w·Σ x⊙Lx. Lx is one depthwise 3×3 stencil (4 in the middle, −1 at the 4 neighbours) over the
 * image padded by repeating its edge ('symmetric' mirror padding): a repeated neighbour cancels
 * one of the 4, which leaves deg(i) at borders and corners. 2.0 ms of CPU instead of 18 ms for the
 * slice-and-pad form (differences, squares, padded differences), same gradient to 4e-6.
 */
export function tvLoss(x: tf.Tensor4D, weight: number): { value: tf.Tensor1D; dInput: tf.Tensor4D } {
  return tf.tidy(() => {
    const c = x.shape[3];
    const stencil = [0, -1, 0, -1, 4, -1, 0, -1, 0].flatMap((v) => new Array<number>(c).fill(v));
    const padded = tf.mirrorPad(
      x,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
      'symmetric',
    );
    const lap = tf.depthwiseConv2d(padded, tf.tensor4d(stencil, [3, 3, c, 1]), 1, 'valid') as tf.Tensor4D;
    return {
      value: tf.mul(tf.sum(tf.mul(x, lap), [1, 2, 3]), weight) as tf.Tensor1D,
      dInput: tf.mul(lap, 2 * weight) as tf.Tensor4D,
    };
  });
}

/** One content term: target activations of one layer (owned by the caller). */
export interface ContentTerm {
  layer: LayerName;
  target: tf.Tensor4D;
  weight: number;
}

/** One style term: the target Gram matrix of one layer (owned by the caller). */
export interface StyleTerm {
  layer: LayerName;
  gram: tf.Tensor3D;
  weight: number;
}

export interface SynthesisLoss {
  content?: ContentTerm;
  style?: readonly StyleTerm[];
  /** total-variation weight (0 or absent: none) */
  tv?: number;
}

/** Values of each part (each [N]) and the gradient of their sum w.r.t. the normalized input. */
export interface LossEvaluation {
  content: tf.Tensor1D;
  style: tf.Tensor1D;
  tv: tf.Tensor1D;
  total: tf.Tensor1D;
  gradient: tf.Tensor4D;
}

/**
 * Value and input gradient of a synthesis loss on normalized images x [N,H,W,3]: one engine run
 * for every content and style term (heads skipped), plus TV in closed form. The caller owns the
 * result's tensors.
 */
export function evaluateLoss(model: Model, x: tf.Tensor4D, loss: SynthesisLoss): LossEvaluation {
  return tf.tidy(() => {
    const n = x.shape[0];
    const scores: LayerScore[] = [];
    const isContent: boolean[] = [];
    if (loss.content && loss.content.weight !== 0) {
      scores.push({ layer: loss.content.layer, fn: contentLoss(loss.content.target, loss.content.weight) });
      isContent.push(true);
    }
    for (const s of loss.style ?? [])
      if (s.weight !== 0) {
        scores.push({ layer: s.layer, fn: styleLoss(s.gram, s.weight) });
        isContent.push(false);
      }
    const sum = (values: tf.Tensor1D[]): tf.Tensor1D => (values.length ? addAll(values) : tf.zeros([n]));
    let content: tf.Tensor1D = tf.zeros([n]);
    let style: tf.Tensor1D = tf.zeros([n]);
    let gradient: tf.Tensor4D = tf.zerosLike(x);
    if (scores.length) {
      const r = model.run(x, { layerScore: scores, heads: false });
      const values = r.layerScores!;
      content = sum(values.filter((_, k) => isContent[k]));
      style = sum(values.filter((_, k) => !isContent[k]));
      gradient = r.gradients.input!;
    }
    let tv: tf.Tensor1D = tf.zeros([n]);
    if (loss.tv) {
      const t = tvLoss(x, loss.tv);
      tv = t.value;
      gradient = tf.add(gradient, t.dInput);
    }
    const total = tf.add(tf.add(content, style), tv) as tf.Tensor1D;
    return { content, style, tv, total, gradient };
  });
}

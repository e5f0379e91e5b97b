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
 * The engine takes one `layerScore` per run (one layer where the backward pass starts), so a loss
 * on several layers is evaluated as one run per layer, the input gradients summed; terms on the
 * same layer share a run. Every value is per example ([N]), as the engine's scores are.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerName } from '../../engine/architecture.js';
import type { LayerScore } from '../../engine/squeezenet.js';
import type { Model } from '../common.js';

/** Gram matrices [N,C,C] of activations [N,H,W,C]: FᵀF / (H·W·C). */
export function gramMatrix(features: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = features.shape;
    const f = tf.reshape(features, [n, h * w, c]) as tf.Tensor3D;
    return tf.div(tf.matMul(f, f, true, false), h * w * c) as tf.Tensor3D;
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
    const d = tf.mul(tf.matMul(f, diff), (4 * weight) / (h * w * c));
    return {
      value: tf.mul(tf.sum(tf.square(diff), [1, 2]), weight) as tf.Tensor1D,
      dActivation: tf.reshape(d, [n, h, w, c]) as tf.Tensor4D,
    };
  };
}

/** Total-variation loss of images [N,H,W,C] and its gradient w.r.t. them. */
export function tvLoss(x: tf.Tensor4D, weight: number): { value: tf.Tensor1D; dInput: tf.Tensor4D } {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    // dx[i,j] = x[i,j+1] − x[i,j]; dy[i,j] = x[i+1,j] − x[i,j]
    const dx = tf.sub(tf.slice(x, [0, 0, 1, 0], [-1, -1, w - 1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, w - 1, -1]));
    const dy = tf.sub(tf.slice(x, [0, 1, 0, 0], [-1, h - 1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, h - 1, -1, -1]));
    const value = tf.mul(tf.add(tf.sum(tf.square(dx), [1, 2, 3]), tf.sum(tf.square(dy), [1, 2, 3])), weight);
    // ∂/∂x[i,j] = 2w(dx[i,j−1] − dx[i,j] + dy[i−1,j] − dy[i,j]), with the missing differences 0:
    // pad dx by one column on each side (and dy by one row) and take neighbouring differences.
    const px = tf.pad(dx, [
      [0, 0],
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
    const py = tf.pad(dy, [
      [0, 0],
      [1, 1],
      [0, 0],
      [0, 0],
    ]);
    const gx = tf.sub(tf.slice(px, [0, 0, 0, 0], [-1, -1, w, -1]), tf.slice(px, [0, 0, 1, 0], [-1, -1, w, -1]));
    const gy = tf.sub(tf.slice(py, [0, 0, 0, 0], [-1, h, -1, -1]), tf.slice(py, [0, 1, 0, 0], [-1, h, -1, -1]));
    return { value: value as tf.Tensor1D, dInput: tf.mul(tf.add(gx, gy), 2 * weight) as tf.Tensor4D };
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
 * Value and input gradient of a synthesis loss on normalized images x [N,224,224,3]: one engine run
 * per layer with a term (content and style on the same layer share it), plus TV in closed form.
 * The caller owns the result's tensors.
 */
export function evaluateLoss(model: Model, x: tf.Tensor4D, loss: SynthesisLoss): LossEvaluation {
  return tf.tidy(() => {
    const n = x.shape[0];
    const perLayer = new Map<LayerName, { content?: ContentTerm; style: StyleTerm[] }>();
    const slot = (layer: LayerName) => {
      if (!perLayer.has(layer)) perLayer.set(layer, { style: [] });
      return perLayer.get(layer)!;
    };
    if (loss.content && loss.content.weight !== 0) slot(loss.content.layer).content = loss.content;
    for (const s of loss.style ?? []) if (s.weight !== 0) slot(s.layer).style.push(s);
    let content: tf.Tensor1D = tf.zeros([n]);
    let style: tf.Tensor1D = tf.zeros([n]);
    let gradient: tf.Tensor4D = tf.zerosLike(x);
    for (const [layer, terms] of perLayer) {
      const scores = [
        ...(terms.content ? [contentLoss(terms.content.target, terms.content.weight)] : []),
        ...terms.style.map((t) => styleLoss(t.gram, t.weight)),
      ];
      const fn: LayerScore['fn'] = (a) => {
        const parts = scores.map((f) => f(a));
        return {
          value: tf.addN(parts.map((p) => p.value)) as tf.Tensor1D,
          dActivation: tf.addN(parts.map((p) => p.dActivation)) as tf.Tensor4D,
        };
      };
      const r = model.run(x, { layerScore: { layer, fn } });
      gradient = tf.add(gradient, r.gradients.input!);
      if (!terms.style.length) content = tf.add(content, r.score!);
      else if (!terms.content) style = tf.add(style, r.score!);
      else {
        // Both on one layer: the run reports their sum; split it with the content part alone
        // (one more forward pass, only in this uncommon configuration).
        const a = model.run(x, { activations: [layer] }).activations[layer]!;
        const cv = scores[0](a).value;
        content = tf.add(content, cv);
        style = tf.add(style, tf.sub(r.score!, cv));
      }
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

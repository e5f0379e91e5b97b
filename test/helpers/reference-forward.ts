/**
 * An independent, deliberately plain SqueezeNet 1.1 forward pass in float64 JavaScript loops
 * (no TF.js), used as the oracle for finite differences: in float32, a central difference along a
 * random direction is either dominated by ReLU/max-pool kinks (large h) or by rounding (small h);
 * in float64 a tiny h is accurate. It also cross-checks the TF.js port's layout handling.
 */
import { FIRES } from '../../src/engine/architecture.js';
import type { ConvWeights, ModelWeights } from '../../src/engine/weights.js';

interface Map3 {
  h: number;
  w: number;
  c: number;
  d: Float64Array;
}

function conv(x: Map3, p: ConvWeights, stride: number, pad: number, relu: boolean): Map3 {
  const [k, , ci, co] = p.kernelShape;
  const oh = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(oh * ow * co);
  const acc = new Float64Array(co);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let o = 0; o < co; o++) acc[o] = p.bias[o];
      for (let ky = 0; ky < k; ky++) {
        const iy = oy * stride + ky - pad;
        if (iy < 0 || iy >= x.h) continue;
        for (let kx = 0; kx < k; kx++) {
          const ix = ox * stride + kx - pad;
          if (ix < 0 || ix >= x.w) continue;
          const inBase = (iy * x.w + ix) * ci;
          const wBase = (ky * k + kx) * ci * co;
          for (let i = 0; i < ci; i++) {
            const a = x.d[inBase + i];
            if (a === 0) continue;
            const wRow = wBase + i * co;
            for (let o = 0; o < co; o++) acc[o] += a * p.kernel[wRow + o];
          }
        }
      }
      const base = (oy * ow + ox) * co;
      for (let o = 0; o < co; o++) out[base + o] = relu ? Math.max(0, acc[o]) : acc[o];
    }
  }
  return { h: oh, w: ow, c: co, d: out };
}

/** MaxPool2d(3, 2, ceil_mode=True), as SqueezeNet 1.1: an even size gets a last, two-row window. */
function maxPool(x: Map3): Map3 {
  const oh = Math.ceil((x.h - 3) / 2) + 1;
  const ow = Math.ceil((x.w - 3) / 2) + 1;
  const out = new Float64Array(oh * ow * x.c).fill(-Infinity);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) {
          if (oy * 2 + ky >= x.h || ox * 2 + kx >= x.w) continue;
          const src = ((oy * 2 + ky) * x.w + ox * 2 + kx) * x.c;
          const dst = (oy * ow + ox) * x.c;
          for (let c = 0; c < x.c; c++) if (x.d[src + c] > out[dst + c]) out[dst + c] = x.d[src + c];
        }
  return { h: oh, w: ow, c: x.c, d: out };
}

function concat(a: Map3, b: Map3): Map3 {
  const out = new Float64Array(a.h * a.w * (a.c + b.c));
  for (let p = 0; p < a.h * a.w; p++) {
    out.set(a.d.subarray(p * a.c, (p + 1) * a.c), p * (a.c + b.c));
    out.set(b.d.subarray(p * b.c, (p + 1) * b.c), p * (a.c + b.c) + a.c);
  }
  return { h: a.h, w: a.w, c: a.c + b.c, d: out };
}

function relu(x: Map3): Map3 {
  return { ...x, d: x.d.map((v) => Math.max(0, v)) };
}

/**
 * One image, NHWC H·W·3 (default 224·224·3) → { logits (post-ReLU average), preReluLogits, fire
 * outputs, and conv1 and the fire outputs before their final ReLU }.
 */
export function referenceForward(
  weights: ModelWeights,
  input: ArrayLike<number>,
  size: { h: number; w: number } = { h: 224, w: 224 },
): {
  logits: Float64Array;
  preReluLogits: Float64Array;
  fires: Record<string, Float64Array>;
  preRelu: Record<string, Float64Array>;
} {
  const fires: Record<string, Float64Array> = {};
  const preRelu: Record<string, Float64Array> = {};
  let x: Map3 = conv({ h: size.h, w: size.w, c: 3, d: Float64Array.from(input) }, weights.conv0, 2, 0, false);
  preRelu.conv1 = x.d;
  x = maxPool(relu(x));
  for (const f of FIRES) {
    const s = conv(x, weights[`conv${f.conv}`], 1, 0, true);
    x = concat(conv(s, weights[`conv${f.conv + 1}`], 1, 0, false), conv(s, weights[`conv${f.conv + 2}`], 1, 1, false));
    preRelu[f.name] = x.d;
    x = relu(x);
    fires[f.name] = x.d;
    if (f.poolAfter) x = maxPool(x);
  }
  const z = conv(x, weights.conv25, 1, 0, false);
  const logits = new Float64Array(1000);
  const pre = new Float64Array(1000);
  const cells = z.h * z.w;
  for (let p = 0; p < cells; p++)
    for (let c = 0; c < 1000; c++) {
      pre[c] += z.d[p * 1000 + c] / cells;
      logits[c] += Math.max(0, z.d[p * 1000 + c]) / cells;
    }
  return { logits, preReluLogits: pre, fires, preRelu };
}

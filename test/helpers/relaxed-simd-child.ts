/**
 * Run by test/engine/kernels/relaxed-simd.test.ts in a Node started with
 * --experimental-wasm-relaxed-simd (Node 20 has relaxed SIMD behind that flag): the relaxed-SIMD
 * kernel build against XNNPACK (every fire shape's Winograd conv) and against the plain build
 * (the model's logits and input gradient on a photo). Prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FIRES } from '../../src/engine/architecture.js';
import { loadSimdKernelsNode } from '../../src/engine/kernels/assemble-node.js';
import { kernelBuild, provideSimdKernels, relaxedSimdSupported } from '../../src/engine/kernels/ops.js';
import { Conv3x3, setWinogradMode } from '../../src/engine/kernels/winograd.js';
import { loadEngineNode } from '../../src/engine/node.js';
import { classScore } from '../../src/engine/scores.js';
import { photos, rng } from './data.js';
import { photoInput } from './engine.js';

// the plain build first (kernels: 'simd128': this Node validates relaxed SIMD, so 'auto' would pick it)
const engine = await loadEngineNode({ backend: 'wasm', kernels: 'simd128' });
const autoBuild = (await loadEngineNode({ backend: 'wasm' })).backend.kernelBuild;
provideSimdKernels(await WebAssembly.compile(new Uint8Array(await loadSimdKernelsNode('simd128'))));
const compile = async (b: 'simd128' | 'relaxed-simd') =>
  WebAssembly.compile(new Uint8Array(await loadSimdKernelsNode(b)));
const plain = await compile('simd128');
const relaxed = await compile('relaxed-simd');
const random = rng(11);

const p = photos()[0];
const x = tf.tensor4d(photoInput(p.path).input, [1, 224, 224, 3]);
const model = () =>
  tf.tidy(() => {
    const r = engine.model.run(x, { score: classScore([p.label]) });
    return [r.logits.dataSync() as Float32Array, r.gradients.input!.dataSync() as Float32Array];
  });
const [plainLogits, plainGrad] = model();
provideSimdKernels(plain, relaxed);
const build = kernelBuild();
const [relLogits, relGrad] = model();
let logitDiff = 0;
for (let i = 0; i < plainLogits.length; i++) logitDiff = Math.max(logitDiff, Math.abs(plainLogits[i] - relLogits[i]));
let dot = 0;
let na = 0;
let nb = 0;
for (let i = 0; i < plainGrad.length; i++) {
  dot += plainGrad[i] * relGrad[i];
  na += plainGrad[i] ** 2;
  nb += relGrad[i] ** 2;
}

// every fire shape, forward and gradient direction: relaxed Winograd vs XNNPACK, relative to the peak
const convRelErr = { f2: 0, f4: 0 };
for (const f of FIRES)
  for (const [cin, cout, size] of [
    [f.squeeze, f.expand, 27],
    [f.expand, f.squeeze, 13],
  ]) {
    const hwio = Float32Array.from({ length: 9 * cin * cout }, () => (random() * 2 - 1) / Math.sqrt(9 * cin));
    const conv = new Conv3x3(hwio, cin, cout);
    const input = tf.tensor4d(
      Float32Array.from({ length: 2 * size * size * cin }, () => random() * 2 - 1),
      [2, size, size, cin],
    );
    const kernel = tf.tensor4d(hwio, [3, 3, cin, cout]);
    const y = (m: 'f2' | 'f4' | 'never') => {
      setWinogradMode(m);
      return tf.tidy(() => conv.apply(input, kernel, null, false).dataSync() as Float32Array);
    };
    const b = y('never');
    for (const variant of ['f2', 'f4'] as const) {
      const a = y(variant);
      let err = 0;
      let peak = 0;
      for (let i = 0; i < a.length; i++) {
        err = Math.max(err, Math.abs(a[i] - b[i]));
        peak = Math.max(peak, Math.abs(b[i]));
      }
      convRelErr[variant] = Math.max(convRelErr[variant], err / peak);
    }
    conv.dispose();
    tf.dispose([input, kernel]);
  }
console.log(
  JSON.stringify({
    supported: relaxedSimdSupported(),
    autoBuild,
    build,
    logitDiff,
    gradientCosine: dot / Math.sqrt(na * nb),
    convRelErr,
  }),
);

/**
 * `npm run kernels`: assembles the WebAssembly SIMD kernels into build/kernels/simd-kernels.wasm
 * and, with relaxed SIMD's fused multiply-add, build/kernels/simd-kernels-relaxed.wasm.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { assembleSimdKernels, simdKernelsPath } from '../src/engine/kernels/assemble-node.js';

for (const build of ['simd128', 'relaxed-simd'] as const) {
  const bytes = await assembleSimdKernels(build);
  mkdirSync(dirname(simdKernelsPath(build)), { recursive: true });
  writeFileSync(simdKernelsPath(build), bytes);
  console.log(`wrote ${simdKernelsPath(build)} (${bytes.length} bytes)`);
}

/** `npm run kernels`: assembles the WebAssembly SIMD kernels into build/kernels/simd-kernels.wasm. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { assembleSimdKernels, simdKernelsPath } from '../src/engine/kernels/assemble-node.js';

const bytes = await assembleSimdKernels();
mkdirSync(dirname(simdKernelsPath()), { recursive: true });
writeFileSync(simdKernelsPath(), bytes);
console.log(`wrote ${simdKernelsPath()} (${bytes.length} bytes)`);

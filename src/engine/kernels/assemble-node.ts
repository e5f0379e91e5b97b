/**
 * Assembling the SIMD kernels with wabt (a dev dependency) in Node: used by the build
 * (scripts/build-kernels.ts) and, when build/kernels is missing or older than its source, by the
 * Node engine, so a fresh checkout's CLI and tests work before `npm run build`.
 *
 * Two builds from one generator: 'simd128' (what every engine can run, and what the extension
 * packages) and 'relaxed-simd' (the same kernels with f32x4.relaxed_madd in the GEMM loops), for
 * engines that validate relaxed SIMD (ops.ts: relaxedSimdSupported).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../model-data-node.js';
import type { KernelBuild } from './ops.js';
import { simdKernelsWat } from './simd-wat.js';
import { plainMadd, relaxedMadd } from './wat-helpers.js';

export async function assembleSimdKernels(build: KernelBuild = 'simd128'): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const relaxed = build === 'relaxed-simd';
  const module = wabt.parseWat('simd-kernels.wat', simdKernelsWat(relaxed ? relaxedMadd : plainMadd), {
    simd: true,
    bulk_memory: true,
    relaxed_simd: relaxed,
  });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: true }).buffer);
  } finally {
    module.destroy();
  }
}

export function simdKernelsPath(build: KernelBuild = 'simd128'): string {
  const name = build === 'relaxed-simd' ? 'simd-kernels-relaxed.wasm' : 'simd-kernels.wasm';
  return join(projectRoot(), 'build', 'kernels', name);
}

const GENERATORS = [
  './simd-wat.ts',
  './winograd-wat.ts',
  './conv0-backward-wat.ts',
  './fire-backward-wat.ts',
  './conv1x1-split-wat.ts',
  './wat-helpers.ts',
];

/** The assembled kernels, rebuilt if a generator source is newer than the binary. */
export async function loadSimdKernelsNode(build: KernelBuild = 'simd128'): Promise<Uint8Array> {
  const path = simdKernelsPath(build);
  const sources = GENERATORS.map((s) => fileURLToPath(new URL(s, import.meta.url))).filter((s) => existsSync(s));
  const fresh = existsSync(path) && sources.every((s) => statSync(path).mtimeMs >= statSync(s).mtimeMs);
  if (fresh) return readFileSync(path);
  const bytes = await assembleSimdKernels(build);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes;
}

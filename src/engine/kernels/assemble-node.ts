/**
 * Assembling the SIMD kernels with wabt (a dev dependency) in Node: used by the build
 * (scripts/build-kernels.ts) and, when build/kernels is missing or older than its source, by the
 * Node engine, so a fresh checkout's CLI and tests work before `npm run build`.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../model-data-node.js';
import { simdKernelsWat } from './simd-wat.js';

export async function assembleSimdKernels(): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const module = wabt.parseWat('simd-kernels.wat', simdKernelsWat(), { simd: true, bulk_memory: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: true }).buffer);
  } finally {
    module.destroy();
  }
}

export function simdKernelsPath(): string {
  return join(projectRoot(), 'build', 'kernels', 'simd-kernels.wasm');
}

/** The assembled kernels, rebuilt if the generator source is newer than the binary. */
export async function loadSimdKernelsNode(): Promise<Uint8Array> {
  const path = simdKernelsPath();
  const source = fileURLToPath(new URL('./simd-wat.ts', import.meta.url));
  const fresh = existsSync(path) && (!existsSync(source) || statSync(path).mtimeMs >= statSync(source).mtimeMs);
  if (fresh) return readFileSync(path);
  const bytes = await assembleSimdKernels();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes;
}

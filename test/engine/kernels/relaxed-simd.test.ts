/**
 * The relaxed-SIMD build (f32x4.relaxed_madd) and its feature detection. Node 20 validates relaxed
 * SIMD only with --experimental-wasm-relaxed-simd, so the numerics run in a child Node with that
 * flag (test/helpers/relaxed-simd-child.ts); this process, without it, must fall back.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSimdKernelsNode } from '../../../src/engine/kernels/assemble-node.js';
import { kernelBuild, provideSimdKernels, relaxedSimdSupported } from '../../../src/engine/kernels/ops.js';
import { projectRoot } from '../../../src/engine/model-data-node.js';
import { engineFor } from '../../helpers/engine.js';

describe('relaxed-SIMD kernel build', async () => {
  const engine = await engineFor('wasm');

  it('is refused where relaxed SIMD does not validate (this Node, no flag): the plain build runs', async () => {
    expect(relaxedSimdSupported()).toBe(false);
    expect(engine.backend.kernelBuild).toBe('simd128'); // what loadEngineNode chose
    const relaxedBytes = await loadSimdKernelsNode('relaxed-simd');
    expect(WebAssembly.validate(new Uint8Array(relaxedBytes))).toBe(false); // it really uses relaxed instructions
    const plain = await WebAssembly.compile(new Uint8Array(await loadSimdKernelsNode('simd128')));
    // a module that does not validate cannot even be compiled here: pass the plain one as both
    provideSimdKernels(plain, plain);
    expect(kernelBuild()).toBe('simd128');
  });

  it('runs with the flag and agrees with XNNPACK and with the plain build', () => {
    const out = execFileSync(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', '--import', 'tsx', join('test', 'helpers', 'relaxed-simd-child.ts')],
      { cwd: projectRoot(), encoding: 'utf8', maxBuffer: 1 << 24, timeout: 300_000 },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!);
    console.log('relaxed SIMD child:', r);
    expect(r.supported).toBe(true);
    expect(r.build).toBe('relaxed-simd');
    expect(r.autoBuild).toBe('relaxed-simd'); // loadEngineNode picks it by itself where it validates
    expect(r.convRelErr.f2).toBeLessThan(2e-5); // the plain build's bounds (winograd.test.ts)
    expect(r.convRelErr.f4).toBeLessThan(1e-4);
    expect(r.logitDiff).toBeLessThan(1e-4);
    expect(r.gradientCosine).toBeGreaterThan(0.9999);
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONVS, PARAMETER_COUNT } from '../../src/engine/architecture.js';
import type { NpyArray } from '../../src/engine/npy.js';
import { packWeights, sourceFileName, unpackWeights, WeightsError, weightsFromNpy } from '../../src/engine/weights.js';
import { MODELS, npy } from '../helpers/data.js';

const WEIGHTS = join(MODELS, 'squeezenet1_1', 'weights');
const fromShared = () => weightsFromNpy((name) => npy(join(WEIGHTS, name)));

describe('weights', () => {
  it('has the documented parameter count', () => {
    expect(PARAMETER_COUNT).toBe(1_235_496);
    expect(CONVS).toHaveLength(26);
  });

  it('converts OIHW to HWIO element by element', () => {
    const w = fromShared();
    for (const c of ['conv0', 'conv3', 'conv25']) {
      const src = npy(join(WEIGHTS, sourceFileName(c, 'weight')));
      const [O, I, K] = src.shape;
      const hwio = w[c].kernel;
      for (const [o, i, h, x] of [
        [0, 0, 0, 0],
        [O - 1, I - 1, K - 1, K - 1],
        [Math.floor(O / 3), Math.floor(I / 2), 0, K - 1],
      ]) {
        expect(hwio[((h * K + x) * I + i) * O + o]).toBe(src.data[((o * I + i) * K + h) * K + x]);
      }
    }
  });

  it('packs and unpacks float32 exactly and float16 within half precision', () => {
    const w = fromShared();
    const f32 = packWeights(w, 'float32');
    expect(f32.bin.length).toBe(PARAMETER_COUNT * 4);
    const back = unpackWeights(f32.manifest, f32.bin);
    for (const c of CONVS) expect(back[c.name].kernel).toEqual(w[c.name].kernel);

    const f16 = packWeights(w, 'float16');
    expect(f16.bin.length).toBe(PARAMETER_COUNT * 2);
    const half = unpackWeights(f16.manifest, f16.bin);
    let worst = 0;
    for (const c of CONVS) {
      const a = w[c.name].kernel;
      const b = half[c.name].kernel;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) - Math.abs(a[i]) * 2 ** -11);
    }
    expect(worst).toBeLessThanOrEqual(2 ** -24); // within half an ulp (or a subnormal step)
  });

  it('rejects a truncated binary, a wrong shape and a missing tensor with specific errors', () => {
    const { manifest, bin } = packWeights(fromShared(), 'float16');
    expect(() => unpackWeights(manifest, bin.subarray(0, bin.length - 2))).toThrow(/truncated or wrong file/);
    const badShape = structuredClone(manifest);
    badShape.tensors[0].shape = [3, 3, 3, 32];
    expect(() => unpackWeights(badShape, bin)).toThrow(
      /conv0\/kernel has shape \(3, 3, 3, 32\), expected \(3, 3, 3, 64\)/,
    );
    const missing = structuredClone(manifest);
    missing.tensors = missing.tensors.filter((t) => t.name !== 'conv7/bias');
    expect(() => unpackWeights(missing, bin)).toThrow(WeightsError);
    const get = (name: string): NpyArray =>
      name.includes('conv5_weight')
        ? { shape: [1, 2], dtype: 'float32', data: new Float32Array(2) }
        : npy(join(WEIGHTS, name));
    expect(() => weightsFromNpy(get)).toThrow(
      /squeezenet0_conv5_weight\.npy: expected float32 of shape \(64, 16, 1, 1\)/,
    );
  });
});

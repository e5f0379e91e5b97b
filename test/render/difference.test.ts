import { describe, expect, it } from 'vitest';
import { differenceHeatmap, differenceImage, differenceMap, differenceStats, magnifiedDifference } from '../../src/render/difference.js';
import { colormap } from '../../src/render/colormap.js';

const img = (values: number[]) => ({ width: values.length / 3, height: 1, data: Float32Array.from(values) });

describe('difference pictures', () => {
  const original = img([100, 100, 100, 10, 200, 250, 0, 0, 0]);
  const modified = img([100, 100, 100, 12, 197, 255, 0.4, 0, 0]);

  it('map zero change to the centre colour and the signed change around it', () => {
    const d = differenceImage(original, modified);
    expect(Array.from(d.data)).toEqual([128, 128, 128, 255, 130, 125, 133, 255, 128, 128, 128, 255]); // 128.4 → 128
    const mean = differenceImage(original, original, { center: 'imagenet-mean' });
    expect(Array.from(mean.data.subarray(0, 3))).toEqual([124, 116, 104]); // CS231n deprocess of a zero difference
  });

  it('magnifies 10× and clips', () => {
    const d = magnifiedDifference(original, modified);
    expect(Array.from(d.data.subarray(4, 8))).toEqual([148, 98, 178, 255]);
    const big = magnifiedDifference(img([0, 255, 0]), img([255, 0, 0]));
    expect(Array.from(big.data.subarray(0, 3))).toEqual([255, 0, 128]);
    // RGBA input works the same (alpha ignored)
    const rgba = { width: 3, height: 1, data: Uint8ClampedArray.from([100, 100, 100, 7, 10, 200, 250, 7, 0, 0, 0, 7]) };
    expect(Array.from(magnifiedDifference(rgba, modified).data)).toEqual(Array.from(d.data));
  });

  it('reports the size of the change', () => {
    const s = differenceStats(original, modified);
    expect(s.maxAbs).toBe(5);
    expect(s.meanAbs).toBeCloseTo((2 + 3 + 5 + 0.4) / 9, 6);
    expect(s.l2).toBeCloseTo(Math.sqrt(4 + 9 + 25 + 0.16), 5);
    expect(s.changed).toBeCloseTo(3 / 9, 6);
    expect(Array.from(differenceMap(original, modified).data).map((v) => +v.toFixed(4))).toEqual([0, 4, 0.4]);
    expect(() => differenceStats(original, img([1, 2, 3]))).toThrow(/difference/);
  });

  it('draws the signed change with the diverging map (unchanged = middle, brighter = red)', () => {
    const h = differenceHeatmap(original, modified);
    const lut = colormap('rdbu_r').lut;
    expect(Array.from(h.data.subarray(0, 3))).toEqual(Array.from(lut.subarray(128 * 3, 128 * 3 + 3)));
    expect(Array.from(h.data.subarray(4, 7))).toEqual(Array.from(lut.subarray(255 * 3, 256 * 3)));
  });
});

import { describe, expect, it } from 'vitest';
import { IMAGENET_MEAN } from '../../src/engine/preprocess.js';
import { colormap } from '../../src/render/colormap.js';
import {
  differenceHeatmap,
  differenceImage,
  differenceMap,
  differenceStats,
  magnifiedDifference,
} from '../../src/render/difference.js';

const img = (values: number[]) => ({ width: values.length / 3, height: 1, data: Float32Array.from(values) });

describe('difference pictures', () => {
  const original = img([100, 100, 100, 10, 200, 250, 0, 0, 0]);
  const modified = img([100, 100, 100, 12, 197, 255, 0.4, 0, 0]);

  it('map zero change to the centre colour and the signed change around it', () => {
    const d = differenceImage(original, modified);
    expect(Array.from(d.data)).toEqual([128, 128, 128, 255, 130, 125, 133, 255, 128, 128, 128, 255]); // 128.4 → 128
    const imagenetMean = IMAGENET_MEAN.map((m) => m * 255) as [number, number, number];
    const mean = differenceImage(original, original, { center: imagenetMean });
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

  it("draws a fooling image's pictures (the CLI's --diff and --diff10): grey centre, ×10 gain, clipped", () => {
    // 224×224 RGB bytes as an attack returns them, with the changes of targets.test.ts's distances.
    const a = new Uint8ClampedArray(224 * 224 * 3).fill(100);
    const b = Uint8ClampedArray.from(a);
    b[0] = 103; // pixel 0: one channel +3
    b[4] = 96; // pixel 1: one channel −4
    b[5] = 120; // pixel 1: another channel +20
    const [original, fooled] = [a, b].map((data) => ({ width: 224, height: 224, data }));
    const difference = differenceImage(original, fooled).data;
    const magnified = magnifiedDifference(original, fooled).data;
    // Channel c of pixel p sits at RGBA index 4p + c.
    expect([difference[0], difference[5], difference[6], difference[1]]).toEqual([131, 124, 148, 128]);
    expect([magnified[0], magnified[5], magnified[6], magnified[1]]).toEqual([158, 88, 255, 128]);
    for (const p of [difference, magnified]) expect(p.length).toBe(224 * 224 * 4);
    expect(difference.every((v, i) => (i % 4 === 3 ? v === 255 : true))).toBe(true);
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

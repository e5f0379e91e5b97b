/** Mask and cut-out pictures, on hand-made images. */
import { describe, expect, it } from 'vitest';
import { cutout, maskPicture } from '../../src/render/cutout.js';

describe('cut-out pictures', () => {
  it('draws the mask white on black and keeps only the object, transparent elsewhere', () => {
    const mask = Uint8Array.from([1, 0, 0, 1]);
    expect(Array.from(maskPicture(mask, 2, 2).data)).toEqual([
      255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255,
    ]);
    // RGB input: alpha 255 inside; RGBA input keeps its own alpha inside
    const rgb = { width: 2, height: 2, data: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120] };
    expect(Array.from(cutout(rgb, mask).data)).toEqual([10, 20, 30, 255, 0, 0, 0, 0, 0, 0, 0, 0, 100, 110, 120, 255]);
    const rgba = { width: 2, height: 1, data: Uint8ClampedArray.from([1, 2, 3, 128, 4, 5, 6, 255]) };
    expect(Array.from(cutout(rgba, [1, 0]).data)).toEqual([1, 2, 3, 128, 0, 0, 0, 0]);
    expect(() => cutout(rgb, [1, 0])).toThrow(/mask has 2 values, expected 2×2/);
  });
});

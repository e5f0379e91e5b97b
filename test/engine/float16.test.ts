import { describe, expect, it } from 'vitest';
import { decodeFloat16, encodeFloat16, float16BitsToFloat32, float32ToFloat16Bits } from '../../src/engine/float16.js';

describe('float16', () => {
  it('encodes known values exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [0.5, 0x3800],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [Infinity, 0x7c00],
      [1e6, 0x7c00], // overflow → Inf
    ];
    for (const [value, bits] of cases) expect(float32ToFloat16Bits(value), String(value)).toBe(bits);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-11 is exactly halfway between 1 and 1 + 2^-10: ties to the even mantissa (1).
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even): rounds up.
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });

  it('round-trips every finite half exactly, and float32 values within half an ulp', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      expect(float32ToFloat16Bits(float16BitsToFloat32(h))).toBe(h);
    }
    const values = new Float32Array(10_000).map((_, i) => Math.sin(i * 12.9898) * 4);
    const back = decodeFloat16(encodeFloat16(values));
    for (let i = 0; i < values.length; i++)
      expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11 + 2 ** -25);
  });
});

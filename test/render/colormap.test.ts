import { describe, expect, it } from 'vitest';
import { COLORMAP_NAMES, type ColormapName, colorAt, colormap, relativeLuminance } from '../../src/render/colormap.js';

const rgb = (name: ColormapName, i: number) => Array.from(colormap(name).lut.subarray(i * 3, i * 3 + 3));
const to8 = (v: number[]) => v.map((x) => Math.round(x * 255));
const luminance = (name: ColormapName) =>
  Array.from({ length: 256 }, (_, i) => relativeLuminance(...(rgb(name, i) as [number, number, number])));

describe('colormaps', () => {
  it('have the published endpoints', () => {
    expect(rgb('viridis', 0)).toEqual([68, 1, 84]); // #440154
    expect(rgb('viridis', 255)).toEqual([253, 231, 37]); // #fde725
    expect(rgb('inferno', 0)).toEqual([0, 0, 4]);
    expect(rgb('inferno', 255)).toEqual([252, 255, 164]); // #fcffa4
    expect(rgb('magma', 0)).toEqual([0, 0, 4]);
    expect(rgb('magma', 255)).toEqual([252, 253, 191]); // #fcfdbf
    expect(rgb('gray', 0)).toEqual([0, 0, 0]);
    expect(rgb('gray', 255)).toEqual([255, 255, 255]);
    expect(rgb('rdbu_r', 0)).toEqual([5, 48, 97]); // #053061, negative = blue
    expect(rgb('rdbu_r', 255)).toEqual([103, 0, 31]); // #67001f, positive = red
  });

  const matchMatplotlib =
    'match matplotlib between the anchors (viridis mid-point #21918c; rows 40, 100, 200 of the tables within 2 levels)';
  it(matchMatplotlib, () => {
    expect(rgb('viridis', 128)).toEqual([33, 145, 140]);
    const rows: [ColormapName, number, number[]][] = [
      ['viridis', 40, [0.270595, 0.214069, 0.507052]],
      ['viridis', 100, [0.166617, 0.463708, 0.558119]],
      ['viridis', 200, [0.440137, 0.811138, 0.340967]],
      ['magma', 100, [0.537755, 0.156894, 0.506551]],
      ['magma', 200, [0.992785, 0.594891, 0.410283]],
      ['inferno', 100, [0.565854, 0.143567, 0.408258]],
      ['inferno', 200, [0.985952, 0.61575, 0.025592]],
    ];
    for (const [name, i, expected] of rows) {
      const got = rgb(name, i);
      for (const [c, e] of to8(expected).entries()) {
        expect(Math.abs(got[c] - e), `${name}[${i}] channel ${c}`).toBeLessThanOrEqual(2);
      }
    }
  });

  it('sequential maps have monotone luminance', () => {
    for (const name of ['viridis', 'inferno', 'magma', 'gray'] as const) {
      const y = luminance(name);
      // neighbours may tie or dip by 8-bit rounding only; every 8 entries it strictly rises
      for (let i = 1; i < 256; i++) expect(y[i] - y[i - 1], `${name} ${i}`).toBeGreaterThan(-1e-3);
      for (let i = 8; i < 256; i++) expect(y[i], `${name} ${i}`).toBeGreaterThan(y[i - 8]);
      expect(y[255] - y[0]).toBeGreaterThan(0.75);
      expect(colormap(name).kind).toBe('sequential');
    }
  });

  it('the diverging map is lightest in the middle, dark at both ends', () => {
    const y = luminance('rdbu_r');
    const mid = y.indexOf(Math.max(...y));
    expect(Math.abs(mid - 127.5)).toBeLessThan(2);
    for (let i = 8; i <= 120; i++) expect(y[i]).toBeGreaterThan(y[i - 8]);
    for (let i = 136; i < 256; i++) expect(y[i]).toBeLessThan(y[i - 8]);
    expect(y[0]).toBeLessThan(0.05);
    expect(y[255]).toBeLessThan(0.05);
    // #f7f7f7 at 0.5
    for (const i of [127, 128]) for (const v of rgb('rdbu_r', i)) expect(Math.abs(v - 247)).toBeLessThanOrEqual(1);
    expect(colormap('rdbu_r').kind).toBe('diverging');
  });

  it('clamps lookups and rejects unknown names', () => {
    expect(colorAt('viridis', -3)).toEqual(rgb('viridis', 0));
    expect(colorAt('viridis', Number.NaN)).toEqual(rgb('viridis', 0));
    expect(colorAt('viridis', 7)).toEqual(rgb('viridis', 255));
    expect(colorAt('viridis', 0.5)).toEqual(rgb('viridis', 128));
    expect(() => colormap('jet' as ColormapName)).toThrow(/unknown colormap/);
    expect(COLORMAP_NAMES).toHaveLength(5);
  });
});

/**
 * Colormaps as 256-entry 8-bit RGB lookup tables, computed at first use from published anchor
 * points (no copied 256-row tables):
 *
 *  - viridis, inferno, magma (sequential, perceptually uniform; van der Walt & Smith, matplotlib
 *    `_cm_listed.py`): 17 anchors, every 16th entry of matplotlib's 256-entry table (indices 0, 16,
 *    …, 240, 255), joined by a cubic Hermite spline with Catmull-Rom tangents. Anchors are exact;
 *    in between the LUT stays within ±2 levels of matplotlib's table (checked in the tests).
 *  - gray: black → white, linear.
 *  - rdbu_r (diverging, for signed maps): ColorBrewer RdBu, 11 classes, reversed so negative is
 *    blue and positive red, white-ish (#f7f7f7) at 0.5; linear in sRGB between the 11 colours,
 *    which is exactly how matplotlib builds its `RdBu_r`.
 *
 * Values are looked up as index = round(clamp(t, 0, 1) · 255).
 */

export type ColormapName = 'viridis' | 'inferno' | 'magma' | 'gray' | 'rdbu_r';

export const COLORMAP_NAMES: readonly ColormapName[] = ['viridis', 'inferno', 'magma', 'gray', 'rdbu_r'];

export interface Colormap {
  name: ColormapName;
  /** sequential: luminance increases with t; diverging: lightest at 0.5, dark at both ends */
  kind: 'sequential' | 'diverging';
  /** 256 × RGB, 8-bit */
  lut: Uint8ClampedArray;
}

/** matplotlib table indices of the anchors below */
const ANCHOR_INDEX = [0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 255];

// Rows of matplotlib's _viridis_data / _inferno_data / _magma_data at ANCHOR_INDEX (sRGB in [0,1]).
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0.267004, 0.004874, 0.329415],
  [0.282327, 0.094955, 0.417331],
  [0.278826, 0.17549, 0.483397],
  [0.258965, 0.251537, 0.524736],
  [0.229739, 0.322361, 0.545706],
  [0.19943, 0.387607, 0.554642],
  [0.172719, 0.448791, 0.557885],
  [0.149039, 0.508051, 0.55725],
  [0.127568, 0.566949, 0.550556],
  [0.120638, 0.625828, 0.533488],
  [0.157851, 0.683765, 0.501686],
  [0.24607, 0.73891, 0.452024],
  [0.369214, 0.788888, 0.382914],
  [0.515992, 0.831158, 0.294279],
  [0.678489, 0.863742, 0.189503],
  [0.845561, 0.887322, 0.099702],
  [0.993248, 0.906157, 0.143936],
];

const INFERNO: readonly (readonly [number, number, number])[] = [
  [0.001462, 0.000466, 0.013866],
  [0.042253, 0.028139, 0.141141],
  [0.129285, 0.047293, 0.290788],
  [0.238273, 0.036621, 0.396353],
  [0.3415, 0.062325, 0.429425],
  [0.441207, 0.099338, 0.431594],
  [0.54092, 0.134729, 0.415123],
  [0.640135, 0.171438, 0.381065],
  [0.735683, 0.215906, 0.330245],
  [0.822386, 0.275197, 0.266085],
  [0.894305, 0.353399, 0.193584],
  [0.946965, 0.449191, 0.115272],
  [0.978422, 0.557937, 0.034931],
  [0.987874, 0.675267, 0.065257],
  [0.974638, 0.797692, 0.206332],
  [0.947594, 0.917399, 0.410665],
  [0.988362, 0.998364, 0.644924],
];

const MAGMA: readonly (readonly [number, number, number])[] = [
  [0.001462, 0.000466, 0.013866],
  [0.039608, 0.03109, 0.133515],
  [0.113094, 0.065492, 0.276784],
  [0.211718, 0.061992, 0.418647],
  [0.316654, 0.07169, 0.48538],
  [0.414709, 0.110431, 0.504662],
  [0.512831, 0.148179, 0.507648],
  [0.613617, 0.181811, 0.498536],
  [0.716387, 0.214982, 0.47529],
  [0.816914, 0.255895, 0.436461],
  [0.904281, 0.31961, 0.388137],
  [0.960949, 0.418323, 0.35963],
  [0.9867, 0.535582, 0.38221],
  [0.996096, 0.653659, 0.446213],
  [0.996898, 0.769591, 0.534892],
  [0.99244, 0.88433, 0.640099],
  [0.987053, 0.991438, 0.749504],
];

/** ColorBrewer RdBu (11), red → blue; reversed below. */
const RDBU_HEX = [
  '67001f',
  'b2182b',
  'd6604d',
  'f4a582',
  'fddbc7',
  'f7f7f7',
  'd1e5f0',
  '92c5de',
  '4393c3',
  '2166ac',
  '053061',
];

const cache = new Map<ColormapName, Colormap>();

export function colormap(name: ColormapName): Colormap {
  let cm = cache.get(name);
  if (!cm) {
    cm = build(name);
    cache.set(name, cm);
  }
  return cm;
}

export function isColormapName(name: string): name is ColormapName {
  return (COLORMAP_NAMES as readonly string[]).includes(name);
}

/** RGB of value t ∈ [0,1] (clamped; NaN → 0). */
export function colorAt(cm: Colormap | ColormapName, t: number): [number, number, number] {
  const lut = (typeof cm === 'string' ? colormap(cm) : cm).lut;
  const i = lutIndex(t) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

export function lutIndex(t: number): number {
  if (!(t > 0)) return 0; // also NaN
  if (t >= 1) return 255;
  return Math.round(t * 255);
}

function build(name: ColormapName): Colormap {
  const lut = new Uint8ClampedArray(256 * 3);
  switch (name) {
    case 'viridis':
    case 'inferno':
    case 'magma': {
      const anchors = name === 'viridis' ? VIRIDIS : name === 'inferno' ? INFERNO : MAGMA;
      for (let c = 0; c < 3; c++) {
        const ys = anchors.map((a) => a[c]);
        for (let i = 0; i < 256; i++) lut[i * 3 + c] = Math.round(hermite(ANCHOR_INDEX, ys, i) * 255);
      }
      return { name, kind: 'sequential', lut };
    }
    case 'gray':
      for (let i = 0; i < 256; i++) lut.fill(i, i * 3, i * 3 + 3);
      return { name, kind: 'sequential', lut };
    case 'rdbu_r': {
      const stops = RDBU_HEX.map(hexToRgb).reverse();
      const n = stops.length - 1;
      for (let i = 0; i < 256; i++) {
        const x = (i / 255) * n;
        const k = Math.min(Math.floor(x), n - 1);
        const f = x - k;
        for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f);
      }
      return { name, kind: 'diverging', lut };
    }
    default:
      throw new RangeError(`unknown colormap ${String(name)} (available: ${COLORMAP_NAMES.join(', ')})`);
  }
}

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/**
 * Cubic Hermite interpolation through (xs[k], ys[k]) with Catmull-Rom tangents
 * (ys[k+1] − ys[k−1]) / (xs[k+1] − xs[k−1]), one-sided at the ends; exact at the anchors.
 */
function hermite(xs: readonly number[], ys: readonly number[], x: number): number {
  const n = xs.length;
  let k = 0;
  while (k < n - 2 && x > xs[k + 1]) k++;
  const tangent = (j: number) => {
    if (j === 0) return (ys[1] - ys[0]) / (xs[1] - xs[0]);
    if (j === n - 1) return (ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2]);
    return (ys[j + 1] - ys[j - 1]) / (xs[j + 1] - xs[j - 1]);
  };
  const h = xs[k + 1] - xs[k];
  const t = (x - xs[k]) / h;
  const t2 = t * t;
  const t3 = t2 * t;
  return (
    (2 * t3 - 3 * t2 + 1) * ys[k] +
    (t3 - 2 * t2 + t) * h * tangent(k) +
    (-2 * t3 + 3 * t2) * ys[k + 1] +
    (t3 - t2) * h * tangent(k + 1)
  );
}

/** WCAG relative luminance of an 8-bit sRGB colour, in [0,1] (for tests and legend text colour). */
export function relativeLuminance(r: number, g: number, b: number): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

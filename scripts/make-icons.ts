/**
 * Draws the extension icons (icons/icon{16,32,48,128}.png): an eye whose iris is a heat map, the
 * way a saliency map looks, on a dark rounded square. Rendered analytically with 8×8 supersampling
 * per pixel so every size is anti-aliased and the output is byte-for-byte reproducible.
 *
 *   npx tsx scripts/make-icons.ts      (the PNGs are committed; rerun only to change the design)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

type RGBA = [number, number, number, number];

const SIZES = [16, 32, 48, 128] as const;
const SUPERSAMPLE = 8;

// Heat-map stops (inferno-like), t = 0 at the pupil edge … 1 at the iris rim.
const HEAT: [number, [number, number, number]][] = [
  [0.0, [252, 255, 164]],
  [0.3, [250, 160, 20]],
  [0.62, [214, 62, 70]],
  [1.0, [96, 20, 120]],
];

function heat(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  for (let i = 1; i < HEAT.length; i++) {
    const [t1, c1] = HEAT[i];
    const [t0, c0] = HEAT[i - 1];
    if (x <= t1) {
      const u = (x - t0) / (t1 - t0);
      return [0, 1, 2].map((k) => c0[k] + (c1[k] - c0[k]) * u) as [number, number, number];
    }
  }
  return HEAT[HEAT.length - 1][1];
}

function insideRoundedSquare(x: number, y: number, inset: number, radius: number): boolean {
  const lo = inset + radius;
  const hi = 1 - inset - radius;
  const dx = Math.max(lo - x, 0, x - hi);
  const dy = Math.max(lo - y, 0, y - hi);
  return x >= inset && x <= 1 - inset && y >= inset && y <= 1 - inset && dx * dx + dy * dy <= radius * radius;
}

// The eye: intersection of two circles through its corners (half-width W, half-height H).
const W = 0.43;
const H = 0.27;
const R = (W * W + H * H) / (2 * H);
const D = R - H;
function insideAlmond(x: number, y: number, grow: number): boolean {
  const dx = x - 0.5;
  const r = R + grow;
  return dx * dx + (y - 0.5 - D) ** 2 <= r * r && dx * dx + (y - 0.5 + D) ** 2 <= r * r;
}

const IRIS = 0.215;
const PUPIL = 0.085;

/** Colour of one sample point in unit coordinates (y down). */
function shade(x: number, y: number, size: number): RGBA {
  if (!insideRoundedSquare(x, y, 0.02, 0.2)) return [0, 0, 0, 0];
  // Background: navy, slightly lighter at the top.
  let c: RGBA = [30 - 12 * y, 36 - 14 * y, 58 - 20 * y, 255];
  // Thicker outline at small sizes so the eye stays readable at 16 px.
  const outline = size <= 16 ? 0.075 : size <= 32 ? 0.055 : 0.035;
  if (insideAlmond(x, y, outline)) c = [140, 150, 185, 255];
  if (insideAlmond(x, y, 0)) {
    c = [238, 241, 248, 255]; // sclera
    // At 16 px a bigger iris and no glint: a 1-pixel highlight only reads as noise.
    const iris = size <= 16 ? 0.26 : IRIS;
    const r = Math.hypot(x - 0.5, y - 0.5);
    if (r <= iris) {
      const [hr, hg, hb] = heat((r - PUPIL) / (iris - PUPIL));
      c = [hr, hg, hb, 255];
    }
    if (r <= PUPIL) c = [14, 14, 24, 255];
    if (size > 16 && Math.hypot(x - 0.545, y - 0.455) <= 0.03) c = [255, 255, 255, 255]; // glint
  }
  return c;
}

export function renderIcon(size: number): PNG {
  const png = new PNG({ width: size, height: size });
  const n = SUPERSAMPLE;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // Average premultiplied colour over the samples, then un-premultiply.
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const [cr, cg, cb, ca] = shade((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size, size);
          r += cr * ca;
          g += cg * ca;
          b += cb * ca;
          a += ca;
        }
      }
      const i = (py * size + px) * 4;
      png.data[i] = a ? Math.round(r / a) : 0;
      png.data[i + 1] = a ? Math.round(g / a) : 0;
      png.data[i + 2] = a ? Math.round(b / a) : 0;
      png.data[i + 3] = Math.round(a / (n * n));
    }
  }
  return png;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'icons');
  mkdirSync(dir, { recursive: true });
  for (const size of SIZES) {
    const file = join(dir, `icon${size}.png`);
    writeFileSync(file, PNG.sync.write(renderIcon(size), { colorType: 6 }));
    console.log(`wrote ${file}`);
  }
}

/**
 * Contact sheets: several images side by side in a grid, with optional one-line labels drawn in
 * a built-in 3×5 pixel font (upper-case letters, digits, a little punctuation; lower case is
 * drawn as upper case, anything else as '?'), so no font rendering or DOM is needed.
 */
import { type AnyImage, channelsOf, createRgba, type RgbaBuffer, toRgba } from '../shared/image.js';

/** 3×5 glyphs, rows top to bottom, '1' = ink. */
const GLYPHS: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001001010010',
  '8': '111101111101111',
  '9': '111101111001111',
  A: '010101111101101',
  B: '110101110101110',
  C: '011100100100011',
  D: '110101101101110',
  E: '111100110100111',
  F: '111100110100100',
  G: '011100101101011',
  H: '101101111101101',
  I: '111010010010111',
  J: '001001001101010',
  K: '101101110101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  O: '010101101101010',
  P: '110101110100100',
  Q: '010101101110011',
  R: '110101110101101',
  S: '011100010001110',
  T: '111010010010010',
  U: '101101101101111',
  V: '101101101101010',
  W: '101101111111101',
  X: '101101010101101',
  Y: '101101010010010',
  Z: '111001010100111',
  ' ': '000000000000000',
  '.': '000000000000010',
  ',': '000000000010100',
  ':': '000010000010000',
  '-': '000000111000000',
  _: '000000000000111',
  '%': '101001010100101',
  '(': '001010010010001',
  ')': '100010010010100',
  '/': '001001010100100',
  '=': '000111000111000',
  '+': '000010111010000',
  '#': '101111101111101',
  '?': '111001010000010',
};

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;

/** Width in pixels of `text` at `scale` (one blank column between glyphs). */
export function textWidth(text: string, scale = 2): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_WIDTH + 1) - 1) * scale;
}

/** Draw one line of text into `target` with its top-left corner at (x, y); clipped at the edges. */
export function drawText(
  target: RgbaBuffer,
  text: string,
  x: number,
  y: number,
  options: { scale?: number; color?: readonly number[] } = {},
): void {
  const scale = options.scale ?? 2;
  const color = options.color ?? [0, 0, 0, 255];
  let cx = Math.round(x);
  const top = Math.round(y);
  for (const ch of text.toUpperCase()) {
    const glyph = GLYPHS[ch] ?? GLYPHS['?'];
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (glyph[gy * GLYPH_WIDTH + gx] !== '1') continue;
        for (let sy = 0; sy < scale; sy++) {
          const py = top + gy * scale + sy;
          if (py < 0 || py >= target.height) continue;
          for (let sx = 0; sx < scale; sx++) {
            const px = cx + gx * scale + sx;
            if (px < 0 || px >= target.width) continue;
            const q = (py * target.width + px) * 4;
            target.data[q] = color[0];
            target.data[q + 1] = color[1];
            target.data[q + 2] = color[2];
            target.data[q + 3] = color[3] ?? 255;
          }
        }
      }
    }
    cx += (GLYPH_WIDTH + 1) * scale;
  }
}

export interface SheetOptions {
  /** images per row (default: all in one row) */
  columns?: number;
  /** pixels between cells and around the sheet (default 4) */
  gap?: number;
  /** RGBA (default opaque white) */
  background?: readonly number[];
  /** one label per image (missing or empty: none), drawn under it, centred, cut to the cell width */
  labels?: readonly (string | undefined)[];
  /** label pixel size (default 2: glyphs 6×10 px) */
  labelScale?: number;
  labelColor?: readonly number[];
}

/**
 * Images (RGB or RGBA, any sizes) in a grid of equal cells, each cell as large as the largest
 * image, images centred in their cells.
 */
export function contactSheet(images: readonly AnyImage[], options: SheetOptions = {}): RgbaBuffer {
  if (images.length === 0) throw new RangeError('contactSheet needs at least one image');
  images.forEach(channelsOf);
  const columns = Math.max(1, Math.min(options.columns ?? images.length, images.length));
  const rows = Math.ceil(images.length / columns);
  const gap = options.gap ?? 4;
  const scale = options.labelScale ?? 2;
  const hasLabels = (options.labels ?? []).some((l) => l);
  const labelHeight = hasLabels ? (GLYPH_HEIGHT + 2) * scale : 0;
  const cellW = Math.max(...images.map((i) => i.width));
  const cellH = Math.max(...images.map((i) => i.height));
  const width = gap + columns * (cellW + gap);
  const height = gap + rows * (cellH + labelHeight + gap);
  const sheet = createRgba(width, height, options.background ?? [255, 255, 255, 255]);
  images.forEach((image, k) => {
    const col = k % columns;
    const row = Math.floor(k / columns);
    const x0 = gap + col * (cellW + gap);
    const y0 = gap + row * (cellH + labelHeight + gap);
    const rgba = toRgba(image);
    const ox = x0 + Math.floor((cellW - rgba.width) / 2);
    const oy = y0 + Math.floor((cellH - rgba.height) / 2);
    for (let y = 0; y < rgba.height; y++) {
      sheet.data.set(rgba.data.subarray(y * rgba.width * 4, (y + 1) * rgba.width * 4), ((oy + y) * width + ox) * 4);
    }
    const label = options.labels?.[k];
    if (label) {
      const maxChars = Math.max(0, Math.floor((cellW / scale + 1) / (GLYPH_WIDTH + 1)));
      const text = label.length > maxChars ? label.slice(0, maxChars) : label;
      drawText(sheet, text, x0 + Math.floor((cellW - textWidth(text, scale)) / 2), y0 + cellH + scale, {
        scale,
        color: options.labelColor,
      });
    }
  });
  return sheet;
}

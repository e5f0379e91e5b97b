/** How numbers, names and failures read in the popup. */
import type { ErrorCode } from '../shared/jobs.js';

export const percent = (p: number): string => (p > 0 && p < 0.0005 ? '< 0.1 %' : `${(p * 100).toFixed(1)} %`);

export const ms = (t: number): string => (t >= 1000 ? `${(t / 1000).toFixed(1)} s` : `${Math.round(t)} ms`);

/** A label as a file-name part: "tiger shark" → "tiger-shark". */
export const fileSafe = (s: string): string =>
  s
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()
    .slice(0, 40) || 'image';

/** The "Earlier" list's words for a failure. */
export const SHORT_ERROR: Partial<Record<ErrorCode, string>> = {
  http: 'download refused',
  network: 'download failed',
  timeout: 'timed out',
  'not-image': 'not an image',
  undecodable: 'undecodable',
  'too-large': 'too large',
  tainted: 'pixels not readable',
  'no-frame': 'no video frame',
  'no-image': 'no image there',
  'page-unreachable': 'page not readable',
  engine: 'model not loaded',
  'no-style': 'no style image chosen',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  internal: 'internal error',
};

/** What was right-clicked, by the capture's element kind. */
export const ELEMENT_TEXT: Record<string, string> = {
  img: 'Image',
  picture: 'Picture',
  'css-background': 'CSS background',
  canvas: 'Canvas',
  video: 'Video frame',
  svg: 'Inline SVG',
  'svg-image': 'SVG image',
  'page-image': 'Image',
};

/** How numbers, names and failures read in the popup. */
import { formatNumber, formatPercent, t } from '../shared/i18n.js';
import type { ErrorCode } from '../shared/jobs.js';

/** A probability as a percentage in the UI language ("12.3%", "< 0.1%"). */
export const percent = (p: number): string =>
  p > 0 && p < 0.0005 ? t('percentBelow', formatPercent(0.001)) : formatPercent(p);

/** A duration in the UI language ("850 ms", "1.2 s"). */
export const ms = (time: number): string =>
  time >= 1000 ? t('unitS', formatNumber(time / 1000, 1)) : t('unitMs', formatNumber(Math.round(time)));

/** A label as a file-name part: "tiger shark" → "tiger-shark". */
export const fileSafe = (s: string): string =>
  s
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()
    .slice(0, 40) || 'image';

/** The "Earlier" list's words for a failure. */
export const SHORT_ERROR: Partial<Record<ErrorCode, string>> = {
  http: t('shortHttp'),
  network: t('shortNetwork'),
  timeout: t('shortTimeout'),
  'not-image': t('shortNotImage'),
  undecodable: t('shortUndecodable'),
  'too-large': t('shortTooLarge'),
  tainted: t('shortTainted'),
  'no-frame': t('shortNoFrame'),
  'no-image': t('shortNoImage'),
  'page-unreachable': t('shortPageUnreachable'),
  engine: t('shortEngine'),
  'no-style': t('shortNoStyle'),
  cancelled: t('shortCancelled'),
  interrupted: t('shortInterrupted'),
  internal: t('shortInternal'),
};

/** What was right-clicked, by the capture's element kind. */
export const ELEMENT_TEXT: Record<string, string> = {
  img: t('elementImg'),
  picture: t('elementPicture'),
  'css-background': t('elementCssBackground'),
  canvas: t('elementCanvas'),
  video: t('elementVideo'),
  svg: t('elementSvg'),
  'svg-image': t('elementSvgImage'),
  'page-image': t('elementImg'),
};

/**
 * The analysed image (the worker's thumbnail, never a page address: the popup fetches nothing),
 * with the square SqueezeNet looked at framed on it, and a line saying what was right-clicked.
 */
import { t } from '../shared/i18n.js';
import type { JobRecord } from '../shared/jobs.js';
import { ELEMENT_TEXT } from './format.js';

const MAX_IMAGE = { width: 352, height: 240 };

const pct = (part: number, whole: number) => `${(100 * part) / whole}%`;

function Thumbnail({ job, src }: { job: JobRecord; src: string }) {
  const result = job.results.classify;
  const size = result?.image;
  // Explicit size, fitted to the popup, so the figure (and the crop frame) wrap the image exactly.
  const scale = size ? Math.min(MAX_IMAGE.width / size.width, MAX_IMAGE.height / size.height, 2) : 0;
  const px = (n: number) => `${Math.max(1, Math.round(n * scale))}px`;
  const style = size ? { width: px(size.width), height: px(size.height) } : undefined;
  const g = result?.geometry;
  // The square the network saw (centre crop), on the whole image.
  const crop =
    g && g.mode === 'crop' && (g.region.width < g.sourceWidth - 0.5 || g.region.height < g.sourceHeight - 0.5)
      ? {
          left: pct(g.region.x, g.sourceWidth),
          top: pct(g.region.y, g.sourceHeight),
          width: pct(g.region.width, g.sourceWidth),
          height: pct(g.region.height, g.sourceHeight),
        }
      : null;
  return (
    <div class="figure">
      <img data-testid="image" alt={result?.top[0]?.label ?? t('imageAlt')} src={src} style={style} />
      {crop && <div class="crop" title={t('imageCropTitle')} style={crop} />}
    </div>
  );
}

export function ImagePanel({ job, thumbnail }: { job: JobRecord; thumbnail?: string }) {
  const src = job.source;
  if (!thumbnail && !src?.url) return null;
  const result = job.results.classify;
  const size = result ? `${result.image.originalWidth}×${result.image.originalHeight}` : '';
  const line =
    src && src.element !== '?'
      ? [ELEMENT_TEXT[src.element] ?? src.element, size, src.url ?? ''].filter(Boolean).join(' · ')
      : null;
  return (
    <section class="panel panel-image">
      {thumbnail && <Thumbnail job={job} src={thumbnail} />}
      {line !== null && (
        <p class="source" data-testid="source" title={src?.pageUrl ? t('imageOnPage', src.pageUrl) : undefined}>
          {line}
        </p>
      )}
    </section>
  );
}

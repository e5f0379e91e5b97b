/**
 * A fooling image's result: what SqueezeNet now sees, the original, the fooled image, their
 * difference and the difference ×10, the numbers, a download of the verified 8-bit PNG, and
 * "Replace on page" (the page shows the fooled image: right-click it and SqueezeNet sees the
 * target) / "Restore original on page".
 */

import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { differenceImage, magnifiedDifference } from '../render/difference.js';
import { ATTACKS } from '../shared/catalog.js';
import { formatNumber, formatPercent, t } from '../shared/i18n.js';
import type { JobRecord } from '../shared/jobs.js';
import type { FoolData, FoolInfo } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { fileSafe, ms, percent } from './format.js';
import { decodeDataUrl, paint } from './pixels.js';
import { useRevealOnce } from './reveal.js';

function headline(info: FoolInfo): string {
  const again = info.reclassified;
  if (info.success) return t('foolFooled', [again.label, percent(again.prob), info.source.label]);
  const seen = [again.label, percent(again.prob), info.target.label, percent(info.targetProbAfter)];
  return info.confidence ? t('foolNotFooledAsked', [...seen, percent(info.confidence)]) : t('foolNotFooled', seen);
}

function numbers(info: FoolInfo): string {
  const budget = t(info.method === 'cs231n' ? 'foolBudgetSteps' : 'foolBudgetLinf', [
    ATTACKS[info.method].short,
    formatNumber(info.budget),
  ]);
  return [
    info.iterations === 1 ? t('foolOneStep') : t('foolSteps', formatNumber(info.iterations)),
    `L∞ ${info.linf}/255`,
    `L2 ${info.l2.toFixed(0)}`,
    t('foolChanged', formatPercent(info.changedPixels, 0)),
    `P(${info.target.label}) ${percent(info.targetProbBefore)} → ${percent(info.targetProbAfter)}`,
    t('pair', [budget, info.confidence ? t('foolStopAt', percent(info.confidence)) : t('foolStopAtTop')]),
    t('pair', [info.backend, ms(info.ms)]),
  ].join(' · ');
}

/** The signed difference (grey = unchanged) and the same ×10, from the two lossless PNGs. */
function Differences({ data }: { data: FoolData }) {
  const diff = useRef<HTMLCanvasElement>(null);
  const diff10 = useRef<HTMLCanvasElement>(null);
  const [drawn, setDrawn] = useState<FoolData>();
  useLayoutEffect(() => {
    let live = true;
    void Promise.all([decodeDataUrl(data.view, data.size), decodeDataUrl(data.fooled!, data.size)]).then(([a, b]) => {
      if (!live || !diff.current || !diff10.current) return;
      paint(diff.current, differenceImage(a, b));
      paint(diff10.current, magnifiedDifference(a, b));
      setDrawn(data);
    });
    return () => {
      live = false;
    };
  }, [data]);
  const ready = drawn === data ? 'true' : undefined;
  return (
    <>
      <figure>
        <canvas ref={diff} data-testid="fool-difference" data-ready={ready} width={data.size} height={data.size} />
        <figcaption>{t('foolDifference')}</figcaption>
      </figure>
      <figure>
        <canvas
          ref={diff10}
          data-testid="fool-difference-10x"
          data-ready={ready}
          width={data.size}
          height={data.size}
        />
        <figcaption>{t('foolDifference10')}</figcaption>
      </figure>
    </>
  );
}

function ReplaceOnPage({ job, data }: { job: JobRecord; data: FoolData }) {
  const { ui, actions } = usePopup();
  const form = ui.foolForm(job.id);
  const { replaced } = form.value;
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    const reply = replaced
      ? await actions.sendToPage(job, { type: 'squeezelens/restore-image', jobId: job.id })
      : await actions.sendToPage(job, {
          type: 'squeezelens/replace-image',
          jobId: job.id,
          png: data.fooled!,
          cover: job.results.classify?.geometry.mode === 'crop',
        });
    const now = reply.ok ? !replaced : replaced;
    const text = now ? t('foolReplaced') : t('foolRestored');
    const pageMessage = reply.ok ? { text, bad: false } : { text: reply.reason, bad: true };
    form.value = { ...form.value, replaced: now, pageMessage };
    setBusy(false);
  };
  return (
    <button
      type="button"
      data-testid={replaced ? 'fool-restore' : 'fool-replace'}
      disabled={busy || !job.page}
      title={job.page ? undefined : t('foolPageUnknown')}
      onClick={() => void toggle()}
    >
      {replaced ? t('foolRestore') : t('foolReplace')}
    </button>
  );
}

export function FoolResult({ job, info, data }: { job: JobRecord; info: FoolInfo; data: FoolData }) {
  const { ui } = usePopup();
  const ref = useRef<HTMLDivElement>(null);
  useRevealOnce(ref, `fool:${job.id}:${info.ms}`, job.updatedAt, 'start');
  const again = info.reclassified;
  const message = ui.foolForm(job.id).value.pageMessage;
  return (
    <div class="fool-result-view" ref={ref}>
      <p
        class={info.success ? 'fool-result ok' : 'fool-result bad'}
        data-testid="fool-result"
        data-success={String(info.success)}
        data-label={again.label}
      >
        {headline(info)}
      </p>
      <div class="fool-grid">
        <figure>
          <img data-testid="fool-original" alt={t('foolOriginalAlt')} width={160} height={160} src={data.view} />
          <figcaption>{t('foolOriginal')}</figcaption>
        </figure>
        <figure>
          <img
            data-testid="fooled-image"
            alt={t('foolFooledAlt', again.label)}
            width={160}
            height={160}
            src={data.fooled}
          />
          <figcaption>{t('foolFooledCaption')}</figcaption>
        </figure>
        <Differences data={data} />
      </div>
      <p class="meta" data-testid="fool-numbers">
        {numbers(info)}
      </p>
      <div class="fool-actions">
        <a
          class="button primary"
          data-testid="fool-download"
          title={t('foolDownloadTitle')}
          href={data.fooled}
          download={`squeezelens-fooled-${fileSafe(info.target.label)}.png`}
        >
          {t('downloadPng')}
        </a>
        <ReplaceOnPage job={job} data={data} />
      </div>
      {message && (
        <p class={message.bad ? 'bad' : 'muted small'} data-testid="fool-page-status">
          {message.text}
        </p>
      )}
    </div>
  );
}

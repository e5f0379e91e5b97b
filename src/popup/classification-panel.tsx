/** The top-5 with bars, the backend and the timings. */
import { t } from '../shared/i18n.js';
import type { ClassificationResult } from '../shared/jobs.js';
import { ms, percent } from './format.js';

function TopItem({ label, index, prob, first }: { label: string; index: number; prob: number; first: boolean }) {
  return (
    <li>
      <span class="label" title={t('classIndexTitle', index)} data-testid={first ? 'top1-label' : undefined}>
        {label}
      </span>
      <span class="prob" data-testid={first ? 'top1-prob' : undefined}>
        {percent(prob)}
      </span>
      <div class="bar">
        <div style={{ width: `${Math.max(0, Math.min(1, prob)) * 100}%` }} />
      </div>
    </li>
  );
}

export function ClassificationPanel({ result }: { result: ClassificationResult }) {
  const time =
    result.engineLoadMs !== undefined
      ? t('classifyNetworkLoaded', [ms(result.inferenceMs), ms(result.engineLoadMs)])
      : t('classifyNetwork', ms(result.inferenceMs));
  const fallbacks = result.backend.fallbacks.map((f) => t('backendNotUsed', [f.backend, f.reason])).join('\n');
  return (
    <section class="panel panel-classification">
      <h2>{t('classifyTitle')}</h2>
      <ol class="top5" data-testid="top5">
        {result.top.map((p, i) => (
          <TopItem key={p.index} label={p.label} index={p.index} prob={p.prob} first={i === 0} />
        ))}
      </ol>
      <p class="meta">
        <span data-testid="backend" title={fallbacks || undefined}>
          {result.backendText}
        </span>
        {' · '}
        <span data-testid="time">{time}</span>
      </p>
    </section>
  );
}

/** The top-5 with bars, the backend and the timings. */
import type { ClassificationResult } from '../shared/jobs.js';
import { ms, percent } from './format.js';

function TopItem({ label, index, prob, first }: { label: string; index: number; prob: number; first: boolean }) {
  return (
    <li>
      <span class="label" title={`class ${index}`} data-testid={first ? 'top1-label' : undefined}>
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
  const load = result.engineLoadMs !== undefined ? ` · model loaded in ${ms(result.engineLoadMs)}` : '';
  const fallbacks = result.backend.fallbacks.map((f) => `${f.backend} not used: ${f.reason}`).join('\n');
  return (
    <section class="panel panel-classification">
      <h2>What SqueezeNet sees</h2>
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
        <span data-testid="time">{`${ms(result.inferenceMs)} network${load}`}</span>
      </p>
    </section>
  );
}

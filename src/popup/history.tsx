/** "Earlier": the jobs before the one on screen, newest first; a click shows (pins) one. */
import { t, uiLanguage } from '../shared/i18n.js';
import { isFinal, type JobRecord, STATE_TEXT } from '../shared/jobs.js';
import { usePopup } from './context.js';
import { percent, SHORT_ERROR } from './format.js';

/** Earlier jobs listed under the current one (all MAX_JOBS are kept in storage). */
const HISTORY_SHOWN = 6;

function summary(j: JobRecord): string {
  const { classify, fool, visualize, texture } = j.results;
  if (j.state === 'done' && j.kind === 'visualize' && visualize) return t('historyVisualization', visualize.label);
  if (j.state === 'done' && texture) return t('historyTexture', texture.style.label);
  if (j.state === 'done' && j.results.channel)
    return t('historyChannel', [j.results.channel.layer, String(j.results.channel.channel)]);
  if (j.state === 'done' && fool) {
    return t(fool.success ? 'historyFool' : 'historyNotFooled', [fool.source.label, fool.reclassified.label]);
  }
  if (j.state === 'done' && classify)
    return t('historyClassified', [classify.top[0].label, percent(classify.top[0].prob)]);
  const what = isFinal(j.state)
    ? t('historyFailed', SHORT_ERROR[j.error?.code ?? 'internal'] ?? STATE_TEXT[j.state])
    : t('historyRunning');
  const file = j.source?.url?.split(/[/?#]/).filter(Boolean).pop();
  return file ? t('historyWithFile', [what, file]) : what;
}

const time = (at: number) => new Date(at).toLocaleTimeString(uiLanguage(), { hour: '2-digit', minute: '2-digit' });

export function History({ currentId }: { currentId?: string }) {
  const { store, ui } = usePopup();
  const earlier = store.jobs.value
    .filter((j) => j.id !== currentId)
    .reverse()
    .slice(0, HISTORY_SHOWN);
  return (
    <nav id="history" aria-label={t('historyLabel')} hidden={earlier.length === 0}>
      <h2>{t('historyTitle')}</h2>
      <ol>
        {earlier.map((j) => (
          <li key={j.id}>
            <button
              type="button"
              class={isFinal(j.state) && j.state !== 'done' ? 'failed' : ''}
              title={j.source?.url ?? ''}
              onClick={() => (ui.pinned.value = j.id)}
            >
              <span class="what">{summary(j)}</span>
              <span class="when">{time(j.createdAt)}</span>
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}

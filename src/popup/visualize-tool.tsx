/** "What does SqueezeNet think a … looks like?": picks a class and starts a visualization job, then shows it. */

import { useState } from 'preact/hooks';
import { VISUALIZE_ITERATIONS } from '../shared/catalog.js';
import { formatNumber, t } from '../shared/i18n.js';
import { ClassPicker } from './class-picker.js';
import { usePopup } from './context.js';

const { min, max } = VISUALIZE_ITERATIONS;

export function VisualizeTool({ labels }: { labels: readonly string[] }) {
  const { ui, actions } = usePopup();
  const [chosen, setChosen] = useState<number | null>(null);
  const [steps, setSteps] = useState(String(VISUALIZE_ITERATIONS.default));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const start = async () => {
    const n = Number(steps);
    if (chosen === null) return;
    if (!Number.isInteger(n) || n < min || n > max) {
      setError(t('vizSteps', [formatNumber(min), formatNumber(max)]));
      return;
    }
    setError(undefined);
    setBusy(true);
    const reply = await actions.send({ type: 'squeezelens/visualize', classIndex: chosen, iterations: n });
    setBusy(false);
    if (reply?.ok && reply.jobId) ui.pinned.value = reply.jobId;
    else setError(t('couldNotStart', reply?.reason ?? t('errNoAnswer')));
  };
  return (
    <details class="tool" data-testid="visualize-tool">
      <summary>{t('vizSummary')}</summary>
      <p class="muted small">{t('vizAbout')}</p>
      <div class="target-row">
        <span class="muted">{t('vizClass')}</span>
        <span class={chosen === null ? 'chip empty' : 'chip'} data-testid="visualize-class">
          {chosen === null ? t('vizNoClass') : labels[chosen]}
        </span>
      </div>
      <ClassPicker labels={labels} testid="visualize" placeholder={t('vizSearch')} onPick={setChosen} />
      <div class="fool-controls">
        <label>
          <span class="muted">{t('vizStepsLabel')}</span>
          <input
            type="number"
            data-testid="visualize-iterations"
            aria-label={t('vizStepsLabel')}
            min={min}
            max={max}
            step={10}
            value={steps}
            onInput={(e) => setSteps(e.currentTarget.value)}
          />
        </label>
        <button
          type="button"
          class="primary"
          data-testid="visualize-start"
          disabled={busy || chosen === null}
          onClick={() => void start()}
        >
          {t('vizStart')}
        </button>
      </div>
      {error && (
        <p class="bad" data-testid="visualize-error">
          {error}
        </p>
      )}
    </details>
  );
}

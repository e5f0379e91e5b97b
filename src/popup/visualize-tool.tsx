/** "What does SqueezeNet think a … looks like?": picks a class and starts a visualization job, then shows it. */
import { useState } from 'preact/hooks';
import { VISUALIZE_ITERATIONS } from '../shared/catalog.js';
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
      setError(`Steps must be a whole number from ${min} to ${max}.`);
      return;
    }
    setError(undefined);
    setBusy(true);
    const reply = await actions.send({ type: 'squeezelens/visualize', classIndex: chosen, iterations: n });
    setBusy(false);
    if (reply?.ok && reply.jobId) ui.pinned.value = reply.jobId;
    else setError(`Could not start: ${reply?.reason ?? 'the extension did not answer'}`);
  };
  return (
    <details class="tool" data-testid="visualize-tool">
      <summary>What does SqueezeNet think a … looks like?</summary>
      <p class="muted small">
        Draws an image from noise that SqueezeNet finds as typical of a class as possible (Simonyan et al. 2013).
      </p>
      <div class="target-row">
        <span class="muted">Class</span>
        <span class={chosen === null ? 'chip empty' : 'chip'} data-testid="visualize-class">
          {chosen === null ? 'no class yet' : labels[chosen]}
        </span>
      </div>
      <ClassPicker labels={labels} testid="visualize" placeholder="Search a class (e.g. gorilla)" onPick={setChosen} />
      <div class="fool-controls">
        <label>
          <span class="muted">Steps</span>
          <input
            type="number"
            data-testid="visualize-iterations"
            aria-label="Steps"
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
          Visualize
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

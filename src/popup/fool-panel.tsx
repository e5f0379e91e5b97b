/**
 * The fooling panel (fooling jobs): choose a target among the 1000 classes (search, least likely,
 * random), a method, its budget and when to stop; the worker runs the attack with progress and
 * Cancel; then the result (./fool-result.tsx). The form is kept per job while the popup is open.
 */
import type { Signal } from '@preact/signals';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ATTACK_METHODS, ATTACKS, type AttackMethod, FOOL_CONFIDENCES, validBudget } from '../shared/catalog.js';
import { type ClassificationResult, type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import { ClassPicker } from './class-picker.js';
import { usePopup } from './context.js';
import { FoolResult } from './fool-result.js';
import { isFoolData } from './stored-values.js';
import { TaskStatus } from './task-status.js';
import type { FoolForm } from './ui-state.js';

const budgetProblem = (method: AttackMethod, text: string): string | undefined => {
  const b = ATTACKS[method].budget;
  if (text !== '' && validBudget(method, Number(text))) return undefined;
  return `The budget must be between ${b.min} and ${b.max}${b.integer ? ' (a whole number)' : ''}.`;
};

function TargetRow({ form }: { form: Signal<FoolForm> }) {
  const { target, targetLabel } = form.value;
  const set = (change: Partial<FoolForm>) => (form.value = { ...form.value, ...change });
  return (
    <div class="target-row">
      <span class="muted">Target</span>
      <span class={target ? 'chip' : 'chip empty'} data-testid="fool-target">
        {target ? (targetLabel ?? '') : 'no target yet'}
      </span>
      <button
        type="button"
        data-testid="fool-least-likely"
        title="The class SqueezeNet finds least likely for this image"
        onClick={() => set({ target: { kind: 'least-likely' }, targetLabel: 'the least likely class' })}
      >
        Least likely
      </button>
      <button
        type="button"
        data-testid="fool-random"
        title="A random class other than the current answer"
        onClick={() => {
          const seed = Math.floor(Math.random() * 2 ** 31);
          set({ target: { kind: 'random', seed }, targetLabel: 'a random class' });
        }}
      >
        Random
      </button>
    </div>
  );
}

function AttackControls({ form }: { form: Signal<FoolForm> }) {
  const { method, budget, confidence } = form.value;
  const set = (change: Partial<FoolForm>) => (form.value = { ...form.value, ...change });
  const spec = ATTACKS[method].budget;
  const budgetInput = useRef<HTMLInputElement>(null);
  const invalid = budgetProblem(method, budget) !== undefined;
  // Marks the field (:invalid) while what is typed is not a budget the worker accepts.
  useLayoutEffect(() => {
    budgetInput.current?.setCustomValidity(invalid ? `between ${spec.min} and ${spec.max}` : '');
  }, [invalid, spec]);
  return (
    <>
      <div class="fool-controls">
        <label>
          <span class="muted">Method</span>
          <select
            data-testid="fool-method"
            aria-label="Attack method"
            value={method}
            onChange={(e) => {
              const m = e.currentTarget.value as AttackMethod;
              set({ method: m, budget: String(ATTACKS[m].budget.default) });
            }}
          >
            {ATTACK_METHODS.map((m) => (
              <option key={m} value={m} title={ATTACKS[m].description}>
                {ATTACKS[m].title}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span class="muted">Budget</span>
          <input
            ref={budgetInput}
            type="number"
            data-testid="fool-budget"
            aria-label="Budget"
            min={spec.min}
            max={spec.max}
            step={spec.integer ? 1 : 0.5}
            value={budget}
            onInput={(e) => set({ budget: e.currentTarget.value })}
          />
          <span class="muted">{spec.unit}</span>
        </label>
        <label title="How sure SqueezeNet must be of the target before the attack stops">
          <span class="muted">Stop when</span>
          <select
            data-testid="fool-confidence"
            aria-label="Stop when"
            value={String(confidence)}
            onChange={(e) => set({ confidence: Number(e.currentTarget.value) })}
          >
            {FOOL_CONFIDENCES.map((c) => (
              <option key={c} value={String(c)}>
                {c === 0 ? 'it is the top answer' : `it is ${c * 100} % sure`}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="muted small">{ATTACKS[method].description}</p>
    </>
  );
}

function StartButton({ job, form }: { job: JobRecord; form: Signal<FoolForm> }) {
  const { actions } = usePopup();
  const run = job.runs.fool;
  const [starting, setStarting] = useState(false);
  // Starting ends when the worker's run (or a result) shows up.
  useEffect(() => setStarting(false), [run?.state, job.results.fool?.ms]);
  const { target } = form.value;
  const start = async () => {
    const f = form.value;
    if (!f.target) return;
    const problem = budgetProblem(f.method, f.budget);
    if (problem) {
      form.value = { ...f, startError: problem };
      return;
    }
    setStarting(true);
    const reply = await actions.send({
      type: 'squeezelens/fool',
      jobId: job.id,
      target: f.target,
      method: f.method,
      budget: Number(f.budget),
      confidence: f.confidence,
    });
    const startError = reply?.ok ? undefined : `Could not start: ${reply?.reason ?? 'the extension did not answer'}`;
    form.value = { ...form.value, startError };
    if (!reply?.ok) setStarting(false);
  };
  return (
    <button
      type="button"
      class="primary"
      data-testid="fool-start"
      disabled={starting || run?.state === 'running' || !target}
      title={target ? '' : 'Choose a target first'}
      onClick={() => void start()}
    >
      {job.results.fool ? 'Make another' : 'Make fooling image'}
    </button>
  );
}

/** The attack in progress (with Cancel), or why it failed. */
function AttackRun({ job }: { job: JobRecord }) {
  const { actions } = usePopup();
  const run = job.runs.fool;
  if (run?.state === 'running') {
    const title = `Making the fooling image (${run.method})…`;
    return <TaskStatus run={run} title={title} onCancel={() => actions.cancel(job.id)} testid="fool" />;
  }
  if (run?.state === 'error') {
    return (
      <p class="bad" data-testid="fool-run-error">
        {`The fooling image could not be made: ${run.error ?? 'unknown error'}`}
      </p>
    );
  }
  return null;
}

export function FoolPanel({ job, result }: { job: JobRecord; result: ClassificationResult }) {
  const { store, ui } = usePopup();
  const form = ui.foolForm(job.id);
  const labels = store.labels.value;
  const raw = store.value(STORAGE_KEYS.foolPrefix + job.id).value;
  const data = isFoolData(raw) && raw.fooled ? raw : undefined;
  const info = job.results.fool;
  const { startError, query } = form.value;
  const set = (change: Partial<FoolForm>) => (form.value = { ...form.value, ...change });
  return (
    <section class="panel panel-fool" data-testid="fool">
      <h2>Make a fooling image</h2>
      <p class="hint">
        {'SqueezeNet sees '}
        <b>{result.top[0].label}</b>
        {'. Change the image, invisibly, so that it sees something else:'}
      </p>
      <TargetRow form={form} />
      {labels ? (
        <ClassPicker
          labels={labels}
          testid="fool-target"
          placeholder="Search the 1000 classes (e.g. gorilla)"
          query={query}
          onQuery={(q) => set({ query: q })}
          onPick={(index) => set({ target: { kind: 'index', index }, targetLabel: labels[index] })}
        />
      ) : (
        <p class="muted">Loading the class names…</p>
      )}
      <AttackControls form={form} />
      <StartButton job={job} form={form} />
      {startError && (
        <p class="bad" data-testid="fool-start-error">
          {startError}
        </p>
      )}
      <AttackRun job={job} />
      {info && data && <FoolResult job={job} info={info} data={data} />}
    </section>
  );
}

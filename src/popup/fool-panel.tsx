/**
 * The fooling panel (fooling jobs): choose a target among the 1000 classes (search, least likely,
 * random), a method, its budget and when to stop; the worker runs the attack with progress and
 * Cancel; then the result (./fool-result.tsx). The form is kept per job while the popup is open.
 */

import type { Signal } from '@preact/signals';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ATTACK_METHODS, ATTACKS, type AttackMethod, FOOL_CONFIDENCES, validBudget } from '../shared/catalog.js';
import { formatNumber, formatPercent, t } from '../shared/i18n.js';
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
  return t(b.integer ? 'foolBudgetRangeWhole' : 'foolBudgetRange', [formatNumber(b.min), formatNumber(b.max)]);
};

function TargetRow({ form }: { form: Signal<FoolForm> }) {
  const { target, targetLabel } = form.value;
  const set = (change: Partial<FoolForm>) => (form.value = { ...form.value, ...change });
  return (
    <div class="target-row">
      <span class="muted">{t('foolTarget')}</span>
      <span class={target ? 'chip' : 'chip empty'} data-testid="fool-target">
        {target ? (targetLabel ?? '') : t('foolNoTarget')}
      </span>
      <button
        type="button"
        data-testid="fool-least-likely"
        title={t('foolLeastLikelyTitle')}
        onClick={() => set({ target: { kind: 'least-likely' }, targetLabel: t('foolLeastLikelyLabel') })}
      >
        {t('foolLeastLikely')}
      </button>
      <button
        type="button"
        data-testid="fool-random"
        title={t('foolRandomTitle')}
        onClick={() => {
          const seed = Math.floor(Math.random() * 2 ** 31);
          set({ target: { kind: 'random', seed }, targetLabel: t('foolRandomLabel') });
        }}
      >
        {t('foolRandom')}
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
    budgetInput.current?.setCustomValidity(
      invalid ? t('foolBudgetBetween', [formatNumber(spec.min), formatNumber(spec.max)]) : '',
    );
  }, [invalid, spec]);
  return (
    <>
      <div class="fool-controls">
        <label>
          <span class="muted">{t('foolMethod')}</span>
          <select
            data-testid="fool-method"
            aria-label={t('foolMethodLabel')}
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
          <span class="muted">{t('foolBudget')}</span>
          <input
            ref={budgetInput}
            type="number"
            data-testid="fool-budget"
            aria-label={t('foolBudget')}
            min={spec.min}
            max={spec.max}
            step={spec.integer ? 1 : 0.5}
            value={budget}
            onInput={(e) => set({ budget: e.currentTarget.value })}
          />
          <span class="muted">{spec.unit}</span>
        </label>
        <label title={t('foolStopTitle')}>
          <span class="muted">{t('foolStopWhen')}</span>
          <select
            data-testid="fool-confidence"
            aria-label={t('foolStopWhen')}
            value={String(confidence)}
            onChange={(e) => set({ confidence: Number(e.currentTarget.value) })}
          >
            {FOOL_CONFIDENCES.map((c) => (
              <option key={c} value={String(c)}>
                {c === 0 ? t('foolStopTop') : t('foolStopSure', formatPercent(c, 0))}
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
    const startError = reply?.ok ? undefined : t('couldNotStart', reply?.reason ?? t('errNoAnswer'));
    form.value = { ...form.value, startError };
    if (!reply?.ok) setStarting(false);
  };
  return (
    <button
      type="button"
      class="primary"
      data-testid="fool-start"
      disabled={starting || run?.state === 'running' || !target}
      title={target ? '' : t('foolChooseTarget')}
      onClick={() => void start()}
    >
      {job.results.fool ? t('foolAnother') : t('foolMake')}
    </button>
  );
}

/** The attack in progress (with Cancel), or why it failed. */
function AttackRun({ job }: { job: JobRecord }) {
  const { actions } = usePopup();
  const run = job.runs.fool;
  if (run?.state === 'running') {
    const title = t('foolRunning', run.method);
    return <TaskStatus run={run} title={title} onCancel={() => actions.cancel(job.id)} testid="fool" />;
  }
  if (run?.state === 'error') {
    return (
      <p class="bad" data-testid="fool-run-error">
        {t('foolFailed', run.error ?? t('errUnknown'))}
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
      <h2>{t('foolTitle')}</h2>
      <p class="hint">
        {t('foolSees')}
        <b>{result.top[0].label}</b>
        {t('foolSeesAfter')}
      </p>
      <TargetRow form={form} />
      {labels ? (
        <ClassPicker
          labels={labels}
          testid="fool-target"
          placeholder={t('foolSearch')}
          query={query}
          onQuery={(q) => set({ query: q })}
          onPick={(index) => set({ target: { kind: 'index', index }, targetLabel: labels[index] })}
        />
      ) : (
        <p class="muted">{t('loadingClasses')}</p>
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

/**
 * The style image ("Use as style image", kept in storage.local): in a job that kept it, a line
 * saying so; in the tools, the current one with a way to clear it.
 */

import { useState } from 'preact/hooks';
import { t } from '../shared/i18n.js';
import type { JobRecord } from '../shared/jobs.js';
import { STORAGE_KEYS } from '../shared/jobs.js';
import { usePopup } from './context.js';
import { imageOrUndefined } from './stored-values.js';

export function StyleKeptPanel({ job }: { job: JobRecord }) {
  const { store } = usePopup();
  const info = job.results.style;
  if (!info) return null;
  const view = imageOrUndefined(store.value(STORAGE_KEYS.viewPrefix + job.id).value);
  return (
    <section class="panel panel-style" data-testid="style-kept">
      <h2>{t('styleTitle')}</h2>
      {view && (
        <div class="figure">
          <img class="style-view" src={view} alt={t('styleViewAlt')} />
        </div>
      )}
      <p class="small">
        {t('styleKept', info.label)}
        <b>{t('styleKeptMenu')}</b>
      </p>
    </section>
  );
}

export function StyleImageTool() {
  const { style, actions } = usePopup();
  const [problem, setProblem] = useState<string>();
  const current = style.image.value;
  if (!current) return null;
  const texture = async () => {
    setProblem(undefined);
    const reply = await actions.send({ type: 'squeezelens/texture' });
    if (!reply?.ok) setProblem(t('couldNotStart', reply?.reason ?? t('errNoAnswer')));
  };
  return (
    <>
      <div class="style-tool" data-testid="style-tool">
        <img src={current.png} alt={t('styleChoiceAlt')} />
        <div class="text small">
          <div class="muted">{t('styleTitle')}</div>
          <div data-testid="style-label">{current.label}</div>
        </div>
        <button type="button" data-testid="texture-start" onClick={() => void texture()}>
          {t('styleTexture')}
        </button>
        <button type="button" data-testid="style-clear" onClick={() => void style.clear()}>
          {t('styleClear')}
        </button>
      </div>
      {problem && (
        <p class="bad" data-testid="texture-start-error">
          {problem}
        </p>
      )}
    </>
  );
}

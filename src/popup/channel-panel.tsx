/**
 * Channel visualization: the tool (a layer, a channel or its centre neuron, the steps) that starts
 * a job of its own, and that job's panel — the picture as it forms, then the result with the
 * objective before → after and a download.
 */
import { useRef, useState } from 'preact/hooks';
import { CHANNEL_DEFAULTS, CHANNEL_LAYERS, CHANNEL_STEPS, type ChannelLayer } from '../shared/catalog.js';
import { formatNumber, t } from '../shared/i18n.js';
import { type JobRecord, STORAGE_KEYS } from '../shared/jobs.js';
import type { ChannelInfo } from '../shared/task-results.js';
import { usePopup } from './context.js';
import { ms } from './format.js';
import { useRevealOnce } from './reveal.js';
import { imageOrUndefined } from './stored-values.js';

export function ChannelTool() {
  const { ui, actions } = usePopup();
  const [layer, setLayer] = useState<ChannelLayer>(CHANNEL_DEFAULTS.layer);
  const [channel, setChannel] = useState('17');
  const [neuron, setNeuron] = useState(false);
  const [steps, setSteps] = useState(String(CHANNEL_STEPS.default));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const start = async () => {
    const c = Number(channel);
    const n = Number(steps);
    if (!Number.isInteger(c) || c < 0) return setError(t('channelBadIndex'));
    if (!Number.isInteger(n) || n < CHANNEL_STEPS.min || n > CHANNEL_STEPS.max)
      return setError(t('vizSteps', [CHANNEL_STEPS.min, CHANNEL_STEPS.max]));
    setError(undefined);
    setBusy(true);
    const reply = await actions.send({ type: 'squeezelens/channel', layer, channel: c, neuron, steps: n });
    setBusy(false);
    if (reply?.ok && reply.jobId) ui.pinned.value = reply.jobId;
    else setError(t('couldNotStart', reply?.reason ?? t('errNoAnswer')));
  };
  return (
    <details class="tool" data-testid="channel-tool">
      <summary>{t('channelToolTitle')}</summary>
      <p class="muted small">{t('channelToolAbout')}</p>
      <div class="synthesis-form">
        <label>
          {t('channelLayer')}{' '}
          <select
            data-testid="channel-layer"
            value={layer}
            onChange={(e) => setLayer(e.currentTarget.value as ChannelLayer)}
          >
            {CHANNEL_LAYERS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('channelIndex')}{' '}
          <input
            type="number"
            data-testid="channel-index"
            min="0"
            step="1"
            value={channel}
            onInput={(e) => setChannel(e.currentTarget.value)}
          />
        </label>
        <label>
          <input
            type="checkbox"
            data-testid="channel-neuron"
            checked={neuron}
            onChange={(e) => setNeuron(e.currentTarget.checked)}
          />
          {` ${t('channelNeuron')}`}
        </label>
        <label>
          {t('channelSteps')}{' '}
          <input
            type="number"
            data-testid="channel-steps"
            min={CHANNEL_STEPS.min}
            max={CHANNEL_STEPS.max}
            value={steps}
            onInput={(e) => setSteps(e.currentTarget.value)}
          />
        </label>
        <button type="button" data-testid="channel-start" disabled={busy} onClick={() => void start()}>
          {t('channelStart')}
        </button>
      </div>
      {error && (
        <p class="bad" data-testid="channel-start-error">
          {error}
        </p>
      )}
    </details>
  );
}

export function ChannelPanel({ job, info }: { job: JobRecord; info: ChannelInfo }) {
  const { store } = usePopup();
  const ref = useRef<HTMLDivElement>(null);
  const done = job.state === 'done' && info.objectiveEnd !== undefined;
  useRevealOnce(ref, done ? `channel:${job.id}` : undefined, job.updatedAt);
  const image = imageOrUndefined(
    store.value((done ? STORAGE_KEYS.channelPrefix : STORAGE_KEYS.previewPrefix) + job.id).value,
  );
  const what = t(info.neuron ? 'channelWhatNeuron' : 'channelWhat', [info.layer, info.channel]);
  return (
    <section class="panel panel-channel" data-testid="channel" ref={ref}>
      <h2>{t('channelPanelTitle')}</h2>
      <p class="saliency-what">
        <b data-testid="channel-what">{what}</b>
      </p>
      {image && (
        <div class="saliency-figure">
          <img class="visual-image" data-testid={done ? 'channel-image' : 'channel-preview'} alt={what} src={image} />
        </div>
      )}
      {!image && !done && <p class="muted">{t('visualForming')}</p>}
      {done && (
        <>
          <p class="meta" data-testid="channel-result">
            {`${t('channelLine', [
              info.steps,
              formatNumber(info.objectiveStart!, 1),
              formatNumber(info.objectiveEnd!, 1),
            ])}${info.backend ? ` · ${info.backend}` : ''}${info.ms ? `, ${ms(info.ms)}` : ''}`}
          </p>
          {image && (
            <a
              class="button primary"
              data-testid="channel-download"
              href={image}
              download={`squeezelens-${info.layer}-${info.neuron ? 'neuron' : 'channel'}-${info.channel}.png`}
            >
              {t('downloadPng')}
            </a>
          )}
        </>
      )}
    </section>
  );
}

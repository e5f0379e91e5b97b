/**
 * "Show on page": the coloured map (transparent where cold) drawn over the image in the page, by
 * the content script of the frame it came from; "Remove from page" takes it away. What the page
 * answered is kept per job (ui-state) while the popup is open.
 */

import { useState } from 'preact/hooks';
import { encodePng } from '../render/png.js';
import { pngDataUrl } from '../shared/base64.js';
import { t } from '../shared/i18n.js';
import type { JobRecord } from '../shared/jobs.js';
import type { PageReply } from '../shared/messages.js';
import { usePopup } from './context.js';
import { type DecodedSaliency, pageOverlay } from './saliency-view.js';

export function ShowOnPage({ job, decoded }: { job: JobRecord; decoded?: DecodedSaliency }) {
  const { ui, actions } = usePopup();
  const state = ui.overlay(job.id);
  const { shown } = state.value;
  const [busy, setBusy] = useState(false);
  const geometry = job.results.classify?.geometry;
  const known = Boolean(job.page && geometry);
  const toggle = async () => {
    if (!shown && !decoded) return;
    setBusy(true);
    try {
      let reply: PageReply;
      if (shown) reply = await actions.sendToPage(job, { type: 'squeezelens/remove-overlay', jobId: job.id });
      else {
        const png = pngDataUrl(await encodePng(pageOverlay(decoded!, ui.view.value)));
        const request = { type: 'squeezelens/show-overlay', jobId: job.id, png, geometry: geometry! } as const;
        reply = await actions.sendToPage(job, request);
      }
      // A page that has no overlay any more (× clicked on it, reloaded) counts as removed.
      const now = reply.ok ? !shown : shown && reply.reason !== t('pageNoOverlay');
      const message = !reply.ok
        ? { text: reply.reason, bad: true }
        : now
          ? { text: t('pageShown'), bad: false }
          : undefined;
      state.value = { shown: now, message };
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      data-testid={shown ? 'saliency-remove-from-page' : 'saliency-show-on-page'}
      disabled={busy || !known}
      title={known ? undefined : t('foolPageUnknown')}
      onClick={() => void toggle()}
    >
      {shown ? t('pageRemove') : t('pageShow')}
    </button>
  );
}

/** What the page did with the last request, or why it refused. */
export function OverlayStatus({ jobId }: { jobId: string }) {
  const { ui } = usePopup();
  const message = ui.overlay(jobId).value.message;
  if (!message) return null;
  return (
    <p class={message.bad ? 'saliency-error' : 'muted small'} data-testid="saliency-page-status">
      {message.text}
    </p>
  );
}

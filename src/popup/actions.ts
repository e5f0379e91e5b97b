/**
 * What the popup asks of others: the worker (runtime.sendMessage: hello, cancel, saliency, fool,
 * sanity, dream, visualize) and the content script of the frame a job's image came from
 * (tabs.sendMessage: show/remove the overlay, replace/restore the image). Each answers a value, never
 * throws: an unreachable worker or page becomes a reason to show.
 */
import { t } from '../shared/i18n.js';
import type { JobRecord } from '../shared/jobs.js';
import type { PageReply, PageRequest, TaskReply, WorkerRequest } from '../shared/messages.js';

/** The parts of the extension API used here (webextension-polyfill's `browser`). */
export interface MessagingLike {
  runtime: { sendMessage(message: unknown): Promise<unknown> };
  tabs: { sendMessage(tabId: number, message: unknown, options?: { frameId?: number }): Promise<unknown> };
}

export interface Actions {
  /** a request to the worker; its answer, or undefined when the worker could not be reached */
  send(request: WorkerRequest): Promise<TaskReply | undefined>;
  /** a request to the page the job's image came from */
  sendToPage(job: JobRecord, request: PageRequest): Promise<PageReply>;
  cancel(jobId: string): void;
  /** wakes the worker, which reports jobs a stopped worker lost and clears the badge */
  hello(): void;
}

export function createActions(api: MessagingLike): Actions {
  const send = async (request: WorkerRequest): Promise<TaskReply | undefined> => {
    try {
      return (await api.runtime.sendMessage(request)) as TaskReply | undefined;
    } catch (error) {
      console.warn('[SqueezeLens] the worker did not answer', error);
      return undefined;
    }
  };
  return {
    send,
    sendToPage: (job, request) => sendToPage(api, job, request),
    cancel: (jobId) => void send({ type: 'squeezelens/cancel', jobId }),
    hello: () => void send({ type: 'squeezelens/hello' }),
  };
}

async function sendToPage(api: MessagingLike, job: JobRecord, request: PageRequest): Promise<PageReply> {
  if (!job.page) return { ok: false, reason: t('pageUnknown') };
  let reply: unknown;
  try {
    reply = await api.tabs.sendMessage(job.page.tabId, request, { frameId: job.page.frameId });
  } catch {
    return { ok: false, reason: t('pageGoneTab') };
  }
  const r = reply as { ok?: unknown; reason?: unknown } | undefined;
  if (!r || typeof r.ok !== 'boolean') {
    return { ok: false, reason: t('pageNoAnswer') };
  }
  return r.ok ? { ok: true } : { ok: false, reason: String(r.reason ?? t('pageRefused')) };
}

/**
 * The extension's user-facing wiring in the service worker: the context menu, asking the page for
 * the right-clicked element, opening the popup, and the popup's requests. Listeners are registered
 * synchronously when the worker starts (a stopped worker is restarted by the event that needs it);
 * work is queued in ./runner.ts.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { t } from '../shared/i18n.js';
import { type JobError, jobKindOfMenu, MENU_IDS, type SourceInfo } from '../shared/jobs.js';
import {
  type CaptureReply,
  type CaptureRequest,
  type CaptureSource,
  isFromExtensionPage,
  type WorkerReplies,
  type WorkerRequest,
} from '../shared/messages.js';
import { parseCaptureReply, parseWorkerRequest } from '../shared/parse-messages.js';
import { parseSettings, SETTINGS_KEY } from '../shared/settings.js';
import { announce, cancelJob, createJob, failJob, recoverInterrupted, WORKER_ID } from './queue.js';
import { queueMenuJob, requeueMenuJob, startChannel, startTask, startTexture, startVisualization } from './runner.js';
import { beginTimings, endTimings, epochNow, mark } from './timings.js';

/** Pages the menu and the content script work on (see README, Permissions). */
export const PAGE_PATTERNS = ['http://*/*', 'https://*/*'];
const CAPTURE_TIMEOUT_MS = 15_000;

const MENU_CONTEXTS = ['page', 'frame', 'link', 'image', 'video', 'selection', 'editable'] as [
  `${chrome.contextMenus.ContextType}`,
  ...`${chrome.contextMenus.ContextType}`[],
];

export function createMenus(): void {
  chrome.contextMenus.removeAll(() => {
    const items: [string, string][] = [
      [MENU_IDS.classify, t('menuClassify')],
      [MENU_IDS.saliency, t('menuSaliency')],
      [MENU_IDS.fool, t('menuFool')],
      [MENU_IDS.invert, t('menuInvert')],
      [MENU_IDS.style, t('menuStyle')],
      [MENU_IDS.stylize, t('menuStylize')],
      [MENU_IDS.segment, t('menuSegment')],
    ];
    for (const [id, title] of items) {
      chrome.contextMenus.create({ id, title, contexts: MENU_CONTEXTS, documentUrlPatterns: PAGE_PATTERNS }, () => {
        // Reading lastError marks it handled (a duplicate id after a racing reinstall is harmless).
        void chrome.runtime.lastError;
      });
    }
  });
}

let openPopupSetting = true;
async function refreshSettings(): Promise<void> {
  openPopupSetting = parseSettings((await chrome.storage.local.get(SETTINGS_KEY))[SETTINGS_KEY]).openPopup;
}

/**
 * Opens the popup on the job (Chrome 127+ allows `action.openPopup()` here). Where it cannot
 * (older browsers, no focused window, headless), the badge set when the job ends is the path.
 */
function openPopup(): void {
  if (!openPopupSetting) return;
  const open = (chrome.action as { openPopup?: () => Promise<void> }).openPopup;
  if (typeof open !== 'function') return;
  open.call(chrome.action).catch(() => {
    // the badge will say a result is waiting
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

async function askPage(
  tab: chrome.tabs.Tab | undefined,
  info: chrome.contextMenus.OnClickData,
  jobId: string,
): Promise<CaptureReply> {
  const request: CaptureRequest = { type: 'squeezelens/capture', jobId };
  if (info.srcUrl) request.srcUrl = info.srcUrl;
  if (info.mediaType) request.mediaType = info.mediaType;
  const pageUrl = info.frameUrl ?? info.pageUrl ?? tab?.url ?? '';
  const unreachable: JobError = {
    code: 'page-unreachable',
    message: t('errPageUnreachable'),
  };
  if (tab?.id === undefined || tab.id < 0) return { ok: false, error: unreachable };
  let raw: unknown;
  try {
    raw = await withTimeout(
      browser.tabs.sendMessage(tab.id, request, { frameId: info.frameId ?? 0 }),
      CAPTURE_TIMEOUT_MS,
    );
  } catch {
    raw = undefined;
  }
  if (raw === undefined) {
    // No content script answered. The browser still told us the address of a right-clicked image.
    if (info.srcUrl && /^(https?:|data:)/i.test(info.srcUrl) && info.mediaType === 'image') {
      const source: CaptureSource = { kind: 'url', url: info.srcUrl, element: 'img' };
      return { ok: true, source, pageUrl };
    }
    return { ok: false, error: unreachable };
  }
  return (
    parseCaptureReply(raw) ?? {
      ok: false,
      error: { code: 'internal', message: t('errMalformedCapture') },
    }
  );
}

const shortUrl = (url: string) =>
  url.startsWith('data:') ? `${url.slice(0, url.indexOf(',') + 1)}… (${(url.length / 1024).toFixed(1)} KB)` : url;

/** Where the pixels came from, as the popup shows it. */
export function sourceInfo(source: CaptureSource, pageUrl: string | undefined): SourceInfo {
  return { element: source.element, url: source.kind === 'url' ? shortUrl(source.url) : undefined, pageUrl };
}

export async function onMenuClicked(info: chrome.contextMenus.OnClickData, tab?: chrome.tabs.Tab): Promise<void> {
  const kind = jobKindOfMenu(info.menuItemId);
  if (!kind) return;
  const clickAt = epochNow();
  openPopup(); // first, while the click still counts as a user action
  const page = tab?.id !== undefined && tab.id >= 0 ? { tabId: tab.id, frameId: info.frameId ?? 0 } : undefined;
  const pageUrl = info.pageUrl ?? tab?.url;
  const { id, signal, written } = createJob({
    kind,
    state: 'capturing',
    source: pageUrl ? { element: '?', pageUrl } : undefined,
    page,
  });
  beginTimings(id, clickAt);
  // The page is asked while the new record is written (both ~10 ms; neither needs the other).
  const [reply] = await Promise.all([askPage(tab, info, id), written]);
  mark(id, 'captured');
  if (signal.aborted) return endTimings(id);
  if (!reply.ok) {
    endTimings(id);
    await failJob(id, reply.error);
    return;
  }
  await queueMenuJob(id, kind, reply.source, sourceInfo(reply.source, reply.pageUrl));
}

type Handlers = {
  [T in WorkerRequest['type']]: (request: Extract<WorkerRequest, { type: T }>) => Promise<WorkerReplies[T]>;
};

/** The popup's and options page's requests, one handler each (validated by parseWorkerRequest first). */
const HANDLERS: Handlers = {
  'squeezelens/hello': async () => {
    await announce('clear');
    return { ok: true, worker: WORKER_ID };
  },
  'squeezelens/cancel': (r) => cancelJob(r.jobId),
  'squeezelens/saliency': (r) => startTask(r.jobId, 'saliency', { method: r.method }),
  'squeezelens/sanity': (r) => startTask(r.jobId, 'sanity', {}),
  'squeezelens/fool': ({ type: _, jobId, ...request }) => startTask(jobId, 'fool', request),
  'squeezelens/dream': (r) => startTask(r.jobId, 'dream', {}),
  'squeezelens/visualize': ({ classIndex, iterations }) => startVisualization({ classIndex, iterations }),
  'squeezelens/invert': (r) => startTask(r.jobId, 'invert', { layer: r.layer }),
  'squeezelens/layers': (r) => startTask(r.jobId, 'layers', {}),
  'squeezelens/stylize': (r) => startTask(r.jobId, 'stylize', { preset: r.preset, strength: r.strength }),
  'squeezelens/texture': () => startTexture(),
  'squeezelens/channel': ({ type: _, ...request }) => startChannel(request),
  'squeezelens/noise': (r) => startTask(r.jobId, 'noise', {}),
};

function handle<T extends WorkerRequest['type']>(
  request: Extract<WorkerRequest, { type: T }>,
): Promise<WorkerReplies[T]> {
  return (HANDLERS[request.type as T] as (r: typeof request) => Promise<WorkerReplies[T]>)(request);
}

export function installProduct(): void {
  const extensionOrigin = chrome.runtime.getURL('').replace(/\/$/, '');
  chrome.runtime.onInstalled.addListener(() => createMenus());
  chrome.contextMenus.onClicked.addListener((info, tab) => {
    onMenuClicked(info, tab).catch((error: unknown) => console.error('[SqueezeLens] menu action failed', error));
  });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && SETTINGS_KEY in changes) void refreshSettings();
  });
  void refreshSettings().catch(() => {});

  browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
    const request = parseWorkerRequest(message);
    if (!request) return undefined; // not a request for the worker
    if (!isFromExtensionPage(sender, chrome.runtime.id, extensionOrigin)) {
      console.warn('[SqueezeLens] ignored a request from outside the extension pages', sender.url);
      return undefined;
    }
    return handle(request);
  });

  // Jobs a previous worker left active were lost with it: run a classification or saliency job
  // again (once), report the others.
  void recoverInterrupted(requeueMenuJob).catch((error: unknown) =>
    console.error('[SqueezeLens] recovery failed', error),
  );
}

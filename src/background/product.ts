/**
 * The extension's user-facing wiring in the service worker: the context menu, asking the page for
 * the right-clicked element, opening the popup, and the popup's requests. Listeners are registered
 * synchronously when the worker starts (a stopped worker is restarted by the event that needs it);
 * work happens in ./jobs.ts.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { jobKindOfMenu, MENU_IDS, type JobError } from '../shared/jobs.js';
import { isFromExtensionPage, parseCaptureReply, parseWorkerRequest, type CaptureReply, type CaptureRequest, type CaptureSource, type CancelReply, type HelloReply, type TaskReply } from '../shared/messages.js';
import { SETTINGS_KEY, parseSettings } from '../shared/settings.js';
import { announce, cancelJob, createJob, createVisualJob, enqueue, failJob, recoverInterrupted, rerunSaliency, sourceInfo, WORKER_ID } from './jobs.js';
import { startDream, startFool, startSanity } from './tasks.js';

/** Pages the menu and the content script work on (see README, Permissions). */
export const PAGE_PATTERNS = ['http://*/*', 'https://*/*'];
const CAPTURE_TIMEOUT_MS = 15_000;

const MENU_CONTEXTS = ['page', 'frame', 'link', 'image', 'video', 'selection', 'editable'] as [`${chrome.contextMenus.ContextType}`, ...`${chrome.contextMenus.ContextType}`[]];

export function createMenus(): void {
  chrome.contextMenus.removeAll(() => {
    const items: [string, string][] = [
      [MENU_IDS.classify, 'What is this?'],
      [MENU_IDS.saliency, 'Show saliency map'],
      [MENU_IDS.fool, 'Make a fooling image…'],
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
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}

async function askPage(tab: chrome.tabs.Tab | undefined, info: chrome.contextMenus.OnClickData, jobId: string): Promise<CaptureReply> {
  const request: CaptureRequest = { type: 'squeezelens/capture', jobId };
  if (info.srcUrl) request.srcUrl = info.srcUrl;
  if (info.mediaType) request.mediaType = info.mediaType;
  const pageUrl = info.frameUrl ?? info.pageUrl ?? tab?.url ?? '';
  const unreachable: JobError = {
    code: 'page-unreachable',
    message: 'SqueezeLens cannot read this page: it is a browser page, or it was opened before SqueezeLens was installed (reload the page and try again).',
  };
  if (tab?.id === undefined || tab.id < 0) return { ok: false, error: unreachable };
  let raw: unknown;
  try {
    raw = await withTimeout(browser.tabs.sendMessage(tab.id, request, { frameId: info.frameId ?? 0 }), CAPTURE_TIMEOUT_MS);
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
  return parseCaptureReply(raw) ?? { ok: false, error: { code: 'internal', message: 'The page answered with a malformed capture; nothing was analysed.' } };
}

export async function onMenuClicked(info: chrome.contextMenus.OnClickData, tab?: chrome.tabs.Tab): Promise<void> {
  const kind = jobKindOfMenu(info.menuItemId);
  if (!kind) return;
  openPopup(); // first, while the click still counts as a user action
  const page = tab?.id !== undefined && tab.id >= 0 ? { tabId: tab.id, frameId: info.frameId ?? 0 } : undefined;
  const { id, signal } = await createJob(kind, info.pageUrl ?? tab?.url, page);
  const reply = await askPage(tab, info, id);
  if (signal.aborted) return;
  if (!reply.ok) {
    await failJob(id, reply.error);
    return;
  }
  await enqueue(id, reply.source, sourceInfo(reply.source, reply.pageUrl));
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

  browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender): Promise<HelloReply | CancelReply | TaskReply> | undefined => {
    const request = parseWorkerRequest(message);
    if (!request) return undefined; // not a request for the worker
    if (!isFromExtensionPage(sender, chrome.runtime.id, extensionOrigin)) {
      console.warn('[SqueezeLens] ignored a request from outside the extension pages', sender.url);
      return undefined;
    }
    if (request.type === 'squeezelens/hello') {
      return (async () => {
        await announce('clear');
        return { ok: true as const, worker: WORKER_ID };
      })();
    }
    switch (request.type) {
      case 'squeezelens/saliency':
        return rerunSaliency(request.jobId, request.method);
      case 'squeezelens/fool':
        return startFool(request);
      case 'squeezelens/sanity':
        return startSanity(request.jobId);
      case 'squeezelens/dream':
        return startDream(request.jobId);
      case 'squeezelens/visualize':
        return createVisualJob(request.classIndex, request.iterations).then((jobId) => ({ ok: true, jobId }));
      default:
        return cancelJob(request.jobId);
    }
  });

  // Jobs a previous worker left active were lost with it: report them.
  void recoverInterrupted().catch((error: unknown) => console.error('[SqueezeLens] recovery failed', error));
}

/**
 * Content script (every http/https frame, document_start). It does nothing until asked: it only
 * remembers where the last right-click happened, and answers the worker's `capture` request with
 * what was under the pointer (./locate.ts). It never talks to the page (no window.postMessage, no
 * DOM changes), and accepts requests only from this extension's worker.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { isFromWorker, parseCaptureRequest } from '../shared/messages.js';
import { capture, type ContextClick } from './locate.js';

let lastClick: ContextClick | null = null;

addEventListener(
  'contextmenu',
  (event) => {
    lastClick = { target: event.target, path: event.composedPath(), x: event.clientX, y: event.clientY, at: Date.now() };
  },
  { capture: true, passive: true },
);

const origin = browser.runtime.getURL('').replace(/\/$/, '');

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender): Promise<unknown> | undefined => {
  if (!isFromWorker(sender, browser.runtime.id, origin)) return undefined;
  const request = parseCaptureRequest(message);
  if (!request) return undefined; // not ours or malformed: no answer
  return capture(lastClick, request);
});

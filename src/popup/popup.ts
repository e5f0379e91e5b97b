/**
 * The popup's entry (esbuild's PAGES list names it; popup.html loads popup.js): makes the store,
 * the popup's state and the messaging, renders ./app.tsx, and reads storage. Requests go to the
 * worker (`hello`, which wakes it, reports jobs a stopped worker lost and clears the badge) at
 * start and whenever the newest job is final (the user sees it); a job that appears while the
 * popup is open is shown at once (un-pins).
 */
import { h, render } from 'preact';
import browser from 'webextension-polyfill';
import { type MessageKey, t, uiLanguage } from '../shared/i18n.js';
import { isFinal, type JobRecord } from '../shared/jobs.js';
import { createActions } from './actions.js';
import { App } from './app.js';
import { PopupContext } from './context.js';
import { SessionStore } from './store.js';
import { createStyleSource } from './style-source.js';
import { PopupUi } from './ui-state.js';

// The page's own texts come from _locales too (data-i18n="<key>"), and its language is the UI's.
document.documentElement.lang = uiLanguage();
for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
  el.textContent = t(el.dataset.i18n as MessageKey);
  el.title = el.textContent;
}

const store = new SessionStore(browser.storage);
const ui = new PopupUi(new URLSearchParams(location.search).get('job'));
const actions = createActions(browser);
const style = createStyleSource(browser.storage);

store.onJobsChanged((before, after) => {
  const known = new Set(before.map((j) => j.id));
  if (after.some((j) => !known.has(j.id))) ui.pinned.value = null; // a new job: show it
  const newest = after[after.length - 1];
  if (newest && isFinal(newest.state)) actions.hello(); // the user sees it: clear the badge
});

/**
 * Chrome stops an idle worker, and a stopped worker says nothing: a job or run it was doing stays
 * "running" in storage. So while something is active and no write came for STALL_MS (progress is
 * written several times a second; a silent download can take up to the fetch timeout), the popup
 * says hello: that wakes a stopped worker, whose start-up reports what the old one left active.
 */
const STALL_MS = 4000;
const busy = (j: JobRecord) => !isFinal(j.state) || Object.values(j.runs).some((r) => r?.state === 'running');
setInterval(() => {
  const now = Date.now();
  if (store.jobs.value.some((j) => busy(j) && now - j.updatedAt > STALL_MS)) actions.hello();
}, STALL_MS / 2);

actions.hello();
render(h(PopupContext.Provider, { value: { store, ui, actions, style } }, h(App, {})), document.getElementById('app')!);
// The class names: a file of the extension's own package (no network).
void store.loadLabels(async () => (await fetch(browser.runtime.getURL('models/imagenet_classes.json'))).json());
void store.loadJobs();

/** Options page: the settings of ../shared/settings.ts, saved to storage.local on every change. */
import browser from 'webextension-polyfill';
import { type MessageKey, t, uiLanguage } from '../shared/i18n.js';
import { parseSettings, SETTINGS_KEY, type Settings, SYNTHESIS_ITERATION_RANGE } from '../shared/settings.js';

// Every text on the page comes from _locales (data-i18n="<key>" on the element that shows it).
document.documentElement.lang = uiLanguage();
for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]'))
  el.textContent = t(el.dataset.i18n as MessageKey);

const form = document.getElementById('form') as HTMLFormElement;
const saved = document.getElementById('saved')!;

const iterationsInput = form.elements.namedItem('synthesisIterations') as HTMLInputElement;
iterationsInput.min = String(SYNTHESIS_ITERATION_RANGE.min);
iterationsInput.max = String(SYNTHESIS_ITERATION_RANGE.max);

function show(s: Settings): void {
  for (const name of ['preprocess', 'backend', 'weights'] as const) {
    const input = form.querySelector<HTMLInputElement>(`input[name="${name}"][value="${s[name]}"]`);
    if (input) input.checked = true;
  }
  (form.elements.namedItem('openPopup') as HTMLInputElement).checked = s.openPopup;
  (form.elements.namedItem('fetchTimeoutSec') as HTMLInputElement).value = String(s.fetchTimeoutSec);
  iterationsInput.value = String(s.synthesisIterations);
  const size = form.querySelector<HTMLInputElement>(`input[name="synthesisSize"][value="${s.synthesisSize}"]`);
  if (size) size.checked = true;
}

function read(): Settings {
  const data = new FormData(form);
  return parseSettings({
    preprocess: data.get('preprocess'),
    backend: data.get('backend'),
    weights: data.get('weights'),
    openPopup: (form.elements.namedItem('openPopup') as HTMLInputElement).checked,
    fetchTimeoutSec: Number(data.get('fetchTimeoutSec')),
    synthesisIterations: Number(data.get('synthesisIterations')),
    synthesisSize: Number(data.get('synthesisSize')),
  });
}

show(parseSettings((await browser.storage.local.get(SETTINGS_KEY))[SETTINGS_KEY]));
form.addEventListener('change', async () => {
  const s = read();
  await browser.storage.local.set({ [SETTINGS_KEY]: s });
  show(s);
  saved.textContent = t('optionsSaved');
  setTimeout(() => (saved.textContent = ''), 1500);
});

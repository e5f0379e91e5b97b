/** Options page: the settings of ../shared/settings.ts, saved to storage.local on every change. */
import browser from 'webextension-polyfill';
import { parseSettings, SETTINGS_KEY, type Settings } from '../shared/settings.js';

const form = document.getElementById('form') as HTMLFormElement;
const saved = document.getElementById('saved')!;

function show(s: Settings): void {
  for (const name of ['preprocess', 'backend', 'weights'] as const) {
    const input = form.querySelector<HTMLInputElement>(`input[name="${name}"][value="${s[name]}"]`);
    if (input) input.checked = true;
  }
  (form.elements.namedItem('openPopup') as HTMLInputElement).checked = s.openPopup;
  (form.elements.namedItem('fetchTimeoutSec') as HTMLInputElement).value = String(s.fetchTimeoutSec);
}

function read(): Settings {
  const data = new FormData(form);
  return parseSettings({
    preprocess: data.get('preprocess'),
    backend: data.get('backend'),
    weights: data.get('weights'),
    openPopup: (form.elements.namedItem('openPopup') as HTMLInputElement).checked,
    fetchTimeoutSec: Number(data.get('fetchTimeoutSec')),
  });
}

show(parseSettings((await browser.storage.local.get(SETTINGS_KEY))[SETTINGS_KEY]));
form.addEventListener('change', async () => {
  const s = read();
  await browser.storage.local.set({ [SETTINGS_KEY]: s });
  show(s);
  saved.textContent = 'Saved.';
  setTimeout(() => (saved.textContent = ''), 1500);
});

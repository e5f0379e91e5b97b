/**
 * Picking one of the 1000 ImageNet classes by typing: the ranked matches of attack/targets.ts's
 * searchClasses (whole label, whole word, prefix, substring, or an index) as buttons under a
 * search box. Labels go in through textContent only.
 */
import { searchClasses } from '../methods/attack/targets.js';
import { h } from './dom.js';

export interface ClassPickerOptions {
  labels: readonly string[];
  /** data-testid prefix, e.g. 'fool-target' → fool-target-search, fool-target-results */
  testid: string;
  placeholder: string;
  /** the text to start with (kept by the caller across rebuilds) */
  query?: string;
  onQuery?(query: string): void;
  onPick(index: number): void;
}

const SHOWN = 6;

export function classPicker(o: ClassPickerOptions): HTMLElement {
  const input = h('input', { testid: `${o.testid}-search`, attrs: { type: 'search', placeholder: o.placeholder, 'aria-label': o.placeholder, autocomplete: 'off', spellcheck: 'false' } });
  input.value = o.query ?? '';
  const list = h('ul', { class: 'class-results', testid: `${o.testid}-results`, attrs: { role: 'listbox' } });
  const refresh = () => {
    const matches = searchClasses(o.labels, input.value, SHOWN);
    list.replaceChildren(
      ...matches.map((m) => {
        const b = h('button', { text: m.label, title: `class ${m.index}`, attrs: { type: 'button', role: 'option', 'data-index': String(m.index) } });
        b.addEventListener('click', () => {
          o.onPick(m.index);
          input.value = '';
          o.onQuery?.('');
          list.replaceChildren();
        });
        return h('li', {}, [b]);
      }),
    );
    list.hidden = matches.length === 0;
    if (input.value.trim() && matches.length === 0) {
      list.hidden = false;
      list.replaceChildren(h('li', { class: 'none', text: `No ImageNet class matches “${input.value.trim()}”` }));
    }
  };
  input.addEventListener('input', () => {
    o.onQuery?.(input.value);
    refresh();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') list.querySelector<HTMLButtonElement>('button')?.click();
  });
  refresh();
  return h('div', { class: 'class-picker' }, [input, list]);
}

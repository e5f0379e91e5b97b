/**
 * Picking one of the 1000 ImageNet classes by typing: the ranked matches of searchClasses (whole
 * label, whole word, prefix, substring, or an index) as buttons under a search box; Enter picks
 * the first. The query can be kept by the caller (the fooling form keeps it per job).
 */

import { useState } from 'preact/hooks';
import { searchClasses } from '../shared/classes.js';
import { t } from '../shared/i18n.js';

const SHOWN = 6;

interface ClassPickerProps {
  labels: readonly string[];
  /** data-testid prefix, e.g. 'fool-target' → fool-target-search, fool-target-results */
  testid: string;
  placeholder: string;
  /** a query kept by the caller (with onQuery); without it the picker keeps its own */
  query?: string;
  onQuery?(query: string): void;
  onPick(index: number): void;
}

export function ClassPicker({ labels, testid, placeholder, query: kept, onQuery, onPick }: ClassPickerProps) {
  const [own, setOwn] = useState('');
  const query = kept ?? own;
  const setQuery = (q: string) => {
    setOwn(q);
    onQuery?.(q);
  };
  const matches = searchClasses(labels, query, SHOWN);
  const pick = (index: number) => {
    setQuery('');
    onPick(index);
  };
  const typed = query.trim();
  return (
    <div class="class-picker">
      <input
        type="search"
        data-testid={`${testid}-search`}
        placeholder={placeholder}
        aria-label={placeholder}
        autocomplete="off"
        spellcheck={false}
        value={query}
        onInput={(e) => setQuery(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && matches.length) pick(matches[0].index);
        }}
      />
      <ul
        class="class-results"
        data-testid={`${testid}-results`}
        aria-label={t('pickerMatching')}
        hidden={!typed && !matches.length}
      >
        {matches.map((m) => (
          <li key={m.index}>
            <button
              type="button"
              title={t('classIndexTitle', m.index)}
              data-index={m.index}
              onClick={() => pick(m.index)}
            >
              {m.label}
            </button>
          </li>
        ))}
        {typed && !matches.length && <li class="none">{t('pickerNone', typed)}</li>}
      </ul>
    </div>
  );
}

/**
 * The message catalogues (src/_locales/<lang>/messages.json) agree: the same keys in every
 * language, the same placeholders in each message, every key the sources use present in English
 * and every English key used somewhere. English is the fallback in Node (t() without chrome.i18n).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../esbuild.config.js';
import { formatPercent, renderMessage, t } from '../../src/shared/i18n.js';

interface Entry {
  message: string;
  description?: string;
  placeholders?: Record<string, { content: string }>;
}
type Catalogue = Record<string, Entry>;

const LOCALES = join(ROOT, 'src', '_locales');
const LANGUAGES = ['en', 'zh_CN'];
const load = (lang: string): Catalogue => JSON.parse(readFileSync(join(LOCALES, lang, 'messages.json'), 'utf8'));

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, ext) : ext.test(name) ? [path] : [];
  });
}

/** The $NAME$ placeholders a message uses (lower-case, sorted) and the $1…$9 they stand for. */
function placeholdersOf(e: Entry): { used: string[]; declared: string[] } {
  const used = [...e.message.replace(/\$\$/g, '').matchAll(/\$([A-Za-z0-9_@]+)\$/g)].map((m) => m[1].toLowerCase());
  return {
    used: [...new Set(used)].sort(),
    declared: Object.entries(e.placeholders ?? {})
      .map(([name, p]) => `${name.toLowerCase()}=${p.content}`)
      .sort(),
  };
}

/** Keys the sources name: t('key'), msg('key'), data-i18n="key", __MSG_key__ and MessageKey-typed tables. */
function keysUsedInSources(): Map<string, string> {
  const used = new Map<string, string>();
  for (const file of [...filesUnder(join(ROOT, 'src'), /\.(ts|tsx|html)$/), join(ROOT, 'manifest.json')]) {
    const text = readFileSync(file, 'utf8');
    const where = relative(ROOT, file);
    for (const m of text.matchAll(/\b(?:t|msg)\(\s*'([A-Za-z0-9_]+)'/g)) used.set(m[1], where);
    for (const m of text.matchAll(/\b(?:t|msg)\(\s*[^'()]*\?\s*'([A-Za-z0-9_]+)'\s*:\s*'([A-Za-z0-9_]+)'/g)) {
      used.set(m[1], where);
      used.set(m[2], where);
    }
    for (const m of text.matchAll(/data-i18n="([A-Za-z0-9_]+)"/g)) used.set(m[1], where);
    for (const m of text.matchAll(/__MSG_([A-Za-z0-9_]+)__/g)) used.set(m[1], where);
  }
  return used;
}

describe('message catalogues', () => {
  const en = load('en');

  it('has exactly the languages it ships', () => {
    expect(readdirSync(LOCALES).sort()).toEqual([...LANGUAGES].sort());
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s has every English key and no other', (lang) => {
    const other = load(lang);
    const missing = Object.keys(en).filter((k) => !(k in other));
    const extra = Object.keys(other).filter((k) => !(k in en));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it.each(LANGUAGES)('%s: each message uses exactly its declared placeholders, as English does', (lang) => {
    const cat = load(lang);
    const problems: string[] = [];
    for (const [key, entry] of Object.entries(cat)) {
      if (typeof entry.message !== 'string' || entry.message.trim() === '') problems.push(`${key}: empty`);
      const { used, declared } = placeholdersOf(entry);
      const names = declared.map((d) => d.split('=')[0]);
      if (used.join() !== names.join()) problems.push(`${key}: uses [${used}] but declares [${names}]`);
      const reference = placeholdersOf(en[key] ?? entry);
      if (declared.join() !== reference.declared.join())
        problems.push(`${key}: placeholders [${declared}] differ from English [${reference.declared}]`);
      // A bare $1 bypasses the named placeholders (and the check above).
      if (/\$[1-9]/.test(entry.message.replace(/\$\$/g, ''))) problems.push(`${key}: bare $n in the message`);
    }
    expect(problems).toEqual([]);
  });

  it('every key the sources use exists in English, and every English key is used', () => {
    const used = keysUsedInSources();
    const missing = [...used].filter(([k]) => !(k in en)).map(([k, where]) => `${k} (${where})`);
    expect(missing).toEqual([]);
    const sources = [...filesUnder(join(ROOT, 'src'), /\.(ts|tsx|html)$/), join(ROOT, 'manifest.json')]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // Keys can also be named in typed tables (Record<…, MessageKey>): any quoted mention counts.
    const unused = Object.keys(en).filter((k) => !used.has(k) && !sources.includes(`'${k}'`));
    expect(unused).toEqual([]);
  });

  it('Chinese is written in Chinese (except names and pure formats)', () => {
    const zh = load('zh_CN');
    // The same text in both languages on purpose: product names and formats without words.
    const SAME = new Set(['extName', 'actionTitle', 'mGradCam']);
    const english = Object.keys(en).filter(
      (k) =>
        !SAME.has(k) &&
        /[A-Za-z]{3,}/.test(en[k].message.replace(/\$[A-Za-z0-9_]+\$/g, '')) &&
        zh[k]?.message === en[k].message,
    );
    expect(english).toEqual([]);
  });
});

describe('t() without chrome.i18n (Node, the CLI)', () => {
  it('reads English and fills placeholders in order', () => {
    expect(t('historyFailed', 'timed out')).toBe('Failed: timed out');
    expect(t('errTooLargeBytes', ['30 MB', '25 MB'])).toBe(
      'The image is too large to analyse: 30 MB (the limit is 25 MB).',
    );
    expect(t('progressStep', [3, 50])).toBe('step 3 of 50');
  });

  it('renders $$ as $ and leaves missing substitutions empty', () => {
    expect(renderMessage({ message: 'costs $$5 $A$', placeholders: { a: { content: '$1' } } }, ['now'])).toBe(
      'costs $5 now',
    );
    expect(renderMessage({ message: '$A$!', placeholders: { a: { content: '$1' } } }, [])).toBe('!');
  });

  it('formats percentages with Intl in English', () => {
    expect(formatPercent(0.123)).toBe('12.3%');
  });
});

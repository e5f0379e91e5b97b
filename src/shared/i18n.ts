/**
 * Every string a user sees goes through `t(key, substitutions?)`: chrome.i18n.getMessage over
 * src/_locales/<lang>/messages.json (copied to dist/chrome/_locales by the build). Keys are
 * typed from the English file. Where chrome.i18n is absent (Node: tests, the CLI) the English file
 * is read directly, with the same placeholder rules, so shared modules keep working in English.
 *
 * Numbers and percentages are formatted with Intl in the browser's UI language
 * (chrome.i18n.getUILanguage(); 'en' without it).
 */
import en from '../_locales/en/messages.json' with { type: 'json' };

export type MessageKey = keyof typeof en;
export type Substitutions = string | number | readonly (string | number)[];

interface MessageEntry {
  message: string;
  placeholders?: Record<string, { content: string }>;
}

type I18nApi = { getMessage(key: string, subs?: string | string[]): string; getUILanguage(): string };

function api(): I18nApi | undefined {
  const g = globalThis as { chrome?: { i18n?: Partial<I18nApi> } };
  const i18n = g.chrome?.i18n;
  return typeof i18n?.getMessage === 'function' && typeof i18n.getUILanguage === 'function'
    ? (i18n as I18nApi)
    : undefined;
}

/** The English message with its placeholders filled in, as chrome.i18n would (for Node). */
export function renderMessage(entry: MessageEntry, subs: readonly string[]): string {
  const named = entry.message.replace(/\$([a-z0-9_@]+)\$/gi, (whole, name: string) => {
    const p = entry.placeholders?.[name.toLowerCase()];
    return p ? p.content : whole;
  });
  return named.replace(/\$(\$|[1-9])/g, (_, d: string) => (d === '$' ? '$' : (subs[Number(d) - 1] ?? '')));
}

/** The message `key` in the UI language, with $1…$9 filled from `subs`. */
export function t(key: MessageKey, subs?: Substitutions): string {
  const list = subs === undefined ? [] : (Array.isArray(subs) ? subs : [subs]).map(String);
  const i18n = api();
  if (i18n) {
    const text = i18n.getMessage(key, list);
    if (text) return text;
  }
  const entry = (en as Record<string, MessageEntry>)[key];
  return entry ? renderMessage(entry, list) : key;
}

/** The UI language, e.g. 'en-US' or 'zh-CN'. */
export function uiLanguage(): string {
  try {
    return api()?.getUILanguage() || 'en';
  } catch {
    return 'en';
  }
}

const formats = new Map<string, Intl.NumberFormat>();

/** A number in the UI language (digits as given). */
export function formatNumber(n: number, fractionDigits?: number): string {
  const id = `n${fractionDigits ?? ''}`;
  let f = formats.get(id);
  if (!f) {
    const digits =
      fractionDigits === undefined
        ? {}
        : { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits };
    f = new Intl.NumberFormat(uiLanguage(), digits);
    formats.set(id, f);
  }
  return f.format(n);
}

/** A fraction (0.123) as a percentage in the UI language ("12.3%"). */
export function formatPercent(p: number, fractionDigits = 1): string {
  const id = `p${fractionDigits}`;
  let f = formats.get(id);
  if (!f) {
    f = new Intl.NumberFormat(uiLanguage(), {
      style: 'percent',
      minimumFractionDigits: fractionDigits,
      maximumFractionDigits: fractionDigits,
    });
    formats.set(id, f);
  }
  return f.format(p);
}

/**
 * No hard-coded words in the UI: the popup's components, the options page, the in-page overlay
 * and the context menu show only text that comes through t() (or data-i18n in HTML). What is
 * scanned: JSX text and string children, user-visible attributes (alt, title, aria-label,
 * placeholder, and the components' own caption/title props), DOM text assignments, HTML text
 * nodes, and the menu items. Data (class names, numbers, units like px) is not words; the few
 * literal words that stay are in ALLOWED, each with its reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAst } from 'rolldown/parseAst';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../esbuild.config.js';

const en = JSON.parse(readFileSync(join(ROOT, 'src', '_locales', 'en', 'messages.json'), 'utf8')) as Record<
  string,
  { message: string }
>;

/** Literal texts that may stay as they are in every language. */
const ALLOWED: Record<string, string> = {
  'L∞': 'a norm’s name, as written in every paper',
  L2: 'a norm’s name',
  'P(': 'probability notation in the fooling numbers line',
  SqueezeLens: 'the product name (the popup header)',
};

/** True when a literal contains words (letters) that are not on the allow-list. */
function wordy(text: string): boolean {
  let rest = text;
  for (const ok of Object.keys(ALLOWED)) rest = rest.split(ok).join(' ');
  // ${…} in templates is code, not text.
  rest = rest.replace(/\$\{[^}]*\}/g, ' ');
  return /\p{L}{2,}/u.test(rest);
}

const stripComments = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/** Attributes (and the components' own props) whose value is shown. */
const VISIBLE_ATTRIBUTES = ['alt', 'title', 'aria-label', 'placeholder', 'caption', 'what', 'detail', 'label'];

// oxc's parser, through rolldown (vite's bundler): an ESTree with JSX. (TypeScript 7 has no JS API.)
type Node = { type: string; [key: string]: unknown };
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';
const children = (node: Node): Node[] =>
  Object.entries(node).flatMap(([k, v]) =>
    k === 'parent' ? [] : Array.isArray(v) ? v.filter(isNode) : isNode(v) ? [v] : [],
  );
const COMPARISONS = new Set(['===', '!==', '==', '!=']);

/**
 * The string literals under `node` that would reach the screen: not keys given to t(), not
 * operands of comparisons (`run.state === 'error'`), not nested JSX (visited on its own).
 */
function shownLiterals(node: Node, out: string[]): void {
  if (node.type === 'JSXElement' || node.type === 'JSXFragment') return;
  if (node.type === 'CallExpression') {
    const callee = node.callee as Node;
    if (callee.type === 'Identifier' && (callee.name === 't' || callee.name === 'msg')) return;
  }
  if (node.type === 'BinaryExpression' && COMPARISONS.has(node.operator as string)) return;
  if (node.type === 'MemberExpression' && node.computed) return;
  if (node.type === 'Literal' && typeof node.value === 'string') out.push(node.value);
  if (node.type === 'TemplateElement') out.push((node.value as { cooked: string }).cooked ?? '');
  for (const child of children(node)) shownLiterals(child, out);
}

/** Hard-coded texts in a .tsx component: JSX text, string children, visible attributes. */
function inTsx(src: string): string[] {
  const found: string[] = [];
  const visit = (node: Node): void => {
    if (node.type === 'JSXText' && wordy(node.value as string)) found.push((node.value as string).trim());
    if (node.type === 'JSXAttribute') {
      const name = (node.name as Node).name as string;
      const value = node.value as Node | null;
      if (VISIBLE_ATTRIBUTES.includes(name) && value) {
        const texts: string[] = [];
        shownLiterals(value.type === 'JSXExpressionContainer' ? (value.expression as Node) : value, texts);
        if (texts.some(wordy)) found.push(src.slice(node.start as number, node.end as number));
      }
      // Other attributes (class, data-testid, href…) are not shown; JSX inside them still is.
      if (value) for (const child of children(value)) visitJsxOnly(child);
      return;
    }
    if (node.type === 'JSXExpressionContainer') {
      const texts: string[] = [];
      shownLiterals(node.expression as Node, texts);
      if (texts.some(wordy)) found.push(src.slice(node.start as number, node.end as number));
    }
    for (const child of children(node)) visit(child);
  };
  const visitJsxOnly = (node: Node): void => {
    if (node.type === 'JSXElement' || node.type === 'JSXFragment') visit(node);
    else for (const child of children(node)) visitJsxOnly(child);
  };
  visit(parseAst(src, { lang: 'tsx' }) as unknown as Node);
  return found;
}

/** Hard-coded texts put into the DOM by a .ts file. */
function inDomScript(src: string): string[] {
  const code = stripComments(src);
  const found: string[] = [];
  const assign = /\.(?:textContent|innerText|title|placeholder|alt)\s*=\s*('([^']*)'|`([^`]*)`|"([^"]*)")/g;
  for (const m of code.matchAll(assign)) if (wordy(m[2] ?? m[3] ?? m[4] ?? '')) found.push(m[0]);
  const attribute = /setAttribute\(\s*'(?:aria-label|title|alt|placeholder)'\s*,\s*('([^']*)'|`([^`]*)`)/g;
  for (const m of code.matchAll(attribute)) if (wordy(m[2] ?? m[3] ?? '')) found.push(m[0]);
  const label = /\blabel:\s*('([^']*)'|`([^`]*)`)/g;
  for (const m of code.matchAll(label)) if (wordy(m[2] ?? m[3] ?? '')) found.push(m[0]);
  return found;
}

/**
 * HTML: every text node with words sits in an element with data-i18n, and shows the English
 * message (the page replaces it with the UI language's at load).
 */
function inHtml(src: string): string[] {
  const html = src.replace(/<!--[\s\S]*?-->/g, '').replace(/<style>[\s\S]*?<\/style>/g, '');
  const found: string[] = [];
  for (const m of html.matchAll(/<([a-z0-9]+)([^>]*)>([^<]*)</g)) {
    const [, , attributes, text] = m;
    if (!wordy(text)) continue;
    const key = /data-i18n="([A-Za-z0-9_]+)"/.exec(attributes)?.[1];
    if (!key) found.push(`<${m[1]}>${text.trim()}`);
    else if (en[key]?.message !== text) found.push(`data-i18n="${key}" shows “${text}”, not the English message`);
  }
  for (const m of html.matchAll(/\s(?:alt|title|aria-label|placeholder)="([^"]*)"/g)) {
    if (wordy(m[1])) found.push(m[0].trim());
  }
  return found;
}

const popup = join(ROOT, 'src', 'popup');
const files: [string, (src: string) => string[]][] = [
  ...readdirSync(popup)
    .filter((f) => f.endsWith('.tsx'))
    .map((f): [string, (src: string) => string[]] => [`src/popup/${f}`, inTsx]),
  ['src/popup/popup.html', inHtml],
  ['src/popup/popup.ts', inDomScript],
  ['src/options/options.html', inHtml],
  ['src/options/options.ts', inDomScript],
  ['src/capture/page-overlay.ts', inDomScript],
  ['src/capture/content.ts', inDomScript],
];

describe('no hard-coded words in the UI', () => {
  it.each(files)('%s', (file, scan) => {
    expect(scan(readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });

  it('the context menu titles come from t()', () => {
    const src = stripComments(readFileSync(join(ROOT, 'src', 'background', 'product.ts'), 'utf8'));
    const items = [...src.matchAll(/\[MENU_IDS\.(\w+),\s*([^\]]+)\]/g)];
    expect(items.length).toBeGreaterThanOrEqual(6);
    for (const [, id, title] of items) expect(title, id).toMatch(/^t\('menu\w+'\)$/);
  });

  it('the manifest’s name, description and action title are __MSG_…__', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));
    expect(manifest.default_locale).toBe('en');
    for (const text of [manifest.name, manifest.description, manifest.action.default_title])
      expect(text).toMatch(/^__MSG_\w+__$/);
  });

  it('catches what it is for', () => {
    expect(inTsx('<h2>Where SqueezeNet looked</h2>')).toHaveLength(1);
    expect(inTsx('<img alt="The dream" />')).toHaveLength(1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JSX source as input
    expect(inTsx('<b title={`class ${i}`}>x</b>')).toHaveLength(1);
    expect(inTsx("<p>{'Pixels that most change '}</p>")).toHaveLength(1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: JSX source as input
    expect(inTsx("<><h2>{t('salTitle')}</h2><span class='x y'>{`${opacity} ×`}</span></>")).toEqual([]);
    expect(inDomScript("button.title = 'Remove overlay';")).toHaveLength(1);
    expect(inHtml('<legend>Weights</legend>')).toHaveLength(1);
    expect(inHtml('<legend data-i18n="optionsWeights">Weights</legend>')).toEqual([]);
  });
});

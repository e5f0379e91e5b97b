/**
 * The 1000 ImageNet classes as every layer sees them, without TF.js: one name for a class with
 * its probability, one top-k, and the class-name search the CLI and the popup's pickers share.
 */

/** A class and its probability. */
export interface ClassProb {
  index: number;
  label: string;
  prob: number;
}

/** The k most probable classes, best first (ties: the lower index). */
export function topK(probs: ArrayLike<number>, labels: readonly string[], k: number): ClassProb[] {
  const idx = Array.from({ length: probs.length }, (_, i) => i);
  idx.sort((a, b) => probs[b] - probs[a] || a - b);
  return idx
    .slice(0, Math.max(0, Math.min(k, probs.length)))
    .map((index) => ({ index, label: labels[index], prob: probs[index] }));
}

export interface ClassMatch {
  index: number;
  label: string;
  /** how it matched, best first: the index itself, the whole label, whole words, a substring */
  match: 'index' | 'exact' | 'word' | 'prefix' | 'substring';
}

const RANK: Record<ClassMatch['match'], number> = { index: 0, exact: 1, word: 2, prefix: 3, substring: 4 };

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[\s_]+/g, ' ')
    .trim();
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Classes whose name matches the query, best first (then by index): a number in range is that
 * index; otherwise the whole label ("gorilla"), the query as whole words ("tiger" in "tiger cat"),
 * a word starting with it ("gorill"), any substring ("orill"). Case and `_`/space are ignored.
 */
export function searchClasses(labels: readonly string[], query: string | number, limit = 20): ClassMatch[] {
  const q = norm(String(query));
  if (q === '') return [];
  const out: ClassMatch[] = [];
  if (/^\d+$/.test(q)) {
    const i = Number(q);
    if (i < labels.length) out.push({ index: i, label: labels[i], match: 'index' });
  }
  const word = new RegExp(`(^|[^a-z0-9])${escapeRegExp(q)}($|[^a-z0-9])`);
  const prefix = new RegExp(`(^|[^a-z0-9])${escapeRegExp(q)}`);
  labels.forEach((label, index) => {
    const l = norm(label);
    const match: ClassMatch['match'] | null =
      l === q ? 'exact' : word.test(l) ? 'word' : prefix.test(l) ? 'prefix' : l.includes(q) ? 'substring' : null;
    if (match) out.push({ index, label, match });
  });
  out.sort((a, b) => RANK[a.match] - RANK[b.match] || a.index - b.index);
  return out.slice(0, limit);
}

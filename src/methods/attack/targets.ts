/**
 * Choosing the target class: by name (any of the 1000, case-insensitive search returning ranked
 * candidates), by index, the least-likely class for this image, or a seeded random class that is
 * not the current prediction.
 */
import { seededRandom } from '../common.js';
import { argmax, argmin } from './metrics.js';

export interface ClassMatch {
  index: number;
  label: string;
  /** how it matched, best first: the index itself, the whole label, whole words, a substring */
  match: 'index' | 'exact' | 'word' | 'prefix' | 'substring';
}

const RANK: Record<ClassMatch['match'], number> = { index: 0, exact: 1, word: 2, prefix: 3, substring: 4 };

const norm = (s: string) => s.toLowerCase().replace(/[\s_]+/g, ' ').trim();
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
  const word = new RegExp(`(^|[^a-z0-9])${escape(q)}($|[^a-z0-9])`);
  const prefix = new RegExp(`(^|[^a-z0-9])${escape(q)}`);
  labels.forEach((label, index) => {
    const l = norm(label);
    const match: ClassMatch['match'] | null = l === q ? 'exact' : word.test(l) ? 'word' : prefix.test(l) ? 'prefix' : l.includes(q) ? 'substring' : null;
    if (match) out.push({ index, label, match });
  });
  out.sort((a, b) => RANK[a.match] - RANK[b.match] || a.index - b.index);
  return out.slice(0, limit);
}

/** The class with the lowest probability for this image (ties: the lowest index). */
export function leastLikelyClass(probs: ArrayLike<number>): number {
  return argmin(probs);
}

/** A seeded uniform class among the 999 that are not the current top-1. */
export function randomClass(probs: ArrayLike<number>, seed: number): number {
  const current = argmax(probs);
  const k = Math.floor(seededRandom(seed)() * (probs.length - 1));
  return k >= current ? k + 1 : k;
}

export type TargetSpec =
  | { kind: 'index'; index: number }
  | { kind: 'name'; query: string }
  | { kind: 'least-likely' }
  | { kind: 'random'; seed: number };

export interface ResolvedTarget {
  index: number;
  label: string;
  how: TargetSpec['kind'];
  /** for a name: the ranked candidates (the first is the one chosen) */
  candidates?: ClassMatch[];
  /** for a name: more than one candidate and none matched the whole label (say which was taken) */
  ambiguous?: boolean;
}

export class TargetError extends Error {}

/**
 * Parse a CLI/popup target: "least-likely" (or "least", "ll"), "random" or "random:SEED",
 * a class index ("366"), anything else a name to search ("gorilla", "Tiger shark").
 */
export function parseTarget(text: string, defaultSeed = 0): TargetSpec {
  const t = text.trim().toLowerCase();
  if (t === 'least-likely' || t === 'least_likely' || t === 'leastlikely' || t === 'least' || t === 'll') return { kind: 'least-likely' };
  const r = /^random(?::(\d+))?$/.exec(t);
  if (r) return { kind: 'random', seed: r[1] === undefined ? defaultSeed : Number(r[1]) };
  if (/^\d+$/.test(t)) return { kind: 'index', index: Number(t) };
  return { kind: 'name', query: text.trim() };
}

/** The target class for an image whose probabilities (before the attack) are `probs`. */
export function resolveTarget(spec: TargetSpec, labels: readonly string[], probs: ArrayLike<number>): ResolvedTarget {
  switch (spec.kind) {
    case 'index':
      if (!Number.isInteger(spec.index) || spec.index < 0 || spec.index >= labels.length) {
        throw new TargetError(`class index must be in [0, ${labels.length - 1}], got ${spec.index}`);
      }
      return { index: spec.index, label: labels[spec.index], how: 'index' };
    case 'name': {
      const candidates = searchClasses(labels, spec.query);
      if (candidates.length === 0) throw new TargetError(`no ImageNet class matches "${spec.query}"`);
      const best = candidates[0];
      return { index: best.index, label: best.label, how: 'name', candidates, ambiguous: candidates.length > 1 && best.match !== 'exact' && best.match !== 'index' };
    }
    case 'least-likely': {
      const index = leastLikelyClass(probs);
      return { index, label: labels[index], how: 'least-likely' };
    }
    case 'random': {
      const index = randomClass(probs, spec.seed);
      return { index, label: labels[index], how: 'random' };
    }
  }
}

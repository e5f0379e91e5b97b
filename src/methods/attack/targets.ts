/**
 * Choosing the target class: by name (any of the 1000, case-insensitive search returning ranked
 * candidates), by index, the least-likely class for this image, or a seeded random class that is
 * not the current prediction.
 */
import { type ClassMatch, searchClasses } from '../../shared/classes.js';
import { argmax, argmin } from '../../shared/numeric.js';
import { seededRandom } from '../common.js';

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
  if (t === 'least-likely' || t === 'least_likely' || t === 'leastlikely' || t === 'least' || t === 'll')
    return { kind: 'least-likely' };
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
      return {
        index: best.index,
        label: best.label,
        how: 'name',
        candidates,
        ambiguous: candidates.length > 1 && best.match !== 'exact' && best.match !== 'index',
      };
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

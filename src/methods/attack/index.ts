/**
 * Fooling-image attacks: one entry point for the CLI and the popup, and the pieces.
 *
 *   const probs = ... // the image's probabilities, to resolve least-likely / random targets
 *   const target = resolveTarget(parseTarget('gorilla'), labels, probs);
 *   const result = await runAttack(model, image, { method: 'cs231n', target: target.index, backend });
 *   result.pixels   // the 8-bit image to save; result.success is about exactly these bytes
 */
import { ATTACK_METHODS, type AttackMethod } from '../../shared/catalog.js';
import type { Model, PixelImage } from '../common.js';
import { type Cs231nOptions, cs231nAttack } from './cs231n.js';
import { type FgsmOptions, fgsmAttack } from './fgsm.js';
import type { AttackMetrics } from './metrics.js';
import { type PgdOptions, pgdAttack } from './pgd.js';
import type { AttackResult } from './uint8.js';

export * from './cs231n.js';
export * from './fgsm.js';
export * from './metrics.js';
export * from './pgd.js';
export * from './targets.js';
export * from './uint8.js';

export type AttackRequest =
  | ({ method: 'cs231n'; target: number } & Cs231nOptions)
  | ({ method: 'fgsm'; target: number | null } & FgsmOptions)
  | ({ method: 'pgd'; target: number | null } & PgdOptions);

export async function runAttack(model: Model, image: PixelImage, request: AttackRequest): Promise<AttackResult> {
  switch (request.method) {
    case 'cs231n':
      return cs231nAttack(model, image, request.target, request);
    case 'fgsm':
      return fgsmAttack(model, image, request.target, request);
    case 'pgd':
      return pgdAttack(model, image, request.target, request);
    default:
      throw new RangeError(
        `unknown attack method ${String((request as { method: unknown }).method)} (use ${ATTACK_METHODS.join(', ')})`,
      );
  }
}

/** A JSON-friendly summary (no pixel arrays) of a result, with class names, for `--json` and logs. */
export interface AttackSummary extends AttackMetrics {
  method: AttackMethod;
  target: { index: number; label: string } | null;
  source: { index: number; label: string };
  predictedBeforeLabel: string;
  predictedAfterLabel: string;
}

export function attackSummary(result: AttackResult, labels: readonly string[]): AttackSummary {
  const m = result.metrics;
  return {
    method: result.method,
    target: result.target === null ? null : { index: result.target, label: labels[result.target] },
    source: { index: result.source, label: labels[result.source] },
    ...m,
    predictedBeforeLabel: labels[m.predictedBefore],
    predictedAfterLabel: labels[m.predictedAfter],
  };
}

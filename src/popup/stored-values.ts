/**
 * Checks on the per-job values read from storage.session before they are drawn: the worker wrote
 * them, but a half-written or evicted key must show "not stored any more", not throw in a render.
 */
import type { FoolData, SaliencyData } from '../shared/task-results.js';

export const isImageUrl = (v: unknown): v is string => typeof v === 'string' && v.startsWith('data:image/');

export const imageOrUndefined = (v: unknown): string | undefined => (isImageUrl(v) ? v : undefined);

export function isFoolData(v: unknown): v is FoolData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Partial<FoolData>;
  return typeof d.size === 'number' && isImageUrl(d.view) && (d.fooled === undefined || isImageUrl(d.fooled));
}

export function isSaliencyData(v: unknown): v is SaliencyData {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Partial<SaliencyData>;
  return typeof d.size === 'number' && typeof d.map === 'string';
}

/**
 * The style image as the popup follows it: read from storage.local once, then kept current from
 * storage.onChanged (a menu action in another tab can replace it while the popup is open).
 * Validated on every read: storage.local is ours, but a value from an older version must not break
 * the popup. Storage is injected so the logic runs in Node tests.
 */
import { type ReadonlySignal, signal } from '@preact/signals';
import { STYLE_IMAGE_KEY } from '../shared/jobs.js';
import { parseStyleImage, type StyleImage } from '../shared/task-results.js';
import type { StorageChangeLike } from './store.js';

export interface LocalStorageLike {
  local: { get(key: string): Promise<Record<string, unknown>>; remove(key: string): Promise<void> };
  onChanged: { addListener(listener: (changes: Record<string, StorageChangeLike>, area: string) => void): void };
}

export interface StyleSource {
  /** the kept style image, or null (none, or not readable) */
  image: ReadonlySignal<StyleImage | null>;
  clear(): Promise<void>;
}

export function createStyleSource(storage: LocalStorageLike): StyleSource {
  const image = signal<StyleImage | null>(null);
  let changed = false;
  storage.onChanged.addListener((changes, area) => {
    if (area !== 'local' || !(STYLE_IMAGE_KEY in changes)) return;
    changed = true; // a snapshot read before this change is stale
    image.value = parseStyleImage(changes[STYLE_IMAGE_KEY].newValue);
  });
  void storage.local.get(STYLE_IMAGE_KEY).then(
    (items) => {
      if (!changed) image.value = parseStyleImage(items[STYLE_IMAGE_KEY]);
    },
    () => {},
  );
  return { image, clear: () => storage.local.remove(STYLE_IMAGE_KEY) };
}

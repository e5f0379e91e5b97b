/**
 * The popup's view of the style image (storage.local): read once, then followed from change events;
 * a snapshot that arrives after a change event is stale and dropped; malformed values read as none.
 */
import { describe, expect, it } from 'vitest';
import type { StorageChangeLike } from '../../src/popup/store.js';
import { createStyleSource } from '../../src/popup/style-source.js';
import { STYLE_IMAGE_KEY } from '../../src/shared/jobs.js';

const owl = { png: 'data:image/png;base64,AAAA', label: 'great grey owl', savedAt: 1 };
const tench = { png: 'data:image/png;base64,BBBB', label: 'tench', savedAt: 2 };

function fakeLocal(initial: unknown) {
  let listener: (changes: Record<string, StorageChangeLike>, area: string) => void = () => {};
  let answer: (v: Record<string, unknown>) => void = () => {};
  const removed: string[] = [];
  return {
    storage: {
      local: {
        get: () => new Promise<Record<string, unknown>>((resolve) => (answer = resolve)),
        remove: async (key: string) => void removed.push(key),
      },
      onChanged: { addListener: (l: typeof listener) => (listener = l) },
    },
    answer: () => answer(initial === undefined ? {} : { [STYLE_IMAGE_KEY]: initial }),
    change: (newValue: unknown, area = 'local') => listener({ [STYLE_IMAGE_KEY]: { newValue } }, area),
    removed,
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('style image source', () => {
  it('reads the kept image, follows changes, and clears it', async () => {
    const f = fakeLocal(owl);
    const source = createStyleSource(f.storage);
    expect(source.image.value).toBeNull();
    f.answer();
    await settle();
    expect(source.image.value?.label).toBe('great grey owl');
    f.change(tench);
    expect(source.image.value?.label).toBe('tench');
    f.change(tench, 'session'); // another area: ignored
    f.change(undefined);
    expect(source.image.value).toBeNull();
    await source.clear();
    expect(f.removed).toEqual([STYLE_IMAGE_KEY]);
  });

  it('drops a snapshot that was read across a change', async () => {
    const f = fakeLocal(owl);
    const source = createStyleSource(f.storage);
    f.change(tench);
    f.answer(); // the older value arrives late
    await settle();
    expect(source.image.value?.label).toBe('tench');
  });

  it('reads a malformed value as no style image', async () => {
    const f = fakeLocal({ png: 'https://evil/x.png', label: 'x', savedAt: 1 });
    const source = createStyleSource(f.storage);
    f.answer();
    await settle();
    expect(source.image.value).toBeNull();
  });
});

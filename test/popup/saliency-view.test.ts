/**
 * The popup's saliency pictures (src/popup/saliency-view.ts), without a DOM: the stored 8-bit map
 * decodes to [0,1], and the page overlay's "Top 20 %" keeps exactly the pixels the popup's own
 * picture keeps (one rule, render/overlay.ts keepMask, ties included).
 */
import { describe, expect, it } from 'vitest';
import { compose, type DecodedSaliency, decodeMap, pageOverlay } from '../../src/popup/saliency-view.js';
import type { ViewChoices } from '../../src/popup/ui-state.js';
import { bytesToBase64 } from '../../src/shared/base64.js';
import type { SaliencyData } from '../../src/shared/task-results.js';

const SIZE = 20;

function decoded(values: number[]): DecodedSaliency {
  const map = decodeMap(bytesToBase64(Uint8Array.from(values)), SIZE);
  const view = { width: SIZE, height: SIZE, data: new Uint8ClampedArray(SIZE * SIZE * 4).fill(200) };
  return { source: {} as SaliencyData, view, map, smooth: map };
}

const choices = (over: Partial<ViewChoices> = {}): ViewChoices => ({
  opacity: 1,
  colormap: 'inferno',
  mask: false,
  smooth: false,
  ...over,
});

describe('saliency view', () => {
  it('decodes the stored map to [0,1] and refuses a map of the wrong size', () => {
    const map = decodeMap(bytesToBase64(Uint8Array.from([0, 51, 255, 255])), 2);
    expect(Array.from(map.data)).toEqual(Array.from(Float32Array.of(0, 0.2, 1, 1)));
    expect(() => decodeMap(bytesToBase64(Uint8Array.from([1, 2, 3])), 2)).toThrow(/expected 4 values, got 3/);
  });

  it('"Top 20 %" keeps the same pixels on the page as in the popup, ties included', () => {
    // Many ties: a quarter of the pixels share the value at the 80th percentile.
    const values = Array.from({ length: SIZE * SIZE }, (_, i) => (i < 300 ? 10 + (i % 7) : i < 380 ? 120 : 250));
    const d = decoded(values);
    const masked = compose(d, choices({ mask: true, opacity: 0 }));
    const onPage = pageOverlay(d, choices({ mask: true }));
    for (let p = 0; p < SIZE * SIZE; p++) {
      const keptInPopup = masked.data[p * 4] === 200; // dropped pixels are dimmed
      const shownOnPage = onPage.data[p * 4 + 3] > 0;
      expect(shownOnPage, `pixel ${p}`).toBe(keptInPopup);
    }
    expect(onPage.data.filter((_, i) => i % 4 === 3 && onPage.data[i] > 0).length).toBe(100);
  });

  it('without the mask the page overlay fades with the map and the opacity', () => {
    const d = decoded(Array.from({ length: SIZE * SIZE }, (_, i) => (i === 0 ? 255 : i === 1 ? 51 : 0)));
    const alpha = (o: ViewChoices) =>
      Array.from(
        pageOverlay(d, o)
          .data.filter((_, i) => i % 4 === 3)
          .slice(0, 3),
      );
    expect(alpha(choices())).toEqual([255, 51, 0]);
    expect(alpha(choices({ opacity: 0.5 }))).toEqual([128, 26, 0]);
  });

  it('opacity 0 shows the view untouched', () => {
    const d = decoded(Array.from({ length: SIZE * SIZE }, (_, i) => i % 256));
    expect(Array.from(compose(d, choices({ opacity: 0 })).data)).toEqual(Array.from(d.view.data));
  });
});

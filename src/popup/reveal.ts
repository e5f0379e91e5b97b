/**
 * Scrolls a result that arrives while the popup is open into view: the popup is short, and a
 * result that lands below the fold would go unnoticed. Each id scrolls at most once; results
 * that were already there when the popup opened (`at` earlier) never scroll.
 */
import type { RefObject } from 'preact';
import { useLayoutEffect } from 'preact/hooks';
import { usePopup } from './context.js';

export function useRevealOnce(
  ref: RefObject<HTMLElement | null>,
  id: string | undefined,
  at: number,
  block: ScrollLogicalPosition = 'nearest',
): void {
  const { ui } = usePopup();
  useLayoutEffect(() => {
    if (!id || ui.revealed.has(id)) return;
    ui.revealed.add(id);
    if (at < ui.openedAt) return;
    const el = ref.current;
    // Instant: a smooth scroll needs animation frames, which a background page may not get.
    setTimeout(() => {
      if (el?.isConnected) el.scrollIntoView({ block });
    }, 0);
  }, [id]);
}

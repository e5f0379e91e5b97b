/**
 * Building DOM without markup: every string (labels, addresses, error messages — some derived
 * from web pages) goes in through textContent or a property, never innerHTML.
 */
export interface Props {
  class?: string;
  testid?: string;
  text?: string;
  title?: string;
  hidden?: boolean;
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, children: (Node | null | undefined | false)[] = []): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title) el.title = props.title;
  if (props.hidden) el.hidden = true;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  for (const c of children) if (c) el.append(c);
  return el;
}

/**
 * Scrolls a result that arrives while the popup is open into view (the popup is short; a result
 * that lands below the fold would go unnoticed). Each `id` scrolls at most once; results that were
 * already there when the popup opened (`at` earlier) never scroll.
 */
const revealed = new Set<string>();
const openedAt = Date.now();
export function revealOnce(el: HTMLElement, id: string, at: number, block: ScrollLogicalPosition = 'nearest'): void {
  if (revealed.has(id)) return;
  revealed.add(id);
  if (at < openedAt) return;
  setTimeout(() => {
    if (el.isConnected) el.scrollIntoView({ block }); // instant: a smooth scroll needs animation frames, which a background page may not get
  }, 0);
}

/** A label as a file-name part: "tiger shark" → "tiger-shark". */
export const fileSafe = (s: string) => s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 40) || 'image';

/** The RGBA pixels of a data: URL image drawn at size × size (lossless for the stored 224×224 PNGs). */
export function decodeDataUrl(dataUrl: string, size: number): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = size;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(img, 0, 0, size, size);
      resolve({ width: size, height: size, data: ctx.getImageData(0, 0, size, size).data });
    };
    img.onerror = () => reject(new Error('the stored image could not be decoded'));
    img.src = dataUrl;
  });
}

export const percent = (p: number) => (p > 0 && p < 0.0005 ? '< 0.1 %' : `${(p * 100).toFixed(1)} %`);
export const ms = (t: number) => (t >= 1000 ? `${(t / 1000).toFixed(1)} s` : `${Math.round(t)} ms`);

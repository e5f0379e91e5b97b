/**
 * Content-script side of the saliency overlay: showOverlay draws a picture (a saliency map, as a
 * data:image/png URL) over the part of a page element where a given region of its image is
 * displayed, and keeps it aligned while the page scrolls, resizes or reflows. Where that part is
 * comes from ./css-geometry.ts; swapping the element's own image is ./replace-image.ts.
 *
 * The overlay lives outside the page's layout: a `position: fixed` host appended to <html>,
 * placed from getBoundingClientRect() of the element, with a closed shadow root so page CSS and
 * scripts cannot reach into it. Styles are set through the CSSOM (element.style), never through
 * <style> elements or innerHTML, because a page's Content-Security-Policy may block inline
 * <style> but never CSSOM writes.
 */
import { t } from '../shared/i18n.js';
import type { OverlayGeometry } from '../shared/messages.js';
import { computePlacement, type Placement } from './css-geometry.js';

export interface OverlayHandle {
  remove(): void;
  /** current placement in viewport px, for tests */
  rect(): DOMRect | null;
}

/** The attribute that names a host element; tests find overlays by it. */
const OVERLAY_ATTRIBUTE = 'data-squeezelens-overlay';
const HOST_TAG = 'squeezelens-overlay';
const CLOSE_LABEL = t('overlayClose');
/** Layout shifts that fire no event we listen to (fonts, lazy content above) are caught by this. */
const FALLBACK_INTERVAL_MS = 500;
let fallbackIntervalMs = FALLBACK_INTERVAL_MS;
const BUTTON_SIZE = 20;
const BUTTON_INSET = 2;

// ---------------------------------------------------------------------------------------------
// Bookkeeping of live listeners, observers, timers and frames, so tests can prove that removing
// overlays leaves nothing behind.

let liveCallbacks = 0;

/** Number of event listeners, observers, timers and pending frames held by overlays (tests only). */
export function __activeListenersForTests(): number {
  return liveCallbacks;
}

/**
 * Sets the fallback timer's period for overlays shown from now on (tests only: a very long one
 * proves that scroll, resize and ResizeObserver alone keep an overlay aligned). Returns the old one.
 */
export function __setFallbackIntervalForTests(ms: number): number {
  const previous = fallbackIntervalMs;
  fallbackIntervalMs = ms > 0 ? ms : FALLBACK_INTERVAL_MS;
  return previous;
}

type Disposer = () => void;

function once(fn: () => void): Disposer {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function listen(target: EventTarget, type: string, fn: EventListener, options: AddEventListenerOptions = {}): Disposer {
  target.addEventListener(type, fn, options);
  liveCallbacks++;
  return once(() => {
    target.removeEventListener(type, fn, options);
    liveCallbacks--;
  });
}

function observeSize(element: Element, fn: () => void): Disposer {
  const observer = new ResizeObserver(fn);
  observer.observe(element);
  liveCallbacks++;
  return once(() => {
    observer.disconnect();
    liveCallbacks--;
  });
}

function every(ms: number, fn: () => void): Disposer {
  const id = setInterval(fn, ms);
  liveCallbacks++;
  return once(() => {
    clearInterval(id);
    liveCallbacks--;
  });
}

// ---------------------------------------------------------------------------------------------
// The overlay host

type Styles = Record<string, string>;

function applyStyles(element: HTMLElement, styles: Styles): void {
  // !important everywhere: the page's stylesheets may target any element in <html>, and inline
  // !important is the one declaration they cannot beat.
  for (const [name, value] of Object.entries(styles)) element.style.setProperty(name, value, 'important');
}

const HOST_STYLES: Styles = {
  all: 'initial', // first: resets every inherited and page-set property, the rest override it
  position: 'fixed',
  display: 'block',
  left: '0px',
  top: '0px',
  width: '0px',
  height: '0px',
  margin: '0px',
  padding: '0px',
  border: '0px none',
  'box-sizing': 'border-box',
  overflow: 'visible',
  'z-index': '2147483647',
  'pointer-events': 'none',
  transform: 'none',
  opacity: '1',
  visibility: 'visible',
};

const IMG_STYLES: Styles = {
  position: 'absolute',
  left: '0px',
  top: '0px',
  width: '100%',
  height: '100%',
  'max-width': 'none',
  'max-height': 'none',
  margin: '0px',
  padding: '0px',
  border: '0px none',
  display: 'block',
  'object-fit': 'fill',
  'pointer-events': 'none',
  'user-select': 'none',
};

const BUTTON_STYLES: Styles = {
  position: 'absolute',
  width: `${BUTTON_SIZE}px`,
  height: `${BUTTON_SIZE}px`,
  margin: '0px',
  padding: '0px',
  'box-sizing': 'border-box',
  border: '1px solid rgba(255, 255, 255, 0.85)',
  'border-radius': '50%',
  background: 'rgba(0, 0, 0, 0.7)',
  color: '#fff',
  font: `bold 14px/${BUTTON_SIZE - 2}px system-ui, sans-serif`,
  'text-align': 'center',
  cursor: 'pointer',
  'pointer-events': 'auto',
};

const LABEL_STYLES: Styles = {
  position: 'absolute',
  margin: '0px',
  padding: '1px 4px',
  'border-radius': '3px',
  background: 'rgba(0, 0, 0, 0.65)',
  color: '#fff',
  font: '11px/1.3 system-ui, sans-serif',
  'white-space': 'nowrap',
  overflow: 'hidden',
  'text-overflow': 'ellipsis',
  'pointer-events': 'none',
};

interface Entry {
  key: string;
  element: Element;
  geometry: OverlayGeometry;
  host: HTMLElement;
  pane: HTMLElement;
  button: HTMLElement;
  label: HTMLElement | null;
  placement: Placement | null;
  /** what fixed positioning is off by when <html> is transformed (0 on ordinary pages) */
  correction: { x: number; y: number };
  frame: number;
  disposers: Disposer[];
  removed: boolean;
}

const overlays = new Map<string, Entry>();

function validateGeometry(g: OverlayGeometry): void {
  const { sourceWidth, sourceHeight, region } = g;
  const finite = [sourceWidth, sourceHeight, region.x, region.y, region.width, region.height].every(Number.isFinite);
  if (!finite || sourceWidth <= 0 || sourceHeight <= 0 || region.width <= 0 || region.height <= 0) {
    throw new RangeError(`invalid overlay geometry: ${JSON.stringify(g)}`);
  }
}

type HostParts = Pick<Entry, 'host' | 'pane' | 'button' | 'label'>;

function buildHost(key: string, png: string, label: string | undefined): HostParts {
  const doc = document;
  const host = doc.createElement(HOST_TAG);
  host.setAttribute(OVERLAY_ATTRIBUTE, key);
  applyStyles(host, HOST_STYLES);
  // Closed: the page cannot reach the nodes inside through host.shadowRoot.
  const root = host.attachShadow({ mode: 'closed' });
  const pane = doc.createElement('div');
  applyStyles(pane, {
    position: 'absolute',
    left: '0px',
    top: '0px',
    width: '100%',
    height: '100%',
    'pointer-events': 'none',
  });
  const img = doc.createElement('img');
  img.alt = '';
  img.draggable = false;
  img.decoding = 'sync';
  img.src = png;
  applyStyles(img, IMG_STYLES);
  pane.append(img);
  root.append(pane);
  let labelEl: HTMLElement | null = null;
  if (label) {
    labelEl = doc.createElement('span');
    labelEl.textContent = label;
    applyStyles(labelEl, LABEL_STYLES);
    root.append(labelEl);
  }
  const button = doc.createElement('button');
  button.type = 'button';
  button.title = CLOSE_LABEL;
  button.setAttribute('aria-label', CLOSE_LABEL);
  button.textContent = '×';
  applyStyles(button, BUTTON_STYLES);
  root.append(button);
  return { host, pane, button, label: labelEl };
}

const px = (n: number) => `${n}px`;

/** Writes a placement to the host; hides it when there is none. */
function render(entry: Entry): void {
  const { host, placement } = entry;
  if (!placement) {
    host.style.setProperty('display', 'none', 'important');
    return;
  }
  const { region, visible, approximate } = placement;
  host.style.setProperty('display', 'block', 'important');
  const place = () => {
    host.style.setProperty('left', px(region.x + entry.correction.x), 'important');
    host.style.setProperty('top', px(region.y + entry.correction.y), 'important');
  };
  place();
  host.style.setProperty('width', px(region.width), 'important');
  host.style.setProperty('height', px(region.height), 'important');
  // A transformed / zoomed <html> is the containing block of fixed elements: measure what we got.
  const got = host.getBoundingClientRect();
  const dx = region.x - got.x;
  const dy = region.y - got.y;
  if (Math.abs(dx) > 0.25 || Math.abs(dy) > 0.25) {
    entry.correction = { x: entry.correction.x + dx, y: entry.correction.y + dy };
    place();
  }
  if (approximate) host.setAttribute('data-approximate', 'true');
  else host.removeAttribute('data-approximate');
  // Visible part relative to the host: the picture is clipped to it, controls sit inside it.
  const top = visible.y - region.y;
  const left = visible.x - region.x;
  const right = region.x + region.width - (visible.x + visible.width);
  const bottom = region.y + region.height - (visible.y + visible.height);
  entry.pane.style.setProperty('clip-path', `inset(${px(top)} ${px(right)} ${px(bottom)} ${px(left)})`, 'important');
  const buttonLeft = left + Math.max(0, visible.width - BUTTON_SIZE - BUTTON_INSET);
  entry.button.style.setProperty('left', px(buttonLeft), 'important');
  entry.button.style.setProperty('top', px(top + BUTTON_INSET), 'important');
  if (entry.label) {
    entry.label.style.setProperty('left', px(left + 4), 'important');
    entry.label.style.setProperty('bottom', px(bottom + 4), 'important');
    entry.label.style.setProperty('max-width', px(Math.max(0, visible.width - 8)), 'important');
  }
}

function update(entry: Entry): void {
  if (entry.removed) return;
  // A page that rewrites <html>'s children may have dropped the host: put it back.
  if (!entry.host.isConnected) document.documentElement.append(entry.host);
  entry.placement = computePlacement(entry.element, entry.geometry);
  render(entry);
}

function schedule(entry: Entry): void {
  if (entry.removed || entry.frame) return; // coalesce: one update per frame at most
  liveCallbacks++;
  entry.frame = requestAnimationFrame(() => {
    entry.frame = 0;
    liveCallbacks--;
    update(entry);
  });
}

function dispose(entry: Entry): void {
  if (entry.removed) return;
  entry.removed = true;
  if (entry.frame) {
    cancelAnimationFrame(entry.frame);
    entry.frame = 0;
    liveCallbacks--;
  }
  for (const d of entry.disposers.splice(0)) d();
  entry.host.remove();
  if (overlays.get(entry.key) === entry) overlays.delete(entry.key);
}

/**
 * Draws `png` (a data:image/png URL, e.g. a 224×224 coloured saliency map with alpha) over
 * `element`, covering exactly the part of the element where `region` of the element's image (in
 * source-image pixel coords, source image = sourceWidth×sourceHeight, same aspect as the natural
 * image) is displayed. Replaces any overlay already shown for the same key. Returns a handle.
 */
export function showOverlay(
  key: string,
  element: Element,
  png: string,
  geometry: OverlayGeometry,
  options: { label?: string } = {},
): OverlayHandle {
  // Only inline images: drawing the overlay must never make a request from the page.
  if (!/^data:image\//i.test(png)) throw new TypeError('showOverlay needs a data:image/… URL');
  validateGeometry(geometry);
  removeOverlay(key);
  const parts = buildHost(key, png, options.label);
  const entry: Entry = {
    key,
    element,
    geometry: {
      sourceWidth: geometry.sourceWidth,
      sourceHeight: geometry.sourceHeight,
      region: { ...geometry.region },
    },
    ...parts,
    placement: null,
    correction: { x: 0, y: 0 },
    frame: 0,
    disposers: [],
    removed: false,
  };
  overlays.set(key, entry);
  const later = () => schedule(entry);
  const view = element.ownerDocument.defaultView ?? window;
  entry.disposers.push(
    // Capture phase: scroll events of nested scrollers do not bubble, but they do pass window.
    listen(view, 'scroll', later, { capture: true, passive: true }),
    listen(view, 'resize', later, { passive: true }),
    // The image's natural size (hence object-fit placement) is known only once it has loaded.
    listen(element, 'load', later, { passive: true }),
    observeSize(element, later),
    every(fallbackIntervalMs, later),
    listen(
      parts.button,
      'click',
      (event) => {
        // The page sees the click retargeted to the host: keep it to ourselves.
        event.preventDefault();
        event.stopPropagation();
        dispose(entry);
      },
      {},
    ),
  );
  document.documentElement.append(parts.host);
  update(entry); // placed at once, so the first frame is already right
  return {
    remove: () => dispose(entry),
    rect: () => {
      const r = !entry.removed && entry.placement?.region;
      return r ? new DOMRect(r.x, r.y, r.width, r.height) : null;
    },
  };
}

/** Removes the overlay shown for `key`; true when there was one. */
export function removeOverlay(key: string): boolean {
  const entry = overlays.get(key);
  if (!entry) return false;
  dispose(entry);
  return true;
}

/** Removes every overlay; returns how many there were. */
export function removeAllOverlays(): number {
  const all = [...overlays.values()];
  for (const entry of all) dispose(entry);
  return all.length;
}

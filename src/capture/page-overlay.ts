/**
 * Content-script side of two page features, self-contained (no imports, no messaging):
 *
 *  - showOverlay: draws a picture (a saliency map, as a data:image/png URL) over the part of a
 *    page element where a given region of its image is displayed, and keeps it aligned while the
 *    page scrolls, resizes or reflows.
 *  - replaceImage: makes an element display another image (a fooling image) in place of its
 *    own, keeping its layout size, and remembers what is needed to undo it (restoreImage).
 *
 * The overlay lives outside the page's layout: a `position: fixed` host appended to <html>,
 * placed from getBoundingClientRect() of the element, with a closed shadow root so page CSS and
 * scripts cannot reach into it. Styles are set through the CSSOM (element.style), never through
 * <style> elements or innerHTML, because a page's Content-Security-Policy may block inline
 * <style> but never CSSOM writes.
 */

export interface OverlayGeometry {
  sourceWidth: number;
  sourceHeight: number;
  region: { x: number; y: number; width: number; height: number };
}

export interface OverlayHandle {
  remove(): void;
  /** current placement in viewport px, for tests */
  rect(): DOMRect | null;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The attribute that names a host element; tests and the extension find overlays by it. */
export const OVERLAY_ATTRIBUTE = 'data-squeezelens-overlay';
const HOST_TAG = 'squeezelens-overlay';
const CLOSE_LABEL = 'Remove SqueezeLens overlay';
const HTML_NS = 'http://www.w3.org/1999/xhtml';
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
// Geometry: where, in viewport px, does an element draw its image?

const num = (text: string): number => {
  const n = parseFloat(text);
  return Number.isFinite(n) ? n : 0;
};

function intersect(a: Box, b: Box): Box | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

/** Shrinks a box by four edge amounts (borders, paddings). */
function inset(box: Box, top: number, right: number, bottom: number, left: number): Box {
  return { x: box.x + left, y: box.y + top, width: Math.max(0, box.width - left - right), height: Math.max(0, box.height - top - bottom) };
}

function paddingBox(border: Box, cs: CSSStyleDeclaration): Box {
  return inset(border, num(cs.borderTopWidth), num(cs.borderRightWidth), num(cs.borderBottomWidth), num(cs.borderLeftWidth));
}

function contentBox(border: Box, cs: CSSStyleDeclaration): Box {
  return inset(paddingBox(border, cs), num(cs.paddingTop), num(cs.paddingRight), num(cs.paddingBottom), num(cs.paddingLeft));
}

/** A length-percentage as it appears in computed values: `12px`, `30%`, `0`, `calc(100% - 10px)`. */
interface LengthPercentage {
  percent: number;
  px: number;
}

function parseLengthPercentage(token: string): LengthPercentage | null {
  const t = token.trim();
  if (t === '0') return { percent: 0, px: 0 };
  const m = /^(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(%|px)$/i.exec(t);
  if (m) return m[2] === '%' ? { percent: Number(m[1]), px: 0 } : { percent: 0, px: Number(m[1]) };
  const calc = /^calc\((.*)\)$/i.exec(t);
  if (!calc) return null;
  // Computed calc() values are sums of at most a percentage and a length: "100% - 10px".
  const terms = calc[1].replace(/\s+-\s+/g, ' + -').split(/\s+\+\s+/);
  const sum: LengthPercentage = { percent: 0, px: 0 };
  for (const term of terms) {
    const v = term.includes('(') ? null : parseLengthPercentage(term);
    if (!v) return null;
    sum.percent += v.percent;
    sum.px += v.px;
  }
  return sum;
}

/** Splits a CSS value at top-level separators (not inside parentheses or quotes). */
function splitTopLevel(text: string, separator: ',' | ' '): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') {
        current += c + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    const splits = depth === 0 && !quote && (separator === ',' ? c === ',' : /\s/.test(c));
    if (splits) {
      if (current.trim()) parts.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** One axis of a <position>: an offset from the start edge, or from the end edge (`right 10px`). */
interface AxisOffset extends LengthPercentage {
  fromEnd: boolean;
}

interface Position {
  x: AxisOffset;
  y: AxisOffset;
}

const KEYWORDS: Record<string, { axis: 'x' | 'y' | 'both'; percent: number }> = {
  left: { axis: 'x', percent: 0 },
  right: { axis: 'x', percent: 100 },
  top: { axis: 'y', percent: 0 },
  bottom: { axis: 'y', percent: 100 },
  center: { axis: 'both', percent: 50 },
};

const atPercent = (percent: number): AxisOffset => ({ percent, px: 0, fromEnd: false });

/**
 * Parses the computed value of object-position / background-position (one layer): one to four
 * tokens, keywords, lengths, percentages and calc(). Null when it is not understood.
 */
function parsePosition(text: string): Position | null {
  const tokens = splitTopLevel(text.trim(), ' ');
  const keyword = (t: string | undefined) => (t === undefined ? undefined : KEYWORDS[t.toLowerCase()]);
  const value = (t: string): AxisOffset | null => {
    const k = keyword(t);
    if (k) return atPercent(k.percent);
    const lp = parseLengthPercentage(t);
    return lp && { ...lp, fromEnd: false };
  };
  if (tokens.length === 1) {
    const k = keyword(tokens[0]);
    const v = value(tokens[0]);
    if (!v) return null;
    return k?.axis === 'y' ? { x: atPercent(50), y: v } : { x: v, y: atPercent(50) };
  }
  if (tokens.length === 2) {
    let [a, b] = tokens;
    // "top left" is "left top": a vertical keyword first, or a horizontal one second, swaps.
    if (keyword(a)?.axis === 'y' || keyword(b)?.axis === 'x') [a, b] = [b, a];
    const x = value(a);
    const y = value(b);
    return x && y ? { x, y } : null;
  }
  if (tokens.length === 3 || tokens.length === 4) {
    // Edge-offset syntax: "right 10px bottom 20%", "center top 5px".
    const groups: { k: (typeof KEYWORDS)[string]; name: string; offset: LengthPercentage | null }[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const k = keyword(tokens[i]);
      if (!k) return null;
      const next = tokens[i + 1];
      const offset = next !== undefined && !keyword(next) ? parseLengthPercentage(next) : null;
      if (next !== undefined && !keyword(next) && !offset) return null;
      groups.push({ k, name: tokens[i].toLowerCase(), offset });
      if (offset) i++;
    }
    if (groups.length !== 2) return null;
    let [g0, g1] = groups;
    if (g0.k.axis === 'y' || g1.k.axis === 'x') [g0, g1] = [g1, g0];
    const resolve = (g: (typeof groups)[number]): AxisOffset => {
      // "center 10px" is invalid CSS: be lenient and ignore the offset.
      if (!g.offset || g.name === 'center') return atPercent(g.k.percent);
      return { ...g.offset, fromEnd: g.name === 'right' || g.name === 'bottom' };
    };
    return { x: resolve(g0), y: resolve(g1) };
  }
  return null;
}

/** Offset of an image inside a container along one axis; percentages are of the free space. */
function axisOffset(o: AxisOffset, container: number, image: number): number {
  const free = container - image;
  const v = (o.percent / 100) * free + o.px;
  return o.fromEnd ? free - v : v;
}

function placeInside(container: Box, width: number, height: number, position: Position): Box {
  return {
    x: container.x + axisOffset(position.x, container.width, width),
    y: container.y + axisOffset(position.y, container.height, height),
    width,
    height,
  };
}

/** Where a replaced element (<img>, <video>, <canvas>) draws its image inside its content box. */
function objectFitBox(content: Box, natural: { width: number; height: number }, fit: string, position: Position): Box {
  const { width: nw, height: nh } = natural;
  if (fit === 'fill' || !(nw > 0 && nh > 0)) return { ...content };
  const contain = Math.min(content.width / nw, content.height / nh);
  const scale =
    fit === 'contain' ? contain : fit === 'cover' ? Math.max(content.width / nw, content.height / nh) : fit === 'none' ? 1 : fit === 'scale-down' ? Math.min(1, contain) : NaN;
  if (!Number.isFinite(scale)) return { ...content };
  return placeInside(content, nw * scale, nh * scale, position);
}

/** The size an element's natural image has, in CSS px (0×0 when unknown). */
function naturalSize(element: Element): { width: number; height: number } {
  if (isHtml(element, 'img')) {
    const img = element as HTMLImageElement;
    return { width: img.naturalWidth, height: img.naturalHeight };
  }
  if (isHtml(element, 'video')) {
    const video = element as HTMLVideoElement;
    return { width: video.videoWidth, height: video.videoHeight };
  }
  if (isHtml(element, 'canvas')) {
    const canvas = element as HTMLCanvasElement;
    return { width: canvas.width, height: canvas.height };
  }
  return { width: 0, height: 0 };
}

/** Background-size of one layer resolved against its positioning area; approximate when intrinsic. */
function backgroundSize(text: string, area: Box, aspect: number): { width: number; height: number; approximate: boolean } {
  const t = text.trim().toLowerCase();
  if (t === 'cover' || t === 'contain') {
    const pick = t === 'cover' ? Math.max : Math.min;
    const scale = pick(area.width / aspect, area.height);
    return { width: scale * aspect, height: scale, approximate: false };
  }
  const [a, b = 'auto'] = splitTopLevel(t, ' ');
  const resolve = (token: string, extent: number): number | null | undefined => {
    if (token === 'auto') return undefined;
    const lp = parseLengthPercentage(token);
    return lp ? (lp.percent / 100) * extent + lp.px : null;
  };
  const w = resolve(a, area.width);
  const h = resolve(b, area.height);
  if (w === null || h === null) return { width: area.width, height: area.height, approximate: true };
  if (w !== undefined && h !== undefined) return { width: w, height: h, approximate: false };
  if (w !== undefined) return { width: w, height: w / aspect, approximate: false };
  if (h !== undefined) return { width: h * aspect, height: h, approximate: false };
  // `auto auto` draws the image at its intrinsic size, which the page never tells us (and
  // loading the image again to learn it would be a request): treat it as filling the area.
  return { width: area.width, height: area.height, approximate: true };
}

/** The box a background layer is clipped to (`background-clip`). */
function clipBoxFor(keyword: string, border: Box, cs: CSSStyleDeclaration): Box {
  if (keyword === 'padding-box') return paddingBox(border, cs);
  if (keyword === 'content-box') return contentBox(border, cs);
  return border;
}

const layerAt = (list: string, index: number): string => {
  const layers = splitTopLevel(list, ',');
  return layers.length ? layers[index % layers.length] : '';
};

/**
 * Where an element draws its single CSS background image, when it has exactly one; otherwise
 * its padding box, marked approximate.
 */
function backgroundBox(element: Element, border: Box, cs: CSSStyleDeclaration, aspect: number): { drawn: Box; clip: Box; approximate: boolean } {
  const layers = splitTopLevel(cs.backgroundImage, ',');
  const padding = paddingBox(border, cs);
  const images = layers.map((l, i) => ({ l, i })).filter(({ l }) => l !== 'none');
  const fallback = { drawn: padding, clip: padding, approximate: true };
  if (images.length !== 1) return fallback;
  const index = images[0].i;
  const attachment = layerAt(cs.backgroundAttachment, index);
  const origin = layerAt(cs.backgroundOrigin, index);
  const root = element.ownerDocument.documentElement;
  // background-attachment: fixed positions the image against the viewport, not the element.
  const area =
    attachment === 'fixed' ? { x: 0, y: 0, width: root.clientWidth, height: root.clientHeight } : origin === 'border-box' ? border : origin === 'content-box' ? contentBox(border, cs) : padding;
  const size = backgroundSize(layerAt(cs.backgroundSize, index), area, aspect);
  const position = parsePosition(layerAt(cs.backgroundPosition, index));
  const drawn = placeInside(area, size.width, size.height, position ?? { x: atPercent(0), y: atPercent(0) });
  // What lies under the border is painted but (usually) hidden by it: clip to the padding box too.
  const clip = intersect(clipBoxFor(layerAt(cs.backgroundClip, index), border, cs), padding) ?? padding;
  return { drawn, clip, approximate: size.approximate || !position };
}

function isHtml(element: Element, localName: string): boolean {
  return element.localName === localName && element.namespaceURI === HTML_NS;
}

const isReplaced = (element: Element) => isHtml(element, 'img') || isHtml(element, 'video') || isHtml(element, 'canvas');

/** The element's parent in the flat tree (through slots and shadow hosts). */
function flatParent(element: Element): Element | null {
  const slot = (element as HTMLElement).assignedSlot;
  if (slot) return slot;
  if (element.parentElement) return element.parentElement;
  const root = element.getRootNode();
  return root instanceof ShadowRoot ? root.host : null;
}

/**
 * The part of the viewport where the element can be seen through its scrolling / overflow-hidden
 * ancestors, so an overlay on an image scrolled out of a nested scroller disappears with it.
 * (The viewport itself clips the fixed host naturally.)
 */
function ancestorClip(element: Element): Box | null {
  const doc = element.ownerDocument;
  const rootVisible = getComputedStyle(doc.documentElement).overflow === 'visible';
  let clip: Box = { x: -1e7, y: -1e7, width: 2e7, height: 2e7 };
  let crossesFixed = getComputedStyle(element).position === 'fixed';
  for (let p = flatParent(element); p && p !== doc.documentElement && !crossesFixed; p = flatParent(p)) {
    // <body>'s overflow moves to the viewport when <html>'s is visible: then it clips nothing itself.
    if (p === doc.body && rootVisible) continue;
    const cs = getComputedStyle(p);
    crossesFixed = cs.position === 'fixed';
    if (cs.display === 'contents') continue;
    const clipsX = cs.overflowX !== 'visible';
    const clipsY = cs.overflowY !== 'visible';
    if (!clipsX && !clipsY) continue;
    const r = p.getBoundingClientRect();
    // clientLeft/Top/Width/Height: the padding box without scrollbars.
    const box = { x: r.x + p.clientLeft, y: r.y + p.clientTop, width: p.clientWidth, height: p.clientHeight };
    const next = intersect(clip, {
      x: clipsX ? box.x : clip.x,
      y: clipsY ? box.y : clip.y,
      width: clipsX ? box.width : clip.width,
      height: clipsY ? box.height : clip.height,
    });
    if (!next) return null;
    clip = next;
  }
  return clip;
}

interface Placement {
  /** the region's box, in viewport px (may extend past what is visible) */
  region: Box;
  /** the part of `region` that can be seen, in viewport px */
  visible: Box;
  approximate: boolean;
}

function drawnImageBox(element: Element, border: Box, cs: CSSStyleDeclaration, geometry: OverlayGeometry): { drawn: Box; clip: Box; approximate: boolean } {
  if (isReplaced(element)) {
    const content = contentBox(border, cs);
    let natural = naturalSize(element);
    // No natural size yet (still loading, SVG without one): the source has the same aspect.
    if (!(natural.width > 0 && natural.height > 0)) natural = { width: geometry.sourceWidth, height: geometry.sourceHeight };
    const position = parsePosition(cs.objectPosition);
    const drawn = objectFitBox(content, natural, cs.objectFit || 'fill', position ?? { x: atPercent(50), y: atPercent(50) });
    // Replaced elements clip what they draw to their content box.
    return { drawn, clip: content, approximate: !position };
  }
  return backgroundBox(element, border, cs, geometry.sourceWidth / geometry.sourceHeight);
}

/** Computes where the overlay for `geometry` goes on `element` now; null when it cannot be seen. */
function computePlacement(element: Element, geometry: OverlayGeometry): Placement | null {
  if (!element.isConnected || element.getClientRects().length === 0) return null; // detached or display: none
  const cs = getComputedStyle(element);
  if (cs.visibility !== 'visible') return null;
  const r = element.getBoundingClientRect();
  const border = { x: r.x, y: r.y, width: r.width, height: r.height };
  const { drawn, clip, approximate } = drawnImageBox(element, border, cs, geometry);
  const sx = drawn.width / geometry.sourceWidth;
  const sy = drawn.height / geometry.sourceHeight;
  const g = geometry.region;
  const region = { x: drawn.x + g.x * sx, y: drawn.y + g.y * sy, width: g.width * sx, height: g.height * sy };
  const ancestors = ancestorClip(element);
  const within = ancestors && intersect(clip, ancestors);
  const visible = within && intersect(region, within);
  if (!visible || region.width <= 0 || region.height <= 0) return null;
  return { region, visible, approximate };
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
  const finite = [g.sourceWidth, g.sourceHeight, g.region.x, g.region.y, g.region.width, g.region.height].every(Number.isFinite);
  if (!finite || g.sourceWidth <= 0 || g.sourceHeight <= 0 || g.region.width <= 0 || g.region.height <= 0) {
    throw new RangeError(`invalid overlay geometry: ${JSON.stringify(g)}`);
  }
}

function buildHost(key: string, png: string, label: string | undefined): Pick<Entry, 'host' | 'pane' | 'button' | 'label'> {
  const doc = document;
  const host = doc.createElement(HOST_TAG);
  host.setAttribute(OVERLAY_ATTRIBUTE, key);
  applyStyles(host, HOST_STYLES);
  // Closed: the page cannot reach the nodes inside through host.shadowRoot.
  const root = host.attachShadow({ mode: 'closed' });
  const pane = doc.createElement('div');
  applyStyles(pane, { position: 'absolute', left: '0px', top: '0px', width: '100%', height: '100%', 'pointer-events': 'none' });
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
  entry.button.style.setProperty('left', px(left + Math.max(0, visible.width - BUTTON_SIZE - BUTTON_INSET)), 'important');
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
export function showOverlay(key: string, element: Element, png: string, geometry: OverlayGeometry, options: { label?: string } = {}): OverlayHandle {
  // Only inline images: drawing the overlay must never make a request from the page.
  if (!/^data:image\//i.test(png)) throw new TypeError('showOverlay needs a data:image/… URL');
  validateGeometry(geometry);
  removeOverlay(key);
  const parts = buildHost(key, png, options.label);
  const entry: Entry = {
    key,
    element,
    geometry: { sourceWidth: geometry.sourceWidth, sourceHeight: geometry.sourceHeight, region: { ...geometry.region } },
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

// ---------------------------------------------------------------------------------------------
// Replacing what an element displays

interface AttributeSnapshot {
  element: Element;
  name: string;
  value: string | null;
}

interface StyleSnapshot {
  element: HTMLElement;
  name: string;
  value: string;
  priority: string;
  /** the element had no style attribute at all before */
  hadAttribute: boolean;
}

interface Replacement {
  element: Element;
  attributes: AttributeSnapshot[];
  styles: StyleSnapshot[];
}

const replacements = new Map<string, Replacement>();

function setAttribute(r: Replacement, element: Element, name: string, value: string | null): void {
  r.attributes.push({ element, name, value: element.getAttribute(name) });
  if (value === null) element.removeAttribute(name);
  else element.setAttribute(name, value);
}

function setStyle(r: Replacement, element: HTMLElement, name: string, value: string): void {
  r.styles.push({ element, name, value: element.style.getPropertyValue(name), priority: element.style.getPropertyPriority(name), hadAttribute: element.hasAttribute('style') });
  element.style.setProperty(name, value, 'important');
}

function undo(r: Replacement): void {
  // Reverse order, so a value changed twice ends at its first saved value.
  for (const s of [...r.styles].reverse()) {
    if (s.value) s.element.style.setProperty(s.name, s.value, s.priority);
    else s.element.style.removeProperty(s.name);
    if (!s.hadAttribute && s.element.getAttribute('style') === '') s.element.removeAttribute('style');
  }
  for (const a of [...r.attributes].reverse()) {
    if (a.value === null) a.element.removeAttribute(a.name);
    else a.element.setAttribute(a.name, a.value);
  }
}

/** A CSS url() token for any string (data: URLs may in principle hold quotes or backslashes). */
function cssUrl(url: string): string {
  return `url("${url.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\a ')}")`;
}

function unsupportedReason(element: Element): string | null {
  if (!element.isConnected) return 'The element is no longer in the page, so there is nothing to replace.';
  if (isHtml(element, 'canvas')) return 'This is a <canvas>: the page draws its pixels with script and would paint over a replacement, so SqueezeLens cannot swap it.';
  if (isHtml(element, 'video')) return 'This is a <video>: it shows a stream of frames, which SqueezeLens cannot replace with one image.';
  if (element.namespaceURI === 'http://www.w3.org/2000/svg') return 'This is SVG graphics, drawn from shapes rather than from one image, so SqueezeLens cannot swap its pixels.';
  if (isHtml(element, 'iframe') || isHtml(element, 'object') || isHtml(element, 'embed')) return 'This is an embedded document; its image belongs to another page, which SqueezeLens cannot change from here.';
  return null;
}

function replaceImg(r: Replacement, img: HTMLImageElement, dataUrl: string, cover: boolean): void {
  // Pin the layout size first: the replacement may have a different natural size, and an <img>
  // sized by its image would otherwise change the page's layout.
  const cs = getComputedStyle(img);
  if (cs.width.endsWith('px')) setStyle(r, img, 'width', cs.width);
  if (cs.height.endsWith('px')) setStyle(r, img, 'height', cs.height);
  // A square crop in a box of another aspect: crop it to the box rather than stretch it.
  if (cover && cs.objectFit === 'fill') setStyle(r, img, 'object-fit', 'cover');
  // Inside <picture>, a matching <source> wins over the <img>'s own src: a <source> without
  // srcset is skipped by the selection algorithm.
  const parent = img.parentElement;
  if (parent && isHtml(parent, 'picture')) {
    for (const source of Array.from(parent.children)) {
      if (isHtml(source, 'source') && source.hasAttribute('srcset')) setAttribute(r, source, 'srcset', null);
    }
  }
  if (img.hasAttribute('srcset')) setAttribute(r, img, 'srcset', null);
  setAttribute(r, img, 'src', dataUrl);
}

function replaceBackground(r: Replacement, element: HTMLElement, dataUrl: string): boolean {
  const layers = splitTopLevel(getComputedStyle(element).backgroundImage, ',');
  // The first url() layer is the one the capture reads (locate.ts); other layers stay as they are.
  const index = layers.findIndex((l) => /^url\(/i.test(l));
  if (index < 0) return false;
  layers[index] = cssUrl(dataUrl);
  setStyle(r, element, 'background-image', layers.join(', '));
  return true;
}

/**
 * Replaces the pixels shown by `element` with `dataUrl` (an image the same aspect as what was
 * captured), keeping its layout size (`cover`: an <img> drawn with object-fit fill crops the
 * replacement to its box instead of stretching it — for a square crop of a wider image). Supports <img> (including srcset and <picture>) and
 * elements with a CSS background-image. Replacing again under the same key, or the same element
 * under another key, first restores the original, so restoreImage always returns to the page's
 * own image.
 */
export function replaceImage(key: string, element: Element, dataUrl: string, options: { cover?: boolean } = {}): { ok: true } | { ok: false; reason: string } {
  if (!/^data:image\//i.test(dataUrl)) return { ok: false, reason: 'The replacement must be an inline data:image/… URL.' };
  const unsupported = unsupportedReason(element);
  if (unsupported) return { ok: false, reason: unsupported };
  restoreImage(key);
  for (const [other, r] of replacements) if (r.element === element) restoreImage(other);
  const r: Replacement = { element, attributes: [], styles: [] };
  if (isHtml(element, 'img')) {
    replaceImg(r, element as HTMLImageElement, dataUrl, options.cover ?? false);
  } else if (!(element instanceof HTMLElement) || !replaceBackground(r, element, dataUrl)) {
    return { ok: false, reason: `This <${element.localName}> shows no image of its own (it is not an <img> and has no CSS background image), so there is nothing to replace.` };
  }
  replacements.set(key, r);
  return { ok: true };
}

/** Puts back what replaceImage changed for `key`; true when something was restored. */
export function restoreImage(key: string): boolean {
  const r = replacements.get(key);
  if (!r) return false;
  replacements.delete(key);
  undo(r);
  return true;
}

/**
 * Where, in viewport px, an element draws its image: from its border box and computed CSS
 * (borders and padding, object-fit / object-position for <img>, <video> and <canvas>,
 * background-size / -position / -origin / -clip / -attachment for a CSS background), clipped by
 * its scrolling and overflow-hidden ancestors. page-overlay.ts places its overlays with it.
 *
 * It only reads layout (getComputedStyle, getBoundingClientRect) and never writes to the page; the
 * parsers of CSS values are pure functions of their text.
 */
import type { OverlayGeometry } from '../shared/messages.js';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where an element draws its image, what that drawing is clipped to, and whether it is a guess. */
interface DrawnImage {
  drawn: Box;
  clip: Box;
  approximate: boolean;
}

const HTML_NS = 'http://www.w3.org/1999/xhtml';

/** An HTML element of that name (an SVG or MathML element of the same local name is not one). */
export function isHtml(element: Element, localName: string): boolean {
  return element.localName === localName && element.namespaceURI === HTML_NS;
}

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
  return {
    x: box.x + left,
    y: box.y + top,
    width: Math.max(0, box.width - left - right),
    height: Math.max(0, box.height - top - bottom),
  };
}

function paddingBox(border: Box, cs: CSSStyleDeclaration): Box {
  const { borderTopWidth: top, borderRightWidth: right, borderBottomWidth: bottom, borderLeftWidth: left } = cs;
  return inset(border, num(top), num(right), num(bottom), num(left));
}

function contentBox(border: Box, cs: CSSStyleDeclaration): Box {
  const { paddingTop: top, paddingRight: right, paddingBottom: bottom, paddingLeft: left } = cs;
  return inset(paddingBox(border, cs), num(top), num(right), num(bottom), num(left));
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
export function splitTopLevel(text: string, separator: ',' | ' '): string[] {
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

/** The factor object-fit scales a natural image by to fit a box; NaN for an unknown keyword. */
function objectFitScale(fit: string, box: { width: number; height: number }, nw: number, nh: number): number {
  const contain = Math.min(box.width / nw, box.height / nh);
  if (fit === 'contain') return contain;
  if (fit === 'cover') return Math.max(box.width / nw, box.height / nh);
  if (fit === 'none') return 1;
  if (fit === 'scale-down') return Math.min(1, contain);
  return NaN;
}

/** Where a replaced element (<img>, <video>, <canvas>) draws its image inside its content box. */
function objectFitBox(content: Box, natural: { width: number; height: number }, fit: string, position: Position): Box {
  const { width: nw, height: nh } = natural;
  if (fit === 'fill' || !(nw > 0 && nh > 0)) return { ...content };
  const scale = objectFitScale(fit, content, nw, nh);
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
function backgroundSize(
  text: string,
  area: Box,
  aspect: number,
): { width: number; height: number; approximate: boolean } {
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
function backgroundBox(element: Element, border: Box, cs: CSSStyleDeclaration, aspect: number): DrawnImage {
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
    attachment === 'fixed'
      ? { x: 0, y: 0, width: root.clientWidth, height: root.clientHeight }
      : origin === 'border-box'
        ? border
        : origin === 'content-box'
          ? contentBox(border, cs)
          : padding;
  const size = backgroundSize(layerAt(cs.backgroundSize, index), area, aspect);
  const position = parsePosition(layerAt(cs.backgroundPosition, index));
  const drawn = placeInside(area, size.width, size.height, position ?? { x: atPercent(0), y: atPercent(0) });
  // What lies under the border is painted but (usually) hidden by it: clip to the padding box too.
  const clip = intersect(clipBoxFor(layerAt(cs.backgroundClip, index), border, cs), padding) ?? padding;
  return { drawn, clip, approximate: size.approximate || !position };
}

const isReplaced = (element: Element) =>
  isHtml(element, 'img') || isHtml(element, 'video') || isHtml(element, 'canvas');

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

export interface Placement {
  /** the region's box, in viewport px (may extend past what is visible) */
  region: Box;
  /** the part of `region` that can be seen, in viewport px */
  visible: Box;
  approximate: boolean;
}

function drawnImageBox(element: Element, border: Box, cs: CSSStyleDeclaration, geometry: OverlayGeometry): DrawnImage {
  if (isReplaced(element)) {
    const content = contentBox(border, cs);
    let natural = naturalSize(element);
    // No natural size yet (still loading, SVG without one): the source has the same aspect.
    if (!(natural.width > 0 && natural.height > 0)) {
      natural = { width: geometry.sourceWidth, height: geometry.sourceHeight };
    }
    const position = parsePosition(cs.objectPosition);
    const center = { x: atPercent(50), y: atPercent(50) };
    const drawn = objectFitBox(content, natural, cs.objectFit || 'fill', position ?? center);
    // Replaced elements clip what they draw to their content box.
    return { drawn, clip: content, approximate: !position };
  }
  return backgroundBox(element, border, cs, geometry.sourceWidth / geometry.sourceHeight);
}

/** Computes where the overlay for `geometry` goes on `element` now; null when it cannot be seen. */
export function computePlacement(element: Element, geometry: OverlayGeometry): Placement | null {
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

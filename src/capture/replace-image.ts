/**
 * Content-script side of "Replace on page": replaceImage makes an element display another image
 * (a fooling image, as a data:image/… URL) in place of its own, keeping its layout size, and
 * remembers every attribute and inline style it changed so restoreImage can put them back.
 * Supports <img> (with srcset and <picture>) and elements with a CSS background image.
 */
import { t } from '../shared/i18n.js';
import type { PageReply } from '../shared/messages.js';
import { isHtml, splitTopLevel } from './css-geometry.js';

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
  r.styles.push({
    element,
    name,
    value: element.style.getPropertyValue(name),
    priority: element.style.getPropertyPriority(name),
    hadAttribute: element.hasAttribute('style'),
  });
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
  if (!element.isConnected) return t('replaceGone');
  if (isHtml(element, 'canvas')) {
    return t('replaceCanvas');
  }
  if (isHtml(element, 'video')) {
    return t('replaceVideo');
  }
  if (element.namespaceURI === 'http://www.w3.org/2000/svg') {
    return t('replaceSvg');
  }
  if (isHtml(element, 'iframe') || isHtml(element, 'object') || isHtml(element, 'embed')) {
    return t('replaceEmbedded');
  }
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
 * replacement to its box instead of stretching it — for a square crop of a wider image). Supports
 * <img> (including srcset and <picture>) and elements with a CSS background-image. Replacing
 * again under the same key, or the same element
 * under another key, first restores the original, so restoreImage always returns to the page's
 * own image.
 */
export function replaceImage(
  key: string,
  element: Element,
  dataUrl: string,
  options: { cover?: boolean } = {},
): PageReply {
  if (!/^data:image\//i.test(dataUrl)) {
    return { ok: false, reason: t('replaceNotData') };
  }
  const unsupported = unsupportedReason(element);
  if (unsupported) return { ok: false, reason: unsupported };
  restoreImage(key);
  for (const [other, r] of replacements) if (r.element === element) restoreImage(other);
  const r: Replacement = { element, attributes: [], styles: [] };
  if (isHtml(element, 'img')) {
    replaceImg(r, element as HTMLImageElement, dataUrl, options.cover ?? false);
  } else if (!(element instanceof HTMLElement) || !replaceBackground(r, element, dataUrl)) {
    const reason = t('replaceNoImage', element.localName);
    return { ok: false, reason };
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

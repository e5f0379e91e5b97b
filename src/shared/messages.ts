/**
 * Every message between SqueezeLens's contexts, typed here and validated on arrival by
 * ./parse-messages.ts.
 *
 *   service worker → content script (tabs.sendMessage, one frame):  capture
 *   service worker → offscreen document (runtime.sendMessage):       rasterize-svg
 *   popup / options → service worker (runtime.sendMessage):          hello, cancel, saliency, fool,
 *                                                                    sanity, dream, visualize,
 *                                                                    invert, layers, stylize, texture,
 *                                                                    channel, noise
 *   popup → content script (tabs.sendMessage, the job's frame):      show-overlay, remove-overlay,
 *                                                                    replace-image, restore-image
 *
 * Web pages cannot send any of these: the manifest declares no `externally_connectable` and the
 * worker registers no onMessageExternal, and content scripts listen to runtime messages only (never
 * window.postMessage). Still, every receiver checks the sender (this extension, and the expected
 * kind of context) and the shape (exact type tag, field types, sizes) before acting, and answers
 * a malformed message with an error instead of guessing.
 */
import type { AttackMethod, ChannelLayer, InvertLayer, SaliencyMethodName, StylePreset } from './catalog.js';
import type { JobError } from './jobs.js';
import type { TargetChoice } from './task-results.js';

export const MESSAGE_PREFIX = 'squeezelens/';

/** Largest data: URL a capture may carry (a canvas/video frame or a converted blob:). */
export const MAX_CAPTURE_CHARS = 48 * 1024 * 1024;

// ---- service worker → content script ----------------------------------------------------------

export interface CaptureRequest {
  type: 'squeezelens/capture';
  jobId: string;
  /** what the browser says was right-clicked (images/video/audio), a hint */
  srcUrl?: string;
  mediaType?: string;
}

/** What the content script found under the pointer. */
export type CaptureSource =
  /** an address for the worker to fetch: http(s), data: (blob: is converted to data: first) */
  | { kind: 'url'; url: string; element: string; svg?: boolean; displayWidth?: number; displayHeight?: number }
  /** pixels the page itself drew (canvas, video frame), as a PNG data: URL */
  | { kind: 'pixels'; dataUrl: string; element: string; width: number; height: number };

export type CaptureReply = { ok: true; source: CaptureSource; pageUrl: string } | { ok: false; error: JobError };

// ---- service worker → offscreen document ------------------------------------------------------

export interface RasterizeRequest {
  type: 'squeezelens/rasterize-svg';
  target: 'offscreen';
  /** data:image/svg+xml;base64,… */
  dataUrl: string;
  /** size to use when the SVG has no intrinsic size (its size on the page) */
  fallbackWidth?: number;
  fallbackHeight?: number;
  maxPixels: number;
}

export type RasterizeReply =
  | { ok: true; dataUrl: string; width: number; height: number }
  | { ok: false; error: JobError };

// ---- popup / options → service worker ---------------------------------------------------------

export interface HelloRequest {
  type: 'squeezelens/hello';
}
export interface HelloReply {
  ok: true;
  /** the worker instance (its performance.timeOrigin) */
  worker: number;
}

export interface CancelRequest {
  type: 'squeezelens/cancel';
  jobId: string;
}
export interface CancelReply {
  ok: boolean;
  /** why nothing was cancelled */
  reason?: string;
}

/** Re-run a finished saliency job's map with another method (on the same 224×224 pixels). */
export interface SaliencyRequest {
  type: 'squeezelens/saliency';
  jobId: string;
  method: SaliencyMethodName;
}

/** Make a fooling image from a finished fooling job's 224×224 view. */
export interface FoolRequest {
  type: 'squeezelens/fool';
  jobId: string;
  target: TargetChoice;
  method: AttackMethod;
  /** cs231n: at most this many steps; pgd / fgsm: ε in /255 */
  budget: number;
  /** stop once the target's probability reaches this (0: as soon as it is top-1); one of FOOL_CONFIDENCES */
  confidence: number;
}

/** Check whether a saliency job's current map depends on the model (model randomization). */
export interface SanityRequest {
  type: 'squeezelens/sanity';
  jobId: string;
}

/** DeepDream a finished job's image. */
export interface DreamRequest {
  type: 'squeezelens/dream';
  jobId: string;
}

/** Start a class visualization (a new job without an image). */
export interface VisualizeRequest {
  type: 'squeezelens/visualize';
  classIndex: number;
  iterations: number;
}

/** Reconstruct a finished inversion job's view from another layer's activations. */
export interface InvertRequest {
  type: 'squeezelens/invert';
  jobId: string;
  layer: InvertLayer;
}

/** "Compare layers": invert a finished inversion job's view from each of COMPARE_LAYERS, as one task. */
export interface LayersRequest {
  type: 'squeezelens/layers';
  jobId: string;
}

/** Style a finished style-transfer job's view again (another preset or strength, or a new style image). */
export interface StylizeRequest {
  type: 'squeezelens/stylize';
  jobId: string;
  preset: StylePreset;
  /** multiplies the preset's style weights, within STYLIZE_DEFAULTS.strengthRange */
  strength: number;
}

/** Start texture synthesis from the style image (a new job without a page image). */
export interface TextureRequest {
  type: 'squeezelens/texture';
}

/** Start a channel / neuron visualization (a new job without an image). */
export interface ChannelRequest {
  type: 'squeezelens/channel';
  layer: ChannelLayer;
  /** checked against the layer's channel count by the worker */
  channel: number;
  neuron: boolean;
  steps: number;
}

/** A fooling image from noise for a finished class visualization's class. */
export interface NoiseRequest {
  type: 'squeezelens/noise';
  jobId: string;
}

/** What the worker answers to fool / sanity / dream / visualize / saliency: accepted, or why not. */
export interface TaskReply {
  ok: boolean;
  reason?: string;
  /** visualize: the new job */
  jobId?: string;
}

export type WorkerRequest =
  | HelloRequest
  | CancelRequest
  | SaliencyRequest
  | FoolRequest
  | SanityRequest
  | DreamRequest
  | VisualizeRequest
  | InvertRequest
  | LayersRequest
  | StylizeRequest
  | TextureRequest
  | ChannelRequest
  | NoiseRequest;

/** The worker's answer to each request. */
export interface WorkerReplies {
  'squeezelens/hello': HelloReply;
  'squeezelens/cancel': CancelReply;
  'squeezelens/saliency': TaskReply;
  'squeezelens/fool': TaskReply;
  'squeezelens/sanity': TaskReply;
  'squeezelens/dream': TaskReply;
  'squeezelens/visualize': TaskReply;
  'squeezelens/invert': TaskReply;
  'squeezelens/layers': TaskReply;
  'squeezelens/stylize': TaskReply;
  'squeezelens/texture': TaskReply;
  'squeezelens/channel': TaskReply;
  'squeezelens/noise': TaskReply;
}

// ---- popup → content script (the frame a job's image came from) ------------------------------

/** Where the network's 224×224 view lies in the page image (source pixels), as in Geometry. */
export interface OverlayGeometry {
  sourceWidth: number;
  sourceHeight: number;
  region: { x: number; y: number; width: number; height: number };
}

export type PageRequest =
  | { type: 'squeezelens/show-overlay'; jobId: string; png: string; geometry: OverlayGeometry }
  | { type: 'squeezelens/remove-overlay'; jobId: string }
  /** cover: the png is a centre crop (crop it to the element's box rather than stretch it) */
  | { type: 'squeezelens/replace-image'; jobId: string; png: string; cover: boolean }
  | { type: 'squeezelens/restore-image'; jobId: string };

export type PageReply = { ok: true } | { ok: false; reason: string };
// ---- senders -----------------------------------------------------------------------------------

/** The minimal sender shape (chrome.runtime.MessageSender and the polyfill's agree on these). */
export interface SenderLike {
  id?: string;
  url?: string;
  tab?: unknown;
}

/**
 * Inside the package: `chrome-extension://<id>/…` (a prefix test: URL.origin of such a URL is
 * "null" outside Chromium).
 */
function inPackage(url: string | undefined, extensionOrigin: string): boolean {
  return typeof url === 'string' && url.startsWith(`${extensionOrigin}/`);
}

/**
 * From one of this extension's own pages (popup, options, offscreen document) or its worker:
 * the extension id matches and the sending document is inside the package. A content script
 * shares the id but its url is the web page's, so it fails this check.
 */
export function isFromExtensionPage(sender: SenderLike, extensionId: string, extensionOrigin: string): boolean {
  return sender.id === extensionId && inPackage(sender.url, extensionOrigin);
}

/**
 * For a content script receiving from the worker or the popup (tabs.sendMessage): this extension,
 * and not from a tab (another content script of ours would carry `tab`). When Chrome includes the
 * url, it must be inside the package.
 */
export function isFromWorker(sender: SenderLike, extensionId: string, extensionOrigin: string): boolean {
  if (sender.id !== extensionId || sender.tab !== undefined) return false;
  return sender.url === undefined || inPackage(sender.url, extensionOrigin);
}

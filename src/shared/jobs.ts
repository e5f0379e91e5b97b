/**
 * Jobs as every extension context sees them. The service worker is the only writer; the popup
 * reads them from storage.session (trusted extension contexts only: content scripts and web pages
 * cannot read it) and follows storage.onChanged, so closing and reopening the popup loses nothing,
 * and a worker that is stopped mid-job leaves a record the next worker marks as interrupted.
 */

import type { BackendReport } from './backend.js';
import type { ClassProb } from './classes.js';
import { t } from './i18n.js';
import type { Geometry } from './image.js';
import type {
  ChannelInfo,
  DreamInfo,
  FoolInfo,
  InvertInfo,
  LayersInfo,
  NoiseInfo,
  SaliencyInfo,
  SanityInfo,
  SegmentInfo,
  StyleInfo,
  StylizeInfo,
  TextureInfo,
  VisualInfo,
} from './task-results.js';

/** Context-menu item ids (also the job kinds). */
export const MENU_IDS = {
  classify: 'squeezelens-classify',
  saliency: 'squeezelens-saliency',
  fool: 'squeezelens-fool',
  /** keep the image as the style image (storage.local), for style transfer and texture synthesis */
  style: 'squeezelens-style',
  stylize: 'squeezelens-stylize',
  invert: 'squeezelens-invert',
  /** the object cut out along its saliency map (segmentation) */
  segment: 'squeezelens-segment',
} as const;
export type MenuId = (typeof MENU_IDS)[keyof typeof MENU_IDS];
export type MenuJobKind = keyof typeof MENU_IDS;
/**
 * Menu jobs start from a page image; `visualize` (class visualization) and `texture` (texture
 * synthesis from the style image) start from the popup, with no page image.
 */
export type JobKind = MenuJobKind | 'visualize' | 'texture' | 'channel';

export function jobKindOfMenu(id: unknown): MenuJobKind | null {
  for (const [kind, menuId] of Object.entries(MENU_IDS)) if (menuId === id) return kind as MenuJobKind;
  return null;
}

/**
 * Stages in order. `capturing`: the content script is reading the right-clicked element;
 * `queued`: waiting for the job before it; then download, decode, model load, network.
 */
export const ACTIVE_STATES = [
  'capturing',
  'queued',
  'fetching',
  'decoding',
  'loading-model',
  'classifying',
  'explaining',
  'visualizing',
  'synthesizing',
] as const;
export const FINAL_STATES = ['done', 'error', 'cancelled', 'interrupted'] as const;
export type ActiveState = (typeof ACTIVE_STATES)[number];
export type FinalState = (typeof FINAL_STATES)[number];
export type JobState = ActiveState | FinalState;

export const isFinal = (s: JobState): s is FinalState => (FINAL_STATES as readonly string[]).includes(s);

/** Every failure has a code (for tests and logic) and a sentence for people. */
export type ErrorCode =
  | 'http' // the server answered with an error status (404…)
  | 'network' // the download failed (host unreachable, connection reset…)
  | 'timeout' // the server did not answer in time
  | 'not-image' // the address returned something else (HTML…)
  | 'undecodable' // image bytes that no decoder accepts
  | 'too-large' // bytes or pixels over the limits
  | 'tainted' // canvas/video with another site's pixels, unreadable by design
  | 'no-frame' // a video with no frame decoded yet
  | 'no-image' // nothing image-like under the pointer
  | 'page-unreachable' // no content script in that page (browser page, or opened before install)
  | 'engine' // the model could not be loaded
  | 'no-style' // style transfer asked for before any picture was kept as the style image
  | 'cancelled'
  | 'interrupted' // the worker was stopped while the job was pending
  | 'internal';

export interface JobError {
  code: ErrorCode;
  message: string;
}

/** Where the pixels came from, as shown to the user (never rendered as markup). */
export interface SourceInfo {
  /** img, picture, css-background, canvas, video, svg, svg-image, link, page-image */
  element: string;
  /** the address fetched, shortened for data: URLs; absent for canvas/video frames */
  url?: string;
  /** the page the element was on */
  pageUrl?: string;
}

export interface ClassificationResult {
  top: ClassProb[];
  /** which rectangle of the decoded image the 224×224 input shows (for overlays) */
  geometry: Geometry;
  image: { width: number; height: number; originalWidth: number; originalHeight: number };
  backend: BackendReport;
  /** short backend description, e.g. "wasm (SIMD, 1 thread)" */
  backendText: string;
  /** network forward pass */
  inferenceMs: number;
  /** click → result */
  totalMs: number;
  /** the engine was loaded by this job (first use in this worker), and how long that took */
  engineLoadMs?: number;
}

/**
 * Work SqueezeLens does on a job: `classify` (every menu job: capture → download → decode →
 * SqueezeNet), then what the user asks for — a saliency map (and re-runs with another method), its
 * sanity check, a fooling image, DeepDream — or `visualize`, a job of its own with no image. Each
 * has one file in src/background/tasks/, one popup panel and its entries in ./catalog.ts.
 */
export const TASK_KINDS = [
  'classify',
  'saliency',
  'sanity',
  'fool',
  'dream',
  'visualize',
  'style',
  'invert',
  'stylize',
  'texture',
  'channel',
  'noise',
  'segment',
  'layers',
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** What each task leaves in the job record when it succeeds (small; images go to their own keys). */
export interface TaskResults {
  classify: ClassificationResult;
  saliency: SaliencyInfo;
  sanity: SanityInfo;
  fool: FoolInfo;
  dream: DreamInfo;
  visualize: VisualInfo;
  style: StyleInfo;
  invert: InvertInfo;
  stylize: StylizeInfo;
  texture: TextureInfo;
  channel: ChannelInfo;
  noise: NoiseInfo;
  segment: SegmentInfo;
  layers: LayersInfo;
}

/**
 * Stages of a menu job, in the order they end: the page answered (capture), the queue started the
 * job, the image downloaded and decoded, the engine ready, the input preprocessed, the forward
 * pass read back, then a follow-up (saliency map) computed. (The thumbnail is encoded after the
 * answer is written: not on the click's path.)
 */
export const CLICK_STAGES = [
  'captured',
  'started',
  'fetched',
  'decoded',
  'engine',
  'preprocessed',
  'forward',
  'followUp',
] as const;
export type ClickStage = (typeof CLICK_STAGES)[number];
export interface ClickTimings {
  /** the menu event, epoch ms (sub-millisecond) */
  clickAt: number;
  /** ms from the click to the end of each stage */
  stages: Partial<Record<ClickStage, number>>;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  state: JobState;
  /** free-form progress line for the current stage, e.g. "downloaded 1.2 of 3.4 MB" */
  progress?: string;
  /** 0…1 when known */
  fraction?: number;
  createdAt: number;
  updatedAt: number;
  /** the worker instance (its performance.timeOrigin) that owns the job while it is active */
  worker: number;
  source?: SourceInfo;
  /** each task's last result */
  results: Partial<TaskResults>;
  /** work on the finished job (a re-run, an attack, a check, a dream) in progress or failed, by task */
  runs: Partial<Record<TaskKind, TaskRun>>;
  /** the tab and frame the image came from (to draw on the page or replace the image there) */
  page?: { tabId: number; frameId: number };
  error?: JobError;
  /** the state the job was in when it failed, was cancelled or was interrupted */
  failedIn?: JobState;
  /** where a menu job's time went (ms since the click; written with each result) */
  timings?: ClickTimings;
  /** set when a new worker ran the job again because the one running it was stopped (at most once) */
  retried?: { from: JobState; at: number };
}

/** storage.session keys */
export const STORAGE_KEYS = {
  /** JobRecord[], oldest first, at most MAX_JOBS */
  jobs: 'jobs',
  /** thumbnail data URL of a job's image: `thumb:<id>` */
  thumbPrefix: 'thumb:',
  /** a saliency job's map: `saliency:<id>` (SaliencyData) */
  saliencyPrefix: 'saliency:',
  /**
   * the 224×224 view a saliency job's map explains, base64 of its RGB bytes, written with the
   * classification (before the map, so the map's own write is small): `saliencyView:<id>`
   */
  saliencyViewPrefix: 'saliencyView:',
  /** a fooling job's 224×224 view and fooled image: `fool:<id>` (FoolData) */
  foolPrefix: 'fool:',
  /** DeepDream of a job's image: `dream:<id>` (data: URL) */
  dreamPrefix: 'dream:',
  /** a class visualization (live preview, then the result): `visual:<id>` (data: URL) */
  visualPrefix: 'visual:',
  /** the live preview of a task on a finished job (DeepDream), while it runs: `preview:<id>` (data: URL) */
  previewPrefix: 'preview:',
  /** the exact 224×224 view the network saw, kept for re-runs (invert, stylize): `view:<id>` (PNG data: URL) */
  viewPrefix: 'view:',
  /**
   * what the page sent for a classification or saliency menu job (CaptureSource), kept while the
   * job is active so that a new worker can run it again: `capture:<id>`
   */
  capturePrefix: 'capture:',
  /** feature inversion result: `invert:<id>` (PNG data: URL) */
  invertPrefix: 'invert:',
  /** style transfer result: `stylize:<id>` (PNG data: URL) */
  stylizePrefix: 'stylize:',
  /** texture synthesis result: `texture:<id>` (PNG data: URL) */
  texturePrefix: 'texture:',
  /** channel visualization result: `channel:<id>` (PNG data: URL) */
  channelPrefix: 'channel:',
  /** fooling image from noise of a class visualization job: `noise:<id>` (PNG data: URL) */
  noisePrefix: 'noise:',
  /** segmentation: `segment:<id>` (SegmentData) */
  segmentPrefix: 'segment:',
  /** "Compare layers" of an inversion job: `layers:<id>` (layer → PNG data: URL) */
  layersPrefix: 'layers:',
} as const;

/** storage.local key of the style image ("Use as style image"): kept across sessions until cleared. */
export const STYLE_IMAGE_KEY = 'styleImage';

/** Every per-job key, removed with the job. */
export const jobKeys = (id: string): string[] =>
  [
    STORAGE_KEYS.thumbPrefix,
    STORAGE_KEYS.saliencyPrefix,
    STORAGE_KEYS.saliencyViewPrefix,
    STORAGE_KEYS.foolPrefix,
    STORAGE_KEYS.dreamPrefix,
    STORAGE_KEYS.visualPrefix,
    STORAGE_KEYS.previewPrefix,
    STORAGE_KEYS.viewPrefix,
    STORAGE_KEYS.capturePrefix,
    STORAGE_KEYS.invertPrefix,
    STORAGE_KEYS.stylizePrefix,
    STORAGE_KEYS.texturePrefix,
    STORAGE_KEYS.channelPrefix,
    STORAGE_KEYS.noisePrefix,
    STORAGE_KEYS.segmentPrefix,
    STORAGE_KEYS.layersPrefix,
  ].map((p) => p + id);

/** Work on a finished job (a saliency re-run, an attack, a sanity check, DeepDream), in progress or failed. */
export interface TaskRun {
  /** what runs, as shown (for saliency re-runs: the method name, which the picker shows) */
  method: string;
  state: 'running' | 'error';
  progress?: string;
  fraction?: number;
  error?: string;
  /** the worker instance computing it */
  worker: number;
  /** a live preview image is under `preview:<job id>` */
  preview?: boolean;
}

export const MAX_JOBS = 20;

export const STATE_TEXT: Record<JobState, string> = {
  capturing: t('stateCapturing'),
  queued: t('stateQueued'),
  fetching: t('stateFetching'),
  decoding: t('stateDecoding'),
  'loading-model': t('stateLoadingModel'),
  classifying: t('stateClassifying'),
  explaining: t('stateExplaining'),
  visualizing: t('stateVisualizing'),
  synthesizing: t('stateSynthesizing'),
  done: t('stateDone'),
  error: t('stateError'),
  cancelled: t('stateCancelled'),
  interrupted: t('stateInterrupted'),
};

export const KIND_TEXT: Record<JobKind, string> = {
  classify: t('kindClassify'),
  saliency: t('kindSaliency'),
  fool: t('kindFool'),
  visualize: t('kindVisualize'),
  style: t('kindStyle'),
  stylize: t('kindStylize'),
  invert: t('kindInvert'),
  texture: t('kindTexture'),
  channel: t('kindChannel'),
  segment: t('kindSegment'),
};

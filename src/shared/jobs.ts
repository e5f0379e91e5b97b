/**
 * Jobs as every extension context sees them. The service worker is the only writer; the popup
 * reads them from storage.session (trusted extension contexts only: content scripts and web pages
 * cannot read it) and follows storage.onChanged, so closing and reopening the popup loses nothing,
 * and a worker that is stopped mid-job leaves a record the next worker marks as interrupted.
 */
import type { BackendReport } from '../engine/backend.js';
import type { Geometry } from '../engine/preprocess.js';

/** Context-menu item ids (also the job kinds). */
export const MENU_IDS = {
  classify: 'squeezelens-classify',
  saliency: 'squeezelens-saliency',
  fool: 'squeezelens-fool',
} as const;
export type MenuId = (typeof MENU_IDS)[keyof typeof MENU_IDS];
export type JobKind = keyof typeof MENU_IDS;

export function jobKindOfMenu(id: unknown): JobKind | null {
  for (const [kind, menuId] of Object.entries(MENU_IDS)) if (menuId === id) return kind as JobKind;
  return null;
}

/**
 * Stages in order. `capturing`: the content script is reading the right-clicked element;
 * `queued`: waiting for the job before it; then download, decode, model load, network.
 */
export const ACTIVE_STATES = ['capturing', 'queued', 'fetching', 'decoding', 'loading-model', 'classifying', 'explaining'] as const;
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
  | 'cancelled'
  | 'interrupted' // the worker was stopped while the job was pending
  | 'internal';

export interface JobError {
  code: ErrorCode;
  message: string;
}

export interface Prediction {
  index: number;
  label: string;
  prob: number;
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
  top: Prediction[];
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
  result?: ClassificationResult;
  /** a note shown with the result, e.g. that fooling images are not available yet */
  notice?: string;
  /** saliency jobs: which map was computed (the map itself is under `saliency:<id>`) */
  saliency?: SaliencyInfo;
  /** saliency jobs: a re-run with another method (popup's picker) in progress or failed */
  saliencyRun?: SaliencyRun;
  error?: JobError;
  /** the state the job was in when it failed, was cancelled or was interrupted */
  failedIn?: JobState;
}

/** storage.session keys */
export const STORAGE_KEYS = {
  /** JobRecord[], oldest first, at most MAX_JOBS */
  jobs: 'jobs',
  /** thumbnail data URL of a job's image: `thumb:<id>` */
  thumbPrefix: 'thumb:',
  /** a saliency job's map and the 224×224 view it explains: `saliency:<id>` (SaliencyData) */
  saliencyPrefix: 'saliency:',
} as const;

/** What a saliency job computed (in the job record; small). */
export interface SaliencyInfo {
  /** method name, e.g. 'vanilla' */
  method: string;
  /** e.g. 'Vanilla gradient' */
  methodTitle: string;
  /** a signed map (gradient × input, IG) of which only the positive part (evidence for) is stored */
  positivePart?: boolean;
  /** the class explained (the top-1 class) */
  classIndex: number;
  label: string;
  probability: number;
  /** time to compute the map */
  ms: number;
}

export interface SaliencyRun {
  method: string;
  state: 'running' | 'error';
  progress?: string;
  fraction?: number;
  error?: string;
  /** the worker instance computing it */
  worker: number;
}

/**
 * A saliency map as stored: SIZE×SIZE values normalized to [0,1] (clipped at the 99th percentile)
 * and quantized to 8 bits, base64; and the SIZE×SIZE view the network saw as a PNG data: URL (lossless: the exact input pixels).
 */
export interface SaliencyData {
  size: number;
  /** base64 of size² bytes, row-major */
  map: string;
  /** data:image/png;base64,… of the network's input view */
  view: string;
}

export const MAX_JOBS = 20;

export const STATE_TEXT: Record<JobState, string> = {
  capturing: 'Reading the image from the page…',
  queued: 'Waiting for the previous job…',
  fetching: 'Downloading the image…',
  decoding: 'Decoding the image…',
  'loading-model': 'Loading SqueezeNet (first use)…',
  classifying: 'Running SqueezeNet…',
  explaining: 'Computing the saliency map…',
  done: 'Done',
  error: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

export const KIND_TEXT: Record<JobKind, string> = {
  classify: 'What is this?',
  saliency: 'Saliency map',
  fool: 'Fooling image',
};

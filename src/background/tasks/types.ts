/**
 * What a task is: a spec per kind (one file each in this folder), run by ../runner.ts either as a
 * job's own pipeline (classify, visualize; a saliency map right after classification) or as work on
 * a finished job (saliency re-runs, the sanity check, fooling images, DeepDream).
 */
import type { ForwardHeads } from '../../methods/explain/saliency.js';
import type { ChannelLayer, InvertLayer, SaliencyMethodName, StylePreset } from '../../shared/catalog.js';
import { formatNumber, t, uiLanguage } from '../../shared/i18n.js';
import type { ActiveState, JobRecord, TaskKind, TaskResults } from '../../shared/jobs.js';
import type { CaptureSource, FoolRequest } from '../../shared/messages.js';
import type { Settings } from '../../shared/settings.js';
import type { SwEngine } from '../engine-sw.js';

/** RGB pixels of the whole picture at its aspect ratio (smallest side: catalog SYNTHESIS_SIZES). */
export interface WholeView {
  width: number;
  height: number;
  pixels: Uint8ClampedArray;
}

/** What starts each task (validated messages, or the menu pipeline). */
export interface TaskRequests {
  classify: { source: CaptureSource };
  /**
   * `pixels`: the 224×224 view just classified (a saliency job), with `heads` the classification's
   * forward outputs on it (no second forward pass for the target); else the stored view is used
   */
  saliency: { method: SaliencyMethodName; pixels?: Uint8ClampedArray; heads?: ForwardHeads };
  sanity: Record<string, never>;
  fool: Omit<FoolRequest, 'type' | 'jobId'>;
  dream: Record<string, never>;
  visualize: { classIndex: number; iterations: number };
  /** the view just classified (the follow-up of a "Use as style image" job) */
  /** `whole`: the whole picture at its aspect ratio (catalog SYNTHESIS_SIZES), else the 224×224 view */
  style: { pixels: Uint8ClampedArray; whole?: WholeView };
  /** `pixels`: the view just classified (an inversion job); else the stored `view:<id>` (a re-run) */
  invert: { layer: InvertLayer; pixels?: Uint8ClampedArray; whole?: WholeView };
  /** the five inversions of "Compare layers", on the stored view of a finished inversion job */
  layers: Record<string, never>;
  stylize: { preset: StylePreset; strength: number; pixels?: Uint8ClampedArray; whole?: WholeView };
  texture: Record<string, never>;
  channel: { layer: ChannelLayer; channel: number; neuron: boolean; steps: number };
  noise: Record<string, never>;
  /** the view just classified (the follow-up of a "Cut out the object" job) */
  segment: { pixels: Uint8ClampedArray };
}

/** What a task's run function gets: the engine, the signal, progress and the job's stored data. */
export interface TaskContext {
  jobId: string;
  /** the job record when the task started */
  job: JobRecord;
  signal: AbortSignal;
  settings: Settings;
  /** the engine the settings ask for, loaded first if needed (a job shows "Loading SqueezeNet") */
  engine(): Promise<SwEngine>;
  /** a job's stage (a job's own pipeline only; work on a finished job shows progress in its run) */
  stage(state: ActiveState, progress?: string): Promise<void>;
  /** a progress line (throttled); `patch` changes the job record with it */
  progress(text: string, fraction?: number, patch?: (job: JobRecord) => void): void;
  /** an intermediate image while it runs, as a data: URL (throttled) */
  preview(png: string): void;
  /** a value stored under one of the job's keys (e.g. `saliency:<id>`) */
  stored<T>(key: string): Promise<T | undefined>;
}

export interface TaskOutcome<K extends TaskKind> {
  result: TaskResults[K];
  /** storage keys written with the result (maps, images); only while the job still exists */
  extra?: Record<string, unknown>;
  /** a line for the log */
  log: string;
  /** the 224×224 view the network saw, for a task that follows in the same job */
  pixels?: Uint8ClampedArray;
  /** for a synthesis job (invert, stylize, style image): the whole picture at its aspect ratio */
  whole?: WholeView;
  /** the forward pass's outputs on `pixels`, when the task that follows uses them */
  heads?: ForwardHeads;
  /**
   * storage entries not needed for the first answer (the thumbnail: a WebP encode, ~20 ms here):
   * started when the result is written and stored once ready, while the user already sees it
   */
  later?: () => Promise<Record<string, unknown>>;
}

export interface TaskSpec<K extends TaskKind> {
  /** the job state while it runs as a job's own pipeline */
  state: ActiveState;
  /** shown while it runs (a saliency re-run shows its method name, which the picker reads) */
  title(request: TaskRequests[K]): string;
  /** why this job cannot take it as work on a finished job, or null */
  refuse?(job: JobRecord, request: TaskRequests[K]): string | null;
  run(ctx: TaskContext, request: TaskRequests[K]): Promise<TaskOutcome<K>>;
  /** how its result goes into the record (default: `results[kind] = result`) */
  land?(job: JobRecord, result: TaskResults[K]): void;
  /** where its live preview goes (default `preview:<id>`, removed when it ends) and how often */
  previewPrefix?: string;
  previewEveryMs?: number;
}

/** The stored value's reading failed: the job's data was evicted or never written. */
export const GONE = t('errGone');

/**
 * A method's progress as a line: its own English text (from src/methods) in English, else the
 * step count in the UI language.
 */
export function stepText(p: { step: number; total: number; message?: string }): string {
  if (p.message && uiLanguage().startsWith('en')) return p.message;
  return t('progressStep', [formatNumber(p.step), formatNumber(p.total)]);
}

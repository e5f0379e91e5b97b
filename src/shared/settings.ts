import { SYNTHESIS_OPTIMIZER, SYNTHESIS_SIZES } from './catalog.js';

/**
 * User settings (options page), in storage.local. Read by the worker at the start of each job;
 * anything missing or malformed falls back to the default, so a damaged value can never break a job.
 */
export interface Settings {
  /** 'crop': the centre the model was evaluated on (best accuracy); 'fit': the whole image, stretched */
  preprocess: 'crop' | 'fit';
  /**
   * 'auto': WebGPU on a hardware adapter, else WebAssembly; a named backend forces it ('webgpu'
   * then accepts a software adapter too: the user asked for it, and is told which adapter ran)
   */
  backend: 'auto' | 'webgpu' | 'wasm' | 'cpu';
  /** float32 reproduces the reference network exactly; float16 loads half the bytes */
  weights: 'float32' | 'float16';
  /** open the popup on the result after a menu action (where the browser allows it) */
  openPopup: boolean;
  /** give up on an image download after this many seconds */
  fetchTimeoutSec: number;
  /**
   * Adam steps of style transfer and feature inversion (CS231n: 200). Fewer is faster and rougher:
   * style transfer at 192 px takes ~70 ms a step in the extension's worker here (WebAssembly;
   * 200 steps 14.1 s, README "Benchmark").
   */
  synthesisIterations: number;
  /**
   * Smallest side, in pixels, of the pictures style transfer, feature inversion and the style
   * image use (CS231n: 192). Larger keeps more detail; each step costs about the pixel count
   * (256: ~1.8×, 384: ~4× the time of 192).
   */
  synthesisSize: SynthesisSize;
}

/** The sizes the options page offers: CS231n's 192, and up to style transfer's largest (catalog SYNTHESIS_SIZES). */
export const SYNTHESIS_SIZE_CHOICES = [192, 256, 384] as const;
export type SynthesisSize = (typeof SYNTHESIS_SIZE_CHOICES)[number];

/**
 * The range the options page offers for synthesisIterations. At least 30: Adam's rate of 3.0
 * first overshoots — style transfer of the monarch in the owl's style measured here: style loss
 * 14600 at the start, 91100 after 12 steps, 8440 after 30, 5200 after 60.
 */
export const SYNTHESIS_ITERATION_RANGE = { min: 30, max: 400 } as const;

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  preprocess: 'crop',
  backend: 'auto',
  weights: 'float32',
  openPopup: true,
  fetchTimeoutSec: 20,
  synthesisIterations: SYNTHESIS_OPTIMIZER.iterations,
  synthesisSize: SYNTHESIS_SIZES.stylize.default,
};

export const SETTINGS_KEY = 'settings';

export function parseSettings(value: unknown): Settings {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const pick = <T extends string>(x: unknown, allowed: readonly T[], d: T): T =>
    allowed.includes(x as T) ? (x as T) : d;
  const timeout =
    typeof v.fetchTimeoutSec === 'number' && Number.isFinite(v.fetchTimeoutSec)
      ? Math.min(300, Math.max(1, v.fetchTimeoutSec))
      : DEFAULT_SETTINGS.fetchTimeoutSec;
  const iterations =
    typeof v.synthesisIterations === 'number' && Number.isInteger(v.synthesisIterations)
      ? Math.min(SYNTHESIS_ITERATION_RANGE.max, Math.max(SYNTHESIS_ITERATION_RANGE.min, v.synthesisIterations))
      : DEFAULT_SETTINGS.synthesisIterations;
  return {
    preprocess: pick(v.preprocess, ['crop', 'fit'], DEFAULT_SETTINGS.preprocess),
    backend: pick(v.backend, ['auto', 'webgpu', 'wasm', 'cpu'], DEFAULT_SETTINGS.backend),
    weights: pick(v.weights, ['float32', 'float16'], DEFAULT_SETTINGS.weights),
    openPopup: typeof v.openPopup === 'boolean' ? v.openPopup : DEFAULT_SETTINGS.openPopup,
    fetchTimeoutSec: timeout,
    synthesisIterations: iterations,
    synthesisSize: SYNTHESIS_SIZE_CHOICES.includes(v.synthesisSize as SynthesisSize)
      ? (v.synthesisSize as SynthesisSize)
      : DEFAULT_SETTINGS.synthesisSize,
  };
}

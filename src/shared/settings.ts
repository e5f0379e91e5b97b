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
}

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  preprocess: 'crop',
  backend: 'auto',
  weights: 'float32',
  openPopup: true,
  fetchTimeoutSec: 20,
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
  return {
    preprocess: pick(v.preprocess, ['crop', 'fit'], DEFAULT_SETTINGS.preprocess),
    backend: pick(v.backend, ['auto', 'webgpu', 'wasm', 'cpu'], DEFAULT_SETTINGS.backend),
    weights: pick(v.weights, ['float32', 'float16'], DEFAULT_SETTINGS.weights),
    openPopup: typeof v.openPopup === 'boolean' ? v.openPopup : DEFAULT_SETTINGS.openPopup,
    fetchTimeoutSec: timeout,
  };
}

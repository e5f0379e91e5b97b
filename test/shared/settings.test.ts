import { describe, expect, it } from 'vitest';
import { SYNTHESIS_SIZES } from '../../src/shared/catalog.js';
import { DEFAULT_SETTINGS, parseSettings, SYNTHESIS_SIZE_CHOICES } from '../../src/shared/settings.js';

describe('settings (storage.local, read by the worker at each job)', () => {
  it('fills anything missing or malformed with the defaults', () => {
    expect(parseSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings('nonsense')).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings({ backend: 'tpu', synthesisIterations: 2.5, fetchTimeoutSec: Number.NaN })).toEqual(
      DEFAULT_SETTINGS,
    );
  });

  it('keeps the picture size only when it is one the options page offers', () => {
    expect(DEFAULT_SETTINGS.synthesisSize).toBe(192); // CS231n's
    for (const size of SYNTHESIS_SIZE_CHOICES) expect(parseSettings({ synthesisSize: size }).synthesisSize).toBe(size);
    for (const bad of [0, 191, 300, 512, '256', null, Number.NaN])
      expect(parseSettings({ synthesisSize: bad }).synthesisSize).toBe(192);
  });

  it('offers only sizes every synthesis method takes (style transfer has the smallest maximum)', () => {
    for (const size of SYNTHESIS_SIZE_CHOICES)
      for (const range of Object.values(SYNTHESIS_SIZES)) {
        expect(size).toBeGreaterThanOrEqual(range.min);
        expect(size).toBeLessThanOrEqual(range.max);
      }
  });

  it('clamps the steps and the download timeout to the ranges the options page shows', () => {
    expect(parseSettings({ synthesisIterations: 5 }).synthesisIterations).toBe(30);
    expect(parseSettings({ synthesisIterations: 5000 }).synthesisIterations).toBe(400);
    expect(parseSettings({ fetchTimeoutSec: 0 }).fetchTimeoutSec).toBe(1);
    expect(parseSettings({ fetchTimeoutSec: 1e9 }).fetchTimeoutSec).toBe(300);
  });
});

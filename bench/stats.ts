/** Median / min / max of a sample, rounded for reports. */
import { median } from '../src/shared/numeric.js';

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function stats(samples: number[]): Stats {
  const r = (v: number) => Number(v.toFixed(2));
  return {
    median: r(median(samples)),
    min: r(Math.min(...samples)),
    max: r(Math.max(...samples)),
    runs: samples.length,
  };
}

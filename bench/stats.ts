/** Median / 95th percentile / min / max of a sample, rounded for reports. */
import { median } from '../src/shared/numeric.js';

export interface Stats {
  median: number;
  /** nearest-rank 95th percentile (the largest value below 20 samples) */
  p95: number;
  min: number;
  max: number;
  runs: number;
}

export function stats(samples: number[]): Stats {
  const r = (v: number) => Number(v.toFixed(2));
  return {
    median: r(median(samples)),
    p95: r([...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.ceil(0.95 * samples.length) - 1)]),
    min: r(Math.min(...samples)),
    max: r(Math.max(...samples)),
    runs: samples.length,
  };
}

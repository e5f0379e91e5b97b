/** Median / min / max of a sample, rounded for reports. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const r = (v: number) => Number(v.toFixed(2));
  return { median: r(median), min: r(s[0]), max: r(s[s.length - 1]), runs: s.length };
}

/** The figures of `npm run agreement` (./run.ts): top-1 and top-5 agreement per pair, pixels, logits. */

export interface Answer {
  /** the five most probable classes, best first, with softmax probabilities */
  top: { index: number; prob: number }[];
  logits: Float64Array;
}

export function answerOf(logits: Float64Array): Answer {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  return { top: order.slice(0, 5).map((index) => ({ index, prob: Math.exp(logits[index] - max) / sum })), logits };
}

/** One image's answers on the three paths (run.ts's rows are this plus the photo-set entry). */
export interface Compared {
  file: string;
  how: string;
  kind?: string;
  cli?: Answer & { rgbaSha256: string; size: [number, number]; input: Float32Array };
  cliCommand?: number[];
  extension?: Answer & { rgbaSha256: string; size: [number, number]; originalSize: [number, number] };
  extensionInput?: Float32Array;
  oracle?: Answer;
  error?: string;
}

const pct = (k: number, n: number) => (n ? Number(((100 * k) / n).toFixed(2)) : null);
const top2 = (a: Answer, labels: readonly string[]) =>
  a.top.slice(0, 2).map((t) => `${labels[t.index]} (${t.index}) ${(t.prob * 100).toFixed(2)} %`);

const set5 = (a: Answer) =>
  a.top
    .map((t) => t.index)
    .sort((p, q) => p - q)
    .join();

function pair(
  rows: Compared[],
  a: 'cli' | 'extension',
  b: 'extension' | 'oracle',
  labels: readonly string[],
  samePixels: (r: Compared) => boolean,
) {
  const both = rows.filter((r) => r[a] && r[b]);
  let top1 = 0;
  let top5 = 0;
  let maxLogit = 0;
  let maxLogitSamePixels = 0;
  const disagreements: object[] = [];
  for (const r of both) {
    const x = r[a]!;
    const y = r[b]!;
    if (set5(x) === set5(y)) top5++;
    let d = 0;
    for (let i = 0; i < x.logits.length; i++) d = Math.max(d, Math.abs(x.logits[i] - y.logits[i]));
    maxLogit = Math.max(maxLogit, d);
    if (samePixels(r)) maxLogitSamePixels = Math.max(maxLogitSamePixels, d);
    if (x.top[0].index === y.top[0].index) top1++;
    else disagreements.push({ file: r.file, how: r.how, [a]: top2(x, labels), [b]: top2(y, labels) });
  }
  return {
    images: both.length,
    top1Agree: top1,
    top1Percent: pct(top1, both.length),
    top5SetAgree: top5,
    top5SetPercent: pct(top5, both.length),
    maxAbsLogitDiff: Number(maxLogit.toPrecision(3)),
    /** over the images whose decoded pixels are the same in the CLI and in Chromium */
    maxAbsLogitDiffSamePixels: Number(maxLogitSamePixels.toPrecision(3)),
    disagreements,
  };
}

/**
 * How close the set came to a flip: the images whose top-1 leads the top-2 by the least (in
 * probability, by the extension's answer), so a reader can see near-ties were there to flip.
 */
function closestCalls(rows: Compared[], labels: readonly string[], count = 8) {
  const margin = (r: Compared) => r.extension!.top[0].prob - r.extension!.top[1].prob;
  const withAnswer = rows.filter((r) => r.extension);
  return {
    underOnePoint: withAnswer.filter((r) => margin(r) < 0.01).length,
    underFivePoints: withAnswer.filter((r) => margin(r) < 0.05).length,
    smallest: withAnswer
      .sort((p, q) => margin(p) - margin(q))
      .slice(0, count)
      .map((r) => ({ file: r.file, how: r.how, extension: top2(r.extension!, labels) })),
  };
}

export function summarize(rows: Compared[], labels: readonly string[]) {
  const both = rows.filter((r) => r.cli && r.extension);
  const samePixels = (r: Compared) =>
    !!r.cli &&
    !!r.extension &&
    r.cli.rgbaSha256 === r.extension.rgbaSha256 &&
    r.cli.size.join() === r.extension.size.join();
  const identical = both.filter(samePixels);
  const differing = both
    .filter((r) => !identical.includes(r))
    .map((r) => {
      let maxInput = 0;
      for (let i = 0; i < r.cli!.input.length; i++)
        maxInput = Math.max(maxInput, Math.abs(r.cli!.input[i] - r.extensionInput![i]));
      return {
        file: r.file,
        how: r.how,
        kind: r.kind,
        cliSize: r.cli!.size,
        extensionSize: r.extension!.size,
        extensionOriginalSize: r.extension!.originalSize,
        // Normalized units: one 8-bit level is 1/(255·0.224) ≈ 0.0175.
        maxAbsInputDiff: Number(maxInput.toPrecision(3)),
      };
    });
  const commandChecked = rows.filter((r) => r.cli && r.cliCommand);
  const commandSame = commandChecked.filter((r) => r.cliCommand!.join() === r.cli!.top.map((t) => t.index).join());
  return {
    pixels: {
      compared: both.length,
      identical: identical.length,
      identicalPercent: pct(identical.length, both.length),
      differingByKind: countBy(differing.map((d) => d.kind ?? '?')),
      differing,
    },
    cliCommand: {
      note: '`squeezelens classify --json` top-5 indices equal the in-process CLI path',
      compared: commandChecked.length,
      same: commandSame.length,
    },
    cliVsExtension: pair(rows, 'cli', 'extension', labels, samePixels),
    cliVsOracle: pair(rows, 'cli', 'oracle', labels, samePixels),
    extensionVsOracle: pair(rows, 'extension', 'oracle', labels, samePixels),
    closestCalls: closestCalls(rows, labels),
    errors: rows.filter((r) => r.error).map((r) => ({ file: r.file, error: r.error })),
  };
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

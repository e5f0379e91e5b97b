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

interface Compared {
  file: string;
  how: string;
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

function pair(rows: Compared[], a: 'cli' | 'extension', b: 'extension' | 'oracle', labels: readonly string[]) {
  const both = rows.filter((r) => r[a] && r[b]);
  let top1 = 0;
  let top5 = 0;
  let maxLogit = 0;
  const disagreements: object[] = [];
  for (const r of both) {
    const x = r[a]!;
    const y = r[b]!;
    if (set5(x) === set5(y)) top5++;
    for (let i = 0; i < x.logits.length; i++) maxLogit = Math.max(maxLogit, Math.abs(x.logits[i] - y.logits[i]));
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
    disagreements,
  };
}

export function summarize(rows: Compared[], labels: readonly string[]) {
  const both = rows.filter((r) => r.cli && r.extension);
  const identical = both.filter(
    (r) => r.cli!.rgbaSha256 === r.extension!.rgbaSha256 && r.cli!.size.join() === r.extension!.size.join(),
  );
  const differing = both
    .filter((r) => !identical.includes(r))
    .map((r) => {
      const sameSize = r.cli!.size.join() === r.extension!.size.join();
      let maxInput = 0;
      for (let i = 0; i < r.cli!.input.length; i++)
        maxInput = Math.max(maxInput, Math.abs(r.cli!.input[i] - r.extensionInput![i]));
      return {
        file: r.file,
        how: r.how,
        cliSize: r.cli!.size,
        extensionSize: r.extension!.size,
        extensionOriginalSize: r.extension!.originalSize,
        // Normalized units: one 8-bit level is 1/(255·0.224) ≈ 0.0175.
        maxAbsInputDiff: sameSize || maxInput ? Number(maxInput.toPrecision(3)) : null,
      };
    });
  const commandChecked = rows.filter((r) => r.cli && r.cliCommand);
  const commandSame = commandChecked.filter((r) => r.cliCommand!.join() === r.cli!.top.map((t) => t.index).join());
  return {
    pixels: {
      compared: both.length,
      identical: identical.length,
      identicalPercent: pct(identical.length, both.length),
      differing,
    },
    cliCommand: {
      note: '`squeezelens classify --json` top-5 indices equal the in-process CLI path',
      compared: commandChecked.length,
      same: commandSame.length,
    },
    cliVsExtension: pair(rows, 'cli', 'extension', labels),
    cliVsOracle: pair(rows, 'cli', 'oracle', labels),
    extensionVsOracle: pair(rows, 'extension', 'oracle', labels),
    errors: rows.filter((r) => r.error).map((r) => ({ file: r.file, error: r.error })),
  };
}

/**
 * The arithmetic of `npm run agreement` (bench/agreement/summary.ts) on made-up answers, so a
 * figure it reports cannot be wrong for a reason a small case shows: top-1 and top-5 set counts,
 * the largest logit difference, the disagreement list, and what counts as identical pixels.
 */
import { describe, expect, it } from 'vitest';
import { answerOf, summarize } from '../../bench/agreement/summary.js';

const labels = Array.from({ length: 8 }, (_, i) => `class${i}`);
const logits = (...values: number[]) => Float64Array.from(values);

function row(file: string, cli: Float64Array, ext: Float64Array, oracle?: Float64Array, pixels = ['a', 'a']) {
  const input = new Float32Array(4);
  return {
    file,
    how: 'made up',
    cli: { ...answerOf(cli), rgbaSha256: pixels[0], size: [2, 2] as [number, number], input },
    cliCommand: answerOf(cli).top.map((t) => t.index),
    extension: {
      ...answerOf(ext),
      rgbaSha256: pixels[1],
      size: [2, 2] as [number, number],
      originalSize: [2, 2] as [number, number],
    },
    extensionInput: Float32Array.of(0, 0.0175, 0, 0),
    oracle: oracle && answerOf(oracle),
  };
}

describe('agreement summary', () => {
  it('answerOf: the five largest logits in order, with softmax probabilities', () => {
    const a = answerOf(logits(0, 3, 1, 2, Math.log(2) + 3, -1, 0.5, 0));
    expect(a.top.map((t) => t.index)).toEqual([4, 1, 3, 2, 6]);
    expect(a.top[0].prob / a.top[1].prob).toBeCloseTo(2, 12);
    const sum = [0, 3, 1, 2, Math.log(2) + 3, -1, 0.5, 0].reduce((s, v) => s + Math.exp(v), 0);
    expect(a.top[1].prob).toBeCloseTo(Math.exp(3) / sum, 12);
  });

  it('counts top-1 and top-5 set agreement, the largest logit difference and lists each flip', () => {
    const same = logits(5, 4, 3, 2, 1, 0, 0, 0);
    const reordered = logits(5, 4, 2, 3, 1, 0, 0, 0.5); // same top-1, same top-5 set
    const flipped = logits(4, 5, 3, 2, 1, 0, 0, 0); // top-1 differs
    const nearTie = logits(3, 3.001, 0, 0, 0, 0, 0, 0.25);
    const s = summarize(
      [
        row('x', same, same, same),
        row('y', same, reordered, same, ['a', 'b']),
        row('z', same, flipped, flipped, ['a', 'c']),
        row('w', nearTie, nearTie, nearTie),
      ],
      labels,
    );
    expect(s.cliVsExtension).toMatchObject({
      images: 4,
      top1Agree: 3,
      top1Percent: 75,
      top5SetAgree: 4,
      maxAbsLogitDiff: 1,
      maxAbsLogitDiffSamePixels: 0,
    });
    expect(s.cliVsExtension.disagreements).toEqual([
      {
        file: 'z',
        how: 'made up',
        cli: [expect.stringMatching(/^class0 \(0\) \d/), expect.stringMatching(/^class1 \(1\)/)],
        extension: [expect.stringMatching(/^class1 \(1\)/), expect.stringMatching(/^class0 \(0\)/)],
      },
    ]);
    expect(s.extensionVsOracle).toMatchObject({ images: 4, top1Agree: 4 });
    expect(s.cliVsOracle).toMatchObject({ images: 4, top1Agree: 3 });
    expect(s.pixels).toMatchObject({ compared: 4, identical: 2 });
    expect(s.pixels.differing.map((d) => [d.file, d.maxAbsInputDiff])).toEqual([
      ['y', 0.0175],
      ['z', 0.0175],
    ]);
    expect(s.cliCommand).toMatchObject({ compared: 4, same: 4 });
    expect(s.closestCalls.underOnePoint).toBe(1);
    expect(s.closestCalls.smallest[0].file).toBe('w');
  });

  it('leaves out of a pair the images one side has no answer for', () => {
    const a = logits(1, 0, 0, 0, 0, 0, 0, 0);
    const s = summarize([row('x', a, a), row('y', a, a, a)], labels);
    expect(s.cliVsOracle.images).toBe(1);
    expect(s.cliVsExtension.images).toBe(2);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/decode-node.js';
import { cli } from '../helpers/cli.js';
import { photos } from '../helpers/data.js';

describe('squeezelens segment', () => {
  it('writes a binary mask and a cut-out at the photo’s own size, with a JSON summary', async () => {
    const p = photos().find((f) => f.file.includes('Siamese_cat'))!; // 500×375: crop view and a shrunk grid
    const dir = mkdtempSync(join(tmpdir(), 'squeezelens-segment-'));
    const out = join(dir, 'mask.png');
    const cut = join(dir, 'cut.png');
    const { code, stdout, stderr } = await cli(['segment', p.path, '--out', out, '--cutout', cut, '--json']);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      method: 'vanilla',
      class: { index: p.top1 },
      backend: 'wasm',
      sizes: { image: [500, 375], grid: [320, 240], map: [224, 224] },
      outputs: { mask: out, cutout: cut },
    });
    expect(summary.iterations).toBeGreaterThanOrEqual(1);
    expect(summary.ms.total).toBeGreaterThan(summary.ms.segment);
    expect(summary.foregroundFraction).toBeGreaterThan(0.05);
    expect(summary.foregroundFraction).toBeLessThan(0.95);

    const mask = PNG.sync.read(readFileSync(out));
    expect([mask.width, mask.height]).toEqual([500, 375]);
    let white = 0;
    for (let i = 0; i < mask.width * mask.height; i++) {
      const v = mask.data[i * 4];
      expect(v === 0 || v === 255).toBe(true);
      expect([mask.data[i * 4 + 1], mask.data[i * 4 + 2], mask.data[i * 4 + 3]]).toEqual([v, v, 255]);
      if (v) white++;
    }
    expect(white / (500 * 375)).toBeCloseTo(summary.foregroundFraction, 5);

    // The cut-out: the photo's own pixels inside the mask, fully transparent (and black) outside.
    const cutPng = PNG.sync.read(readFileSync(cut));
    const photo = decodeImage(readFileSync(p.path), p.path);
    expect([cutPng.width, cutPng.height]).toEqual([500, 375]);
    let mismatches = 0;
    for (let i = 0; i < 500 * 375; i++) {
      const q = i * 4;
      if (mask.data[q]) {
        if (cutPng.data[q + 3] !== 255) mismatches++;
        for (let c = 0; c < 3; c++) if (cutPng.data[q + c] !== photo.data[q + c]) mismatches++;
      } else if (cutPng.data[q + 3] !== 0 || cutPng.data[q] + cutPng.data[q + 1] + cutPng.data[q + 2] !== 0) {
        mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  }, 120_000);

  it('refuses bad input with the exit codes of the other commands', async () => {
    const p = photos()[10];
    const noOut = await cli(['segment', p.path]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/segment needs --out FILE/);
    const badMethod = await cli(['segment', p.path, '--out', '/tmp/x.png', '--method', 'magic']);
    expect(badMethod.code).toBe(2);
    expect(badMethod.stderr).toMatch(/--method must be one of vanilla, .*occlusion, got 'magic'/);
    const badIterations = await cli(['segment', p.path, '--out', '/tmp/x.png', '--iterations', '0']);
    expect(badIterations.code).toBe(2);
    expect(badIterations.stderr).toMatch(/--iterations must be an integer ≥ 1/);
    const missing = await cli(['segment', 'no-such-photo.jpg', '--out', '/tmp/x.png']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-photo\.jpg: cannot read \(no such file\)/);
    const help = await cli(['segment', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/95th percentile/);
    expect(help.stdout).toMatch(/--method NAME .*\(default vanilla\)/);
    const list = await cli(['--help']);
    expect(list.stdout).toMatch(/segment +cut the object out/);
  }, 120_000);
});

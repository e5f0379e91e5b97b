import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { photos } from '../helpers/data.js';

describe('squeezelens classify', () => {
  it('prints one JSON line per file, and a per-file error without stopping the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squeezelens-cli-'));
    const html = join(dir, 'page.jpg');
    writeFileSync(html, '<!doctype html><title>404</title>');
    const [a, b] = [photos()[3], photos()[8]];
    const { code, stdout, stderr } = await cli(['classify', '--json', a.path, html, join(dir, 'missing.png'), b.path]);
    expect(code).toBe(1);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0].file).toBe(a.path);
    expect(lines[0].backend).toBe('wasm');
    expect(lines[0].top5).toHaveLength(5);
    expect(lines[0].top5[0].index).toBe(a.label);
    expect(Object.keys(lines[0].top5[0])).toEqual(['index', 'label', 'prob']);
    expect(lines[0].ms).toBeGreaterThan(0);
    expect(lines[1]).toEqual({ file: html, error: `${html}: not an image (looks like HTML/XML text)` });
    expect(lines[2].error).toMatch(/missing\.png: cannot read \(no such file\)/);
    expect(lines[3].top5[0].index).toBe(b.label);
    expect(stderr).toMatch(/not an image/);
  });

  it('prints a readable top-5 and honours --backend cpu, --preprocess fit and --weights float16', async () => {
    const p = photos()[9];
    const { code, stdout } = await cli([
      'classify',
      '--backend',
      'cpu',
      '--preprocess',
      'fit',
      '--weights',
      'float16',
      p.path,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('[cpu,');
    expect(stdout).toMatch(new RegExp(`1\\.\\s+\\d+\\.\\d%\\s+.*\\(${p.label}\\)`));
    expect(stdout.trim().split('\n')).toHaveLength(6);
  });

  it('rejects bad usage with exit status 2 and a specific message', async () => {
    expect(await cli(['classify', '--backend', 'gpu', 'x.jpg'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--backend must be wasm or cpu, got 'gpu'/),
    });
    expect(await cli(['frobnicate', 'x.jpg'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown command 'frobnicate'/),
    });
    expect(await cli(['classify'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/at least one image/) });
    expect((await cli(['--help'])).stdout).toMatch(/Usage: squeezelens <command>/);
    expect((await cli(['classify', '--help'])).stdout).toMatch(/Usage: squeezelens classify/);
    expect(await cli(['fool', photos()[0].path])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--target is required/),
    });
    expect(await cli(['saliency', photos()[0].path, '--method', 'magic'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--method must be one of vanilla, gradxinput/),
    });
    expect(await cli(['saliency', photos()[0].path, '--unknown-flag'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Unknown option/),
    });
  });
});

describe('squeezelens saliency | fool | visualize | dream | sanity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'squeezelens-cli-methods-'));
  const pngSize = (path: string) => {
    const png = PNG.sync.read(readFileSync(path));
    return [png.width, png.height];
  };

  it('saliency writes the heat map, the overlay on the original and the mask, and a JSON summary', async () => {
    const p = photos()[2]; // Siamese cat, 500×375
    const [map, overlay, mask] = ['map.png', 'overlay.png', 'mask.png'].map((f) => join(dir, f));
    const { code, stdout } = await cli([
      'saliency',
      p.path,
      '--method',
      'gradcam',
      '--out',
      map,
      '--overlay',
      overlay,
      '--mask',
      mask,
      '--json',
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      method: 'gradcam',
      class: { index: p.label },
      backend: 'wasm',
      outputs: { map, overlay, mask },
    });
    expect(summary.stats.max).toBeGreaterThan(summary.stats.min);
    expect(pngSize(map)).toEqual([224, 224]);
    expect(pngSize(overlay)).toEqual([500, 375]); // drawn back onto the whole original image
    expect(pngSize(mask)).toEqual([224, 224]);
  });

  it('fool → classify: the saved fooling image is classified as the target (the README example)', async () => {
    const p = photos()[10]; // golf ball
    const fooled = join(dir, 'fooled.png');
    const diff10 = join(dir, 'diff10.png');
    // --min-prob 0 (top-1 is enough) is what this test checks; the CLI default is the popup's 0.9.
    const args = ['--target', 'gorilla', '--method', 'cs231n', '--min-prob', '0', '--out', fooled, '--diff10', diff10];
    const fool = await cli(['fool', p.path, ...args, '--json']);
    expect(fool.code).toBe(0);
    const summary = JSON.parse(fool.stdout);
    expect(summary).toMatchObject({
      success: true,
      target: { index: 366, label: 'gorilla' },
      source: { index: 574 },
      predictedAfter: 366,
    });
    expect(summary.linf).toBeGreaterThan(0);
    expect(summary.iterations).toBeLessThanOrEqual(100);
    const again = await cli(['classify', '--json', fooled]);
    expect(JSON.parse(again.stdout).top5[0]).toMatchObject({ index: 366, label: 'gorilla' });
    // Also on the CPU backend: the default margin keeps the answer across backends.
    const onCpu = await cli(['classify', '--json', '--backend', 'cpu', fooled]);
    expect(JSON.parse(onCpu.stdout).top5[0].index).toBe(366);
    expect(pngSize(diff10)).toEqual([224, 224]);
  });

  it('visualize and dream run and report what they did', async () => {
    const viz = join(dir, 'viz.png');
    const v = await cli(['visualize', '--class', 'tarantula', '--iterations', '40', '--out', viz, '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({
      class: { index: 76, label: 'tarantula' },
      iterations: 40,
      outputs: { visualization: viz },
    });
    expect(pngSize(viz)).toEqual([224, 224]);
    const dream = join(dir, 'dream.png');
    const d = await cli([
      'dream',
      photos()[8].path,
      '--layer',
      'fire4',
      '--octaves',
      '1',
      '--iterations',
      '3',
      '--out',
      dream,
      '--json',
    ]);
    expect(d.code).toBe(0);
    const ds = JSON.parse(d.stdout);
    expect(ds.objectiveAfter).toBeGreaterThan(ds.objectiveBefore);
    expect(pngSize(dream)).toEqual([224, 224]);
  });

  it('sanity reports the randomization curve, a verdict and deletion/insertion areas', async () => {
    const { code, stdout } = await cli(['sanity', photos()[3].path, '--method', 'gradcam', '--json']);
    expect(code).toBe(0);
    const s = JSON.parse(stdout);
    expect(s.modelRandomization.steps.length).toBeGreaterThan(3);
    expect(typeof s.modelRandomization.modelSensitive).toBe('boolean');
    expect(s.deletionAuc).toBeGreaterThanOrEqual(0);
    expect(s.insertionAuc).toBeLessThanOrEqual(1);
  });
});

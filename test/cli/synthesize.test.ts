import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { photos } from '../helpers/data.js';

/** The command's JSON line and its PNG (224×224, not one flat colour). */
async function runJson(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'squeezelens-synth-'));
  const out = join(dir, 'out.png');
  const { code, stdout, stderr } = await cli([...args, '--iterations', '10', '--out', out, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const summary = JSON.parse(stdout.trim());
  const png = PNG.sync.read(readFileSync(out));
  expect([png.width, png.height]).toEqual([224, 224]);
  expect(new Set(png.data.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(10);
  expect(summary.iterations).toBe(10);
  expect(summary.backend).toBe('wasm');
  expect(summary.ms).toBeGreaterThan(0);
  expect(summary.outputs).toEqual({ image: out });
  for (const key of ['total', 'content', 'style', 'tv']) {
    expect(Number.isFinite(summary.losses.start[key])).toBe(true);
    expect(Number.isFinite(summary.losses.end[key])).toBe(true);
  }
  return summary;
}

describe('squeezelens invert | texture | stylize', () => {
  const [content, style] = [photos()[3].path, photos()[9].path];

  it('invert writes the PNG and a JSON summary', async () => {
    const s = await runJson(['invert', content, '--layer', 'fire3']);
    expect(s.layer).toBe('fire3');
    expect(s.file).toBe(content);
    expect(s.losses.start.style).toBe(0);
    expect(s.losses.end.content).toBeLessThan(s.losses.start.content);
  });

  it('texture writes the PNG and a JSON summary', async () => {
    const s = await runJson(['texture', style]);
    expect(s.style).toBe(style);
    expect(s.losses.start.content).toBe(0);
    // (10 steps at lr 3.0 overshoot the Grams: the reduction is tested in test/methods/synthesize)
    expect(s.losses.start.style).toBeGreaterThan(0);
  });

  it('stylize writes the PNG and a JSON summary with the preset × strength weights', async () => {
    const s = await runJson(['stylize', content, '--style', style, '--preset', 'starry-night', '--strength', '0.5']);
    expect(s.preset).toBe('starry-night');
    expect(s.weights).toEqual({ content: 6e-2, style: [150000, 500, 7.5, 1.5], tv: 2e-2 });
  });

  it('reports usage errors', async () => {
    const bad = await cli(['stylize', content, '--preset', 'scream']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/needs --style/);
    const layer = await cli(['invert', content, '--layer', 'classifier']);
    expect(layer.code).toBe(2);
    expect(layer.stderr).toMatch(/--layer must be one of conv1, fire2/);
    const help = await cli(['texture', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Gram/);
  });
});

/**
 * `squeezelens channel`, `dream --channel` and `fool --from-noise` end to end: the PNGs exist and
 * decode to the right size, the JSON summaries carry the right fields, and bad arguments exit with
 * status 2 and say what is wrong.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/decode-node.js';
import { loadEngineNode } from '../../src/engine/node.js';
import { preprocess } from '../../src/engine/preprocess.js';
import { argmax } from '../../src/shared/numeric.js';
import { cli } from '../helpers/cli.js';
import { photos } from '../helpers/data.js';

const dir = mkdtempSync(join(tmpdir(), 'squeezelens-channel-'));

function png(path: string) {
  return PNG.sync.read(readFileSync(path));
}

describe('squeezelens channel', () => {
  it('writes the channel image and a JSON summary', async () => {
    const out = join(dir, 'ch.png');
    const { code, stdout, stderr } = await cli([
      'channel',
      '--layer',
      'fire6',
      '--channel',
      '17',
      '--steps',
      '8',
      '--out',
      out,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const s = JSON.parse(stdout);
    expect(s).toMatchObject({
      layer: 'fire6',
      neuron: false,
      iterations: 8,
      backend: 'wasm',
      size: { width: 128, height: 128 }, // Lucid's size, the default
      outputs: { image: out },
    });
    expect(s.channels).toHaveLength(1);
    expect(s.channels[0].channel).toBe(17);
    expect(s.channels[0].objectiveEnd).toBeGreaterThan(s.channels[0].objectiveStart);
    expect(s.ms).toBeGreaterThan(0);
    expect(s.msPerStep).toBeGreaterThan(0);
    const image = png(out);
    expect([image.width, image.height]).toEqual([128, 128]);
    expect(new Set(image.data.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(10);
  });

  it('--neuron and --atlas: the first N channels on one contact sheet', async () => {
    const out = join(dir, 'atlas.png');
    const { code, stdout } = await cli([
      'channel',
      '--layer',
      'fire2',
      '--atlas',
      '4',
      '--neuron',
      '--steps',
      '2',
      '--size',
      '224',
      '--out',
      out,
      '--json',
    ]);
    expect(code).toBe(0);
    const s = JSON.parse(stdout);
    expect(s.neuron).toBe(true);
    expect(s.channels.map((c: { channel: number }) => c.channel)).toEqual([0, 1, 2, 3]);
    expect(s.iterations).toBe(8);
    const image = png(out);
    // 2×2 cells of 224 px, 4 px gaps, a 14 px label row under each cell (render/sheet.ts)
    expect([image.width, image.height]).toEqual([4 + 2 * 228, 4 + 2 * (224 + 14 + 4)]);
    expect([s.size.width, s.size.height]).toEqual([image.width, image.height]);
  });

  it('refuses an unknown layer, a channel the layer lacks, and a missing channel', async () => {
    const layer = await cli(['channel', '--layer', 'pool3', '--channel', '1']);
    expect(layer.code).toBe(2);
    expect(layer.stderr).toMatch(/unknown layer 'pool3' \(available: conv1, fire2/);
    const channel = await cli(['channel', '--layer', 'fire2', '--channel', '128']);
    expect(channel.code).toBe(2);
    expect(channel.stderr).toMatch(/--channel 128 is out of range: fire2 has 128 channels \(0–127\)/);
    const atlas = await cli(['channel', '--layer', 'conv1', '--atlas', '65']);
    expect(atlas.code).toBe(2);
    expect(atlas.stderr).toMatch(/--atlas must be an integer ≥ 1 and ≤ 64/);
    const size = await cli(['channel', '--layer', 'fire6', '--channel', '1', '--size', '32']);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--size must be a whole number of pixels from 64 to 224.*got '32'/);
    const neither = await cli(['channel', '--layer', 'fire6']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/give either --channel N .* or --atlas N/);
    const help = await cli(['channel', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Lucid/);
  });
});

describe('squeezelens dream --channel', () => {
  it('steers the dream to one channel and raises that channel', async () => {
    const out = join(dir, 'dream.png');
    // 10 steps: the first one can overshoot (measured on this photo, channel 37: 7.66 → 6.71 after
    // 1 step, 7.06 after 3, 15.80 after 10)
    const args = ['dream', photos()[8].path, '--layer', 'fire4', '--octaves', '1', '--iterations', '10'];
    const d = await cli([...args, '--channel', '37', '--out', out, '--json']);
    expect(d.code).toBe(0);
    const s = JSON.parse(d.stdout);
    expect(s.channels).toEqual([37]);
    expect(s.objective).toBe('mean');
    expect(s.objectiveAfter).toBeGreaterThan(s.objectiveBefore);
    expect([png(out).width, png(out).height]).toEqual([224, 224]);
    const bad = await cli([...args, '--channel', '256']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--channel 256 is out of range: fire4 has 256 channels/);
  });
});

describe('squeezelens fool --from-noise', () => {
  it('writes a 224×224 PNG that decodes to the target at ≥ 99 %, with a JSON summary', async () => {
    const out = join(dir, 'noise.png');
    const { code, stdout, stderr } = await cli(['fool', '--from-noise', '--target', 'gorilla', '--out', out, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const s = JSON.parse(stdout);
    expect(s).toMatchObject({
      fromNoise: true,
      seed: 0,
      target: { index: 366, label: 'gorilla' },
      success: true,
      minProb: 0.99,
      predicted: { index: 366, label: 'gorilla' },
      backend: 'wasm',
      outputs: { fooled: out },
    });
    expect(s.targetProb).toBeGreaterThanOrEqual(0.99);
    expect(s.iterations).toBeGreaterThan(0);
    expect(s.ms).toBeGreaterThan(0);
    const engine = await loadEngineNode({ backend: 'wasm' });
    try {
      const image = preprocess(decodeImage(readFileSync(out), out));
      const probs = await engine.classifier.probabilities(image.input);
      expect(argmax(probs)).toBe(366);
      expect(probs[366]).toBeGreaterThanOrEqual(0.99);
    } finally {
      engine.model.dispose();
    }
  });

  it('refuses an image, a missing target and options that need an original', async () => {
    const image = await cli(['fool', '--from-noise', photos()[0].path, '--target', 'gorilla']);
    expect(image.code).toBe(2);
    expect(image.stderr).toMatch(/--from-noise takes no image/);
    const target = await cli(['fool', '--from-noise']);
    expect(target.code).toBe(2);
    expect(target.stderr).toMatch(/--from-noise needs --target/);
    const diff = await cli(['fool', '--from-noise', '--target', '1', '--diff', join(dir, 'd.png')]);
    expect(diff.code).toBe(2);
    expect(diff.stderr).toMatch(/--diff does not apply to --from-noise/);
    const unknown = await cli(['fool', '--from-noise', '--target', 'no such class xyz']);
    expect(unknown.code).toBe(2);
  });
});

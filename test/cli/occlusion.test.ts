import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { photos } from '../helpers/data.js';

describe('squeezelens saliency --method occlusion', () => {
  it('writes the map and a JSON summary with the patch grid; refuses a bad baseline', async () => {
    const p = photos()[6]; // tench, p 0.74
    const out = join(mkdtempSync(join(tmpdir(), 'squeezelens-occlusion-')), 'map.png');
    const args = ['saliency', p.path, '--method', 'occlusion', '--patch', '32', '--stride', '32'];
    const { code, stdout } = await cli([...args, '--baseline', 'blur', '--out', out, '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      method: 'occlusion',
      class: { index: p.top1 },
      occlusion: { patch: 32, stride: 32, baseline: 'blur', patches: 49 },
      outputs: { map: out },
    });
    expect(summary.stats.max).toBeGreaterThan(summary.stats.min);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([224, 224]);
    const bad = await cli([...args, '--baseline', 'white']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--baseline must be one of grey, black, blur for occlusion/);
    const help = await cli(['saliency', '--help']);
    expect(help.stdout).toMatch(/--patch N +occlusion: .*\(default 16\)/);
    expect(help.stdout).toMatch(/--stride N +occlusion: .*\(default 8\)/);
  });
});

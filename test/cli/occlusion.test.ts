/** `squeezelens saliency --method occlusion`, run as a user would, in a child process. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/engine/model-data-node.js';
import { photos } from '../helpers/data.js';

const run = promisify(execFile);
const BIN = join(projectRoot(), 'bin', 'squeezelens.mjs');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: projectRoot() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

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

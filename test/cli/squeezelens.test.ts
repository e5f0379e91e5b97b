/** The command line, run as a user would: `squeezelens classify …` in a child process. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

describe('squeezelens classify', () => {
  it('prints one JSON line per file, and a per-file error without stopping the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'squeezelens-cli-'));
    const html = join(dir, 'page.jpg');
    writeFileSync(html, '<!doctype html><title>404</title>');
    const [a, b] = [photos()[3], photos()[8]];
    const { code, stdout, stderr } = await cli(['classify', '--json', a.path, html, join(dir, 'missing.png'), b.path]);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
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
    const { code, stdout } = await cli(['classify', '--backend', 'cpu', '--preprocess', 'fit', '--weights', 'float16', p.path]);
    expect(code).toBe(0);
    expect(stdout).toContain('[cpu,');
    expect(stdout).toMatch(new RegExp(`1\\.\\s+\\d+\\.\\d%\\s+.*\\(${p.label}\\)`));
    expect(stdout.trim().split('\n')).toHaveLength(6);
  });

  it('rejects bad usage with exit status 2 and a specific message', async () => {
    expect(await cli(['classify', '--backend', 'gpu', 'x.jpg'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--backend must be wasm or cpu, got 'gpu'/) });
    expect(await cli(['frobnicate', 'x.jpg'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command 'frobnicate'/) });
    expect(await cli(['classify'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/at least one image/) });
    expect((await cli(['--help'])).stdout).toMatch(/Usage: squeezelens classify/);
  });
});

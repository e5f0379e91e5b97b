/**
 * Batch classification (issue 10): directories and globs as inputs, --jobs N engines in worker
 * threads, results in input order with each bad file reported in its place, a progress bar only
 * on a terminal.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandInputs, globToRegExp } from '../../src/cli/batch.js';
import { BIN, cli } from '../helpers/cli.js';
import { photos } from '../helpers/data.js';

const tmp = mkdtempSync(join(tmpdir(), 'squeezelens-batch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A tree to expand: nested directories, mixed case extensions, a hidden file, a text file. */
function tree(): string {
  const root = join(tmp, 'tree');
  mkdirSync(join(root, 'b', 'deep'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  for (const f of ['a.jpg', 'c.PNG', 'notes.txt', '.hidden.jpg', 'b/x.webp', 'b/deep/y.jpeg', 'b/deep/z.gif'])
    writeFileSync(join(root, f), '');
  return root;
}

describe('batch inputs', () => {
  it('matches globs as a shell would: * and ? within a name, ** across directories, [..] and {a,b}', () => {
    expect(globToRegExp('*.jpg').test('a.jpg')).toBe(true);
    expect(globToRegExp('*.jpg').test('b/a.jpg')).toBe(false);
    expect(globToRegExp('**/*.jpg').test('a.jpg')).toBe(true);
    expect(globToRegExp('**/*.jpg').test('b/c/a.jpg')).toBe(true);
    expect(globToRegExp('?.jpg').test('ab.jpg')).toBe(false);
    expect(globToRegExp('[ab].jpg').test('b.jpg')).toBe(true);
    expect(globToRegExp('[!ab].jpg').test('b.jpg')).toBe(false);
    expect(globToRegExp('*.{jpg,png}').test('x.png')).toBe(true);
    expect(globToRegExp('*.{jpg,png}').test('x.gif')).toBe(false);
    expect(globToRegExp('a+b(1).jpg').test('a+b(1).jpg')).toBe(true); // regex characters are literal
  });

  it('expands directories (image files, recursively, by name) and globs, in argument order', () => {
    const root = tree();
    const files = (args: string[]) => expandInputs(args);
    expect(files([root])).toEqual(
      ['a.jpg', 'b/deep/y.jpeg', 'b/deep/z.gif', 'b/x.webp', 'c.PNG'].map((f) => ({ file: join(root, f) })),
    );
    expect(files([join(root, '**/*.{jpeg,webp}'), join(root, 'a.jpg')])).toEqual(
      ['b/deep/y.jpeg', 'b/x.webp', 'a.jpg'].map((f) => ({ file: join(root, f) })),
    );
    // Named files are tried whatever they are (a text file then fails as "not an image", in its place).
    expect(files([join(root, 'notes.txt'), join(root, 'missing.jpg')])).toEqual([
      { file: join(root, 'notes.txt') },
      { file: join(root, 'missing.jpg') },
    ]);
    expect(files([join(root, 'empty'), join(root, '*.bmp')])).toEqual([
      { file: join(root, 'empty'), error: `${join(root, 'empty')}: no image files in this directory` },
      { file: join(root, '*.bmp'), error: `${join(root, '*.bmp')}: no files match` },
    ]);
  });
});

describe('squeezelens classify on many files', () => {
  const lines = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; top5?: { index: number }[]; error?: string; ms?: number });

  it('--jobs 2 gives what --jobs 1 gives, in input order, a bad file in its place', async () => {
    const dir = join(tmp, 'photos');
    mkdirSync(dir);
    const some = photos().slice(0, 5);
    for (const p of some) symlinkSync(p.path, join(dir, p.file));
    const bad = join(tmp, 'bad.jpg');
    writeFileSync(bad, 'not a JPEG');
    // directory, a bad file, a glob (the last photo again): 7 results
    const args = ['classify', '--json', dir, bad, join(dir, `${some[4].file.slice(0, 8)}*`)];
    const two = await cli([...args, '--jobs', '2']);
    const one = await cli([...args, '--jobs', '1']);
    expect(two.code).toBe(1);
    expect(one.code).toBe(1);
    const expected = [...some.map((p) => join(dir, p.file)), bad, join(dir, some[4].file)];
    expect(lines(two.stdout).map((l) => l.file)).toEqual(expected);
    expect(lines(two.stdout)[5].error).toBe(
      `${bad}: not an image (unrecognised format; JPEG, PNG, WebP, GIF, AVIF and BMP are supported)`,
    );
    const answers = (stdout: string) => lines(stdout).map(({ ms: _ms, ...rest }) => rest);
    expect(answers(two.stdout)).toEqual(answers(one.stdout));
    expect(
      lines(two.stdout)
        .filter((l) => l.top5)
        .map((l) => l.top5![0].index),
    ).toEqual([...some, some[4]].map((p) => p.top1));
    // Not a terminal: no progress bar, only the error line.
    expect(two.stderr).toBe(`squeezelens: error: ${lines(two.stdout)[5].error}\n`);
  });

  it('draws a progress bar on a terminal, on stderr only', () => {
    // util-linux `script` gives the command a pseudo-terminal; stdout goes to a file.
    expect(existsSync('/usr/bin/script')).toBe(true);
    const out = join(tmp, 'tty.json');
    const some = photos()
      .slice(0, 3)
      .map((p) => p.path);
    const quoted = [process.execPath, BIN, 'classify', '--json', '--jobs', '2', ...some].map((a) => `'${a}'`).join(' ');
    const terminal = execFileSync('/usr/bin/script', ['-qec', `${quoted} > '${out}'`, '/dev/null'], {
      encoding: 'utf8',
    });
    expect(lines(readFileSync(out, 'utf8')).map((l) => l.file)).toEqual(some);
    // Each redraw: a bar of 24 as wide as the share done, the count and the rate. (Two workers can
    // finish in the same tick, so not every count is drawn: CI once went 0/3 → 2/3 → 3/3.)
    const frames = [...terminal.matchAll(/\[(#*)(\.*)\] (\d)\/3 \d+\.\d images\/s/g)];
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const [, done, left, count] of frames) {
      expect(done.length + left.length).toBe(24);
      expect(done.length).toBe((24 * Number(count)) / 3);
    }
    const counts = frames.map((f) => Number(f[3]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(3);
    expect(terminal.endsWith('\r\x1b[K')).toBe(true); // cleared at the end
  });

  it('refuses a bad --jobs, and fails once, before any work, when the model data is missing', async () => {
    expect(await cli(['classify', '--jobs', '0', photos()[0].path])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--jobs must be an integer ≥ 1/),
    });
    const missing = join(tmp, 'no-models');
    const { code, stdout, stderr } = await cli([
      'classify',
      '--json',
      '--jobs',
      '2',
      '--models',
      missing,
      photos()[0].path,
      photos()[1].path,
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^squeezelens: error: \\S+: missing from the model directory ${missing}\\n$`));
  });

  it('saliency on a directory: one summary and one PNG per image, {name} in the output paths, in order', async () => {
    const dir = join(tmp, 'saliency-in');
    const out = join(tmp, 'saliency-out');
    mkdirSync(dir);
    mkdirSync(out);
    const some = [photos()[2], photos()[9]]; // Siamese cat, French horn
    for (const p of some) symlinkSync(p.path, join(dir, p.file));
    const bad = join(tmp, 'saliency-bad.png');
    writeFileSync(bad, '');
    const args = ['saliency', '--json', '--method', 'gradcam', dir, bad, '--jobs', '2'];
    const { code, stdout } = await cli([...args, '--out', join(out, '{name}.map.png')]);
    expect(code).toBe(1);
    const results = lines(stdout) as unknown as {
      file: string;
      class?: { index: number };
      outputs?: { map: string };
    }[];
    expect(results.map((r) => r.file)).toEqual([...some.map((p) => join(dir, p.file)), bad]);
    expect(results.slice(0, 2).map((r) => r.class!.index)).toEqual(some.map((p) => p.top1));
    for (const [i, p] of some.entries()) {
      const map = join(out, `${p.file.replace(/\.[^.]+$/, '')}.map.png`);
      expect(results[i].outputs).toEqual({ map });
      expect(existsSync(map)).toBe(true);
    }
    expect(results[2]).toEqual({ file: bad, error: `${bad}: empty file` });
    // Several images and a path without {name}, or two images with the same name: usage errors, nothing run.
    expect(await cli([...args, '--out', join(out, 'map.png')])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--out must contain \{name\} with several images/),
    });
    const twin = join(tmp, 'twin');
    mkdirSync(twin);
    symlinkSync(some[0].path, join(twin, some[0].file));
    expect(await cli([...args, twin, '--overlay', join(out, '{name}.png')])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--overlay: .* and .* would both write .*Siamese_cat\.png/),
    });
  });
});

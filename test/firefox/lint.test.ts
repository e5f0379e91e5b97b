/**
 * `web-ext lint` (Mozilla's addons-linter, what AMO runs on upload) on the Firefox package,
 * through `npm run lint:firefox`: no errors, and no warning but the one the README justifies
 * (Preact's `dangerouslySetInnerHTML` support in popup.js, which SqueezeLens's own code never uses).
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../esbuild.config.js';

interface LintMessage {
  code: string;
  file?: string;
  message: string;
}

async function sourcesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourcesUnder(path)));
    else if (/\.tsx?$/.test(entry.name)) out.push(path);
  }
  return out;
}

describe('web-ext lint on dist/firefox', () => {
  it('finds no errors, and only the justified warning', async () => {
    const r = spawnSync('npm', ['run', '-s', 'lint:firefox', '--', '--output', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    const json = r.stdout.slice(r.stdout.indexOf('{'));
    const report = JSON.parse(json) as { errors: LintMessage[]; warnings: LintMessage[]; notices: LintMessage[] };
    const brief = (ms: LintMessage[]) => ms.map((m) => `${m.code} ${m.file ?? ''}: ${m.message}`);
    expect(brief(report.errors)).toEqual([]);
    expect(brief(report.notices)).toEqual([]);
    expect(brief(report.warnings)).toEqual(['UNSAFE_VAR_ASSIGNMENT popup.js: Unsafe assignment to innerHTML']);
    expect(r.status).toBe(0);
  }, 180_000);

  it("the innerHTML warning is Preact's, not ours: the popup and options sources never set HTML", async () => {
    const files = [
      ...(await sourcesUnder(join(ROOT, 'src', 'popup'))),
      ...(await sourcesUnder(join(ROOT, 'src', 'options'))),
    ];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toMatch(/innerHTML|outerHTML|dangerouslySetInnerHTML|insertAdjacentHTML/);
    }
  });
});

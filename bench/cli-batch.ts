/**
 * `npm run bench:cli [-- N [jobs…]]`: photos per second of `squeezelens classify --json DIR` on a
 * directory of N photos (default 1000: the 12 test photos linked over and over, so the mix of sizes
 * is theirs), at each --jobs (default 1 and 2), through the built bundle (`npm run build:cli`
 * first), as a user runs it: wall time of the whole command, start-up and model loading included.
 * Each run's output is checked: N lines, in input order, each the photo's expected top-1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliBundlePath } from '../scripts/build-cli.js';
import { photos } from '../test/helpers/data.js';

const run = promisify(execFile);
const [countArg, ...jobsArgs] = process.argv.slice(2);
const count = Number(countArg ?? 1000);
const jobsList = jobsArgs.length ? jobsArgs.map(Number) : [1, 2];

const dir = mkdtempSync(join(tmpdir(), 'squeezelens-batch-'));
const all = photos();
const expected: { file: string; top1: number }[] = [];
for (let i = 0; i < count; i++) {
  const p = all[i % all.length];
  const file = join(dir, `${String(i).padStart(5, '0')}${p.file.slice(p.file.lastIndexOf('.'))}`);
  symlinkSync(p.path, file);
  expected.push({ file, top1: p.top1 });
}
const bundle = await cliBundlePath();
console.log(`${count} photos, ${cpus().length} cores (load average ${loadavg()[0].toFixed(1)}), ${bundle}`);
try {
  for (const jobs of jobsList) {
    const t0 = performance.now();
    const { stdout } = await run(process.execPath, [bundle, 'classify', '--json', '--jobs', String(jobs), dir], {
      maxBuffer: 1 << 30,
    });
    const seconds = (performance.now() - t0) / 1000;
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; top5: { index: number }[] });
    const wrong = lines.filter((l, i) => l.file !== expected[i]?.file || l.top5[0].index !== expected[i].top1);
    if (lines.length !== count || wrong.length)
      throw new Error(`--jobs ${jobs}: ${lines.length} lines, ${wrong.length} out of order or wrong`);
    console.log(
      `--jobs ${jobs}: ${seconds.toFixed(1)} s, ${(count / seconds).toFixed(1)} photos/s ` +
        `(load average now ${loadavg()[0].toFixed(1)})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

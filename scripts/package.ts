/**
 * `npm run package`: the store packages from one build —
 *   dist/squeezelens-chrome-<version>.zip   (dist/chrome: Chrome Web Store, or load unpacked)
 *   dist/squeezelens-firefox-<version>.zip  (dist/firefox: addons.mozilla.org)
 * The version is package.json's (the build writes it into both manifests). The zips are made by
 * web-ext (already a dev dependency for `web-ext lint`): files at the archive's root, stable order.
 * Prints the two paths and their sizes.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, DIST, DIST_FIREFOX, packageVersion, ROOT } from '../esbuild.config.js';

const run = promisify(execFile);

export async function packageExtension(log: (m: string) => void = () => {}): Promise<string[]> {
  await build({ log });
  const version = await packageVersion();
  const out: string[] = [];
  for (const [browser, dir] of [
    ['chrome', DIST],
    ['firefox', DIST_FIREFOX],
  ] as const) {
    const filename = `squeezelens-${browser}-${version}.zip`;
    await run(
      join(ROOT, 'node_modules', '.bin', 'web-ext'),
      ['build', '--source-dir', dir, '--artifacts-dir', join(ROOT, 'dist'), '--filename', filename, '--overwrite-dest'],
      { cwd: ROOT },
    );
    const path = join(ROOT, 'dist', filename);
    log(`${path} (${((await stat(path)).size / 1e6).toFixed(2)} MB)`);
    out.push(path);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await packageExtension((m) => console.log(m));

/**
 * `npm run lint:firefox`: `web-ext lint` on the Firefox package (dist/firefox, built first when
 * stale). Exits non-zero on any error; the one warning left is justified in the README ("Firefox",
 * web-ext lint). Extra arguments go to web-ext (e.g. `-- --output json`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST_FIREFOX, ensureBuilt, ROOT } from '../esbuild.config.js';

await ensureBuilt({ log: (m) => console.error(m) });
const webExt = join(ROOT, 'node_modules', 'web-ext', 'bin', 'web-ext.js');
const r = spawnSync(process.execPath, [webExt, 'lint', '--source-dir', DIST_FIREFOX, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, NO_UPDATE_NOTIFIER: '1' },
});
process.exit(r.status ?? 1);

/**
 * The process entry of the `squeezelens` command: what both launchers run — bin/squeezelens.mjs
 * (a checkout: the TypeScript sources through tsx) and the bundle scripts/build-cli.ts makes from
 * this file (the installed package: plain Node, no tsx, no wabt).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../engine/model-data-node.js';
import { isBatchWorker, runWorker, setWorkerEntry } from './batch.js';
import { main } from './main.js';

/**
 * In a checkout, `npx squeezelens` runs the bundle (package.json's `bin`), which does not follow
 * edits to src/ the way bin/squeezelens.mjs does: say so rather than silently run old code. The
 * installed package has no src/, so there this costs one existsSync.
 */
function warnIfStaleBundle(): void {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.mjs')) return; // this file itself, run through tsx
  const root = projectRoot();
  const src = join(root, 'src');
  if (!existsSync(src)) return;
  const built = statSync(self).mtimeMs;
  const newer = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .find((path) => statSync(path).mtimeMs > built);
  if (newer) {
    process.stderr.write(
      `squeezelens: warning: ${relative(root, newer)} is newer than the bundle ${relative(root, self)}: ` +
        "run 'npm run build:cli', or 'node bin/squeezelens.mjs' to run the sources\n",
    );
  }
}

if (isBatchWorker()) {
  // A batch worker thread (src/cli/batch.ts) started from this same entry script.
  await runWorker();
} else {
  try {
    warnIfStaleBundle();
    // Workers start from the script that started this process: bin/squeezelens.mjs in a checkout
    // (which registers tsx in the worker too), the bundle when installed.
    setWorkerEntry(process.argv[1]);
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`squeezelens: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

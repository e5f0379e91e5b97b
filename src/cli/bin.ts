/**
 * The process entry of the `squeezelens` command: what both launchers run — bin/squeezelens.mjs
 * (a checkout: the TypeScript sources through tsx) and the bundle scripts/build-cli.ts makes from
 * this file (the installed package: plain Node, no tsx, no wabt).
 */
import { main } from './main.js';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`squeezelens: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

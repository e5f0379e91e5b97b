#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so the CLI is always the code in src/.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`squeezelens: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

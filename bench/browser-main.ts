/**
 * The browser benchmark on its own: `npx tsx bench/browser-main.ts [--runs 20] [--webgpu-runs 3] [--cold-starts 5]`.
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import { parseArgs } from 'node:util';
import { benchBrowser } from './browser.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'webgpu-runs': { type: 'string', default: '3' },
    'cold-starts': { type: 'string', default: '5' },
  },
});
const result = await benchBrowser({
  runs: Number(values.runs),
  webgpuRuns: Number(values['webgpu-runs']),
  coldStarts: Number(values['cold-starts']),
});
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

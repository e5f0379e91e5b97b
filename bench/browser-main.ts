/**
 * The browser benchmark on its own: `npx tsx bench/browser-main.ts [--runs 20] [--webgpu-runs 3] [--cold-starts 5]`;
 * `--latency-only [--warm 56] [--cold 10] [--saliency 20]`: just the click → answer measurements.
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import { parseArgs } from 'node:util';
import { benchBrowser } from './browser.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'webgpu-runs': { type: 'string', default: '3' },
    'cold-starts': { type: 'string', default: '5' },
    'latency-only': { type: 'boolean', default: false },
    'memory-only': { type: 'boolean', default: false },
    'memory-cases': { type: 'string', default: '' },
    warm: { type: 'string', default: '56' },
    cold: { type: 'string', default: '10' },
    saliency: { type: 'string', default: '20' },
  },
});
const result = await benchBrowser({
  runs: Number(values.runs),
  webgpuRuns: Number(values['webgpu-runs']),
  coldStarts: Number(values['cold-starts']),
  only: values['latency-only'] ? 'latency' : values['memory-only'] ? 'memory' : undefined,
  memoryCases: values['memory-cases'] ? values['memory-cases'].split(',') : undefined,
  latency: { warm: Number(values.warm), cold: Number(values.cold), saliency: Number(values.saliency) },
});
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

/**
 * The browser benchmark on its own: `npx tsx bench/browser-main.ts [--runs 20] [--webgpu-runs 3] [--cold-starts 5]`;
 * `--latency-only [--warm 56] [--cold 10] [--saliency 20]`: just the click → answer measurements;
 * `--features-only [--feature-steps 0.25]`: just issue 9's four timed methods in the worker;
 * `--memory-only [--memory-cases photo,png-225mp]`: just the peak memory of clicks on huge images.
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
    'features-only': { type: 'boolean', default: false },
    'feature-steps': { type: 'string', default: '1' },
    warm: { type: 'string', default: '56' },
    cold: { type: 'string', default: '10' },
    saliency: { type: 'string', default: '20' },
  },
});
const result = await benchBrowser({
  runs: Number(values.runs),
  webgpuRuns: Number(values['webgpu-runs']),
  coldStarts: Number(values['cold-starts']),
  only: values['latency-only']
    ? 'latency'
    : values['memory-only']
      ? 'memory'
      : values['features-only']
        ? 'features'
        : undefined,
  memoryCases: values['memory-cases'] ? values['memory-cases'].split(',') : undefined,
  featureSteps: Number(values['feature-steps']),
  latency: { warm: Number(values.warm), cold: Number(values.cold), saliency: Number(values.saliency) },
});
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

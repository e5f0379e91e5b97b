/**
 * `npm start`: builds the extension and opens Chromium with it loaded on the local demo page.
 *  - With a display (DISPLAY set) and without --headless: a real window; close it to stop.
 *  - Without a display: the same, headless. It classifies every demo photo through the
 *    extension's service worker (the worker fetches, decodes and classifies the image itself),
 *    writes results.json and a screenshot of the page with the answers into out/demo-<time>/,
 *    and prints where.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '../esbuild.config.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { callHook, launchExtension } from '../test/helpers/browser.js';
import { startDemoServer } from './demo-server.js';

const headless = process.argv.includes('--headless') || !process.env.DISPLAY;
await build({ log: (m) => console.log(m) });
const demo = await startDemoServer();
const ext = await launchExtension({ headless });
const page = await ext.context.newPage();
await page.goto(demo.url);
console.log(`demo page: ${demo.url} (extension ${ext.extensionId}, Chromium ${ext.browserVersion})`);

if (!headless) {
  console.log('Chromium is open: right-click a photo. Close the window to stop.');
  await new Promise<void>((resolve) => ext.context.on('close', () => resolve()));
} else {
  const out = join(projectRoot(), 'out', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(out, { recursive: true });
  const results = [];
  for (const photo of demo.photos) {
    const r = await callHook(ext.sw, 'classifyUrl', { url: photo.url });
    const top1 = r.top[0];
    const correct = top1.index === photo.label;
    results.push({ file: photo.file, expected: photo.label, top5: r.top, correct, backend: r.backend.backend, ms: Number(r.ms.toFixed(1)) });
    console.log(`${correct ? '✓' : '✗'} ${photo.file}: ${top1.label} ${(top1.prob * 100).toFixed(1)}%  [${r.backend.backend}, ${r.ms.toFixed(0)} ms]`);
    // Show the answer under the photo (textContent: labels are data, never markup).
    await page.evaluate(
      ({ file, text }) => {
        const fig = [...document.querySelectorAll('figure')].find((f) => f.querySelector('figcaption')?.textContent === file);
        const span = document.createElement('span');
        span.className = 'result';
        span.textContent = text;
        fig?.querySelector('figcaption')?.prepend(span);
      },
      { file: photo.file, text: `${top1.label} — ${(top1.prob * 100).toFixed(1)}%` },
    );
  }
  await writeFile(join(out, 'results.json'), JSON.stringify({ backend: results[0]?.backend, results }, null, 2));
  await page.screenshot({ path: join(out, 'demo-page.png'), fullPage: true });
  console.log(`${results.filter((r) => r.correct).length}/${results.length} top-1 correct. Results and screenshot: ${out}`);
  await ext.close();
}
await demo.close();

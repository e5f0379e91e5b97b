/**
 * `npm start`: builds the extension and opens Chromium with it loaded on the local demo page.
 *  - With a display (DISPLAY set) and without --headless: a real window; close it to stop.
 *  - Without a display: the same, headless, through the real product path: for every demo photo
 *    it right-clicks the photo, runs the "What is this?" context-menu item (the real listener:
 *    content-script capture, worker fetch without CORS, decode, classification), reads the answer
 *    from the popup and screenshots it; then writes results.json, the popup screenshots and a
 *    screenshot of the page with the answers into out/demo-<time>/, and prints where.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '../esbuild.config.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { launchExtension } from '../test/helpers/browser.js';
import { menuAction, openPopup, waitForJob } from '../test/helpers/product.js';
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
  const popup = await openPopup(ext.context, ext.extensionId);
  await page.bringToFront();
  for (const photo of demo.photos) {
    const jobId = await menuAction(ext.sw, page, `img[alt="${photo.file}"]`);
    const view = await waitForJob(popup, jobId);
    const job = await ext.sw.evaluate(
      async (id) => ((await chrome.storage.session.get('jobs')).jobs as { id: string; result?: { top: { index: number; label: string; prob: number }[]; backendText: string; inferenceMs: number; totalMs: number } }[]).find((j) => j.id === id),
      jobId,
    );
    await popup.screenshot({ path: join(out, `popup-${photo.file.replace(/\.[^.]+$/, '')}.png`), fullPage: true });
    if (!job?.result) {
      results.push({ file: photo.file, expected: photo.label, error: view.error });
      console.log(`✗ ${photo.file}: ${view.error}`);
      continue;
    }
    const top1 = job.result.top[0];
    const correct = top1.index === photo.label;
    results.push({ file: photo.file, expected: photo.label, top5: job.result.top, correct, backend: job.result.backendText, ms: Number(job.result.inferenceMs.toFixed(1)), clickToResultMs: job.result.totalMs });
    console.log(`${correct ? '✓' : '✗'} ${photo.file}: ${top1.label} ${(top1.prob * 100).toFixed(1)}%  [${job.result.backendText}, ${job.result.inferenceMs.toFixed(0)} ms network, ${job.result.totalMs} ms click → result]`);
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
  console.log(`${results.filter((r) => r.correct).length}/${results.length} top-1 correct (the golden retriever is borderline in Chromium, see README). Results, popup and page screenshots: ${out}`);
  await ext.close();
}
await demo.close();

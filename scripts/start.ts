/**
 * `npm start`: builds the extension and opens Chromium with it loaded on the local demo page.
 *  - With a display (DISPLAY set) and without --headless: a real window; close it to stop.
 *  - Without a display: the same, headless, through the real product path: for every demo photo
 *    it right-clicks the photo, runs the "What is this?" context-menu item (the real listener:
 *    content-script capture, worker fetch without CORS, decode, classification), reads the answer
 *    from the popup and screenshots it; then makes one saliency map ("Show saliency map", drawn on
 *    the page with "Show on page") and one fooling image ("Make a fooling image…" → gorilla,
 *    "Replace on page", then "What is this?" on the replaced image); writes results.json, the
 *    popup screenshots, saliency.png, fooled.png and screenshots of the page into
 *    out/demo-<time>/, and prints where.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from '../esbuild.config.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { launchExtension } from '../test/helpers/browser.js';
import { menuAction, openPopup, waitForJob } from '../test/helpers/product.js';
import { startDemoServer } from './demo-server.js';

const headless = process.argv.includes('--headless') || !process.env.DISPLAY;
// The shipped build (no test hook): the demo drives it only through the browser's own APIs.
const { dir } = await build({ log: (m) => console.log(m) });
const demo = await startDemoServer();
const ext = await launchExtension({ headless, dir });
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
    const result = await ext.sw.evaluate(
      async (id) =>
        (
          (await chrome.storage.session.get('jobs')).jobs as {
            id: string;
            results: {
              classify?: {
                top: { index: number; label: string; prob: number }[];
                backendText: string;
                inferenceMs: number;
                totalMs: number;
              };
            };
          }[]
        ).find((j) => j.id === id)?.results.classify,
      jobId,
    );
    await popup.screenshot({ path: join(out, `popup-${photo.file.replace(/\.[^.]+$/, '')}.png`), fullPage: true });
    if (!result) {
      results.push({ file: photo.file, expected: photo.label, error: view.error });
      console.log(`✗ ${photo.file}: ${view.error}`);
      continue;
    }
    const top1 = result.top[0];
    const correct = top1.index === photo.label;
    results.push({
      file: photo.file,
      expected: photo.label,
      top5: result.top,
      correct,
      backend: result.backendText,
      ms: Number(result.inferenceMs.toFixed(1)),
      clickToResultMs: result.totalMs,
    });
    console.log(
      `${correct ? '✓' : '✗'} ${photo.file}: ${top1.label} ${(top1.prob * 100).toFixed(1)}%  ` +
        `[${result.backendText}, ${result.inferenceMs.toFixed(0)} ms network, ${result.totalMs} ms click → result]`,
    );
    // Show the answer under the photo (textContent: labels are data, never markup).
    await page.evaluate(
      ({ file, text }) => {
        const fig = [...document.querySelectorAll('figure')].find(
          (f) => f.querySelector('figcaption')?.textContent === file,
        );
        const span = document.createElement('span');
        span.className = 'result';
        span.textContent = text;
        fig?.querySelector('figcaption')?.prepend(span);
      },
      { file: photo.file, text: `${top1.label} — ${(top1.prob * 100).toFixed(1)}%` },
    );
  }
  await page.screenshot({ path: join(out, 'demo-page.png'), fullPage: true });
  console.log(
    `${results.filter((r) => r.correct).length}/${results.length} top-1 correct ` +
      '(the golden retriever is borderline: muzzle 21.8 % vs 21.5 %, as in the reference network; see README).',
  );

  // One saliency map, shown in the popup and over the photo on the page.
  const first = `img[alt="${demo.photos[0].file}"]`;
  const saliencyJob = await menuAction(ext.sw, page, first, 'saliency');
  await waitForJob(popup, saliencyJob);
  await popup.waitForSelector('[data-testid="saliency-canvas"][data-ready="true"]', { timeout: 60_000 });
  const saliencyPng = await popup.$eval('[data-testid="saliency-canvas"]', (c) =>
    (c as HTMLCanvasElement).toDataURL('image/png'),
  );
  await writeFile(join(out, 'saliency.png'), Buffer.from(saliencyPng.slice(saliencyPng.indexOf(',') + 1), 'base64'));
  const saliencyInfo = await popup.evaluate(() => ({
    method: document.querySelector('[data-testid="saliency-method"]')?.textContent,
    label: document.querySelector('[data-testid="saliency-class"]')?.textContent,
  }));
  await popup.click('[data-testid="saliency-show-on-page"]');
  await page.waitForSelector('[data-squeezelens-overlay]', { state: 'attached', timeout: 10_000 });
  await popup.screenshot({ path: join(out, 'popup-saliency.png'), fullPage: true });
  await page.locator(first).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, 'page-saliency-overlay.png') });
  await popup.click('[data-testid="saliency-remove-from-page"]');
  console.log(
    `saliency: ${saliencyInfo.method} for "${saliencyInfo.label}" ` + `on ${demo.photos[0].file} → saliency.png`,
  );

  // One fooling image: target "gorilla", the verified PNG saved, put on the page and classified again there.
  const foolJob = await menuAction(ext.sw, page, first, 'fool');
  await waitForJob(popup, foolJob);
  await popup.fill('[data-testid="fool-target-search"]', 'gorilla');
  await popup.click('[data-testid="fool-target-results"] button:text-is("gorilla")');
  await popup.waitForFunction(
    () => document.querySelector('[data-testid="fool-target"]')?.textContent === 'gorilla',
    null,
    { polling: 50 },
  );
  await popup.click('[data-testid="fool-start"]');
  await popup.waitForSelector('[data-testid="fool-result"], [data-testid="fool-run-error"]', { timeout: 120_000 });
  const foolText = await popup.textContent('[data-testid="fool-result"], [data-testid="fool-run-error"]');
  const fool = await ext.sw.evaluate(
    async (id) =>
      ((await chrome.storage.session.get('jobs')).jobs as { id: string; results: { fool?: unknown } }[]).find(
        (j) => j.id === id,
      )?.results.fool,
    foolJob,
  );
  const fooledSrc = await popup
    .$eval('[data-testid="fooled-image"]', (img) => (img as HTMLImageElement).src)
    .catch(() => null);
  await popup.waitForSelector('[data-testid="fool-difference-10x"][data-ready="true"]').catch(() => {});
  await popup.screenshot({ path: join(out, 'popup-fool.png'), fullPage: true });
  let onPage: { label: string | null; prob: string | null } | null = null;
  if (fooledSrc) {
    await writeFile(join(out, 'fooled.png'), Buffer.from(fooledSrc.slice(fooledSrc.indexOf(',') + 1), 'base64'));
    await popup.click('[data-testid="fool-replace"]');
    await page.waitForFunction(
      (sel) => (document.querySelector(sel) as HTMLImageElement).currentSrc.startsWith('data:'),
      first,
      { polling: 50 },
    );
    const again = await menuAction(ext.sw, page, first, 'classify');
    const view = await waitForJob(popup, again);
    onPage = { label: view.top1Label, prob: view.top1Prob };
    await page.evaluate(
      ({ file, text }) => {
        const caption = [...document.querySelectorAll('figcaption')].find((c) => c.textContent?.endsWith(file));
        const span = document.createElement('span');
        span.className = 'result fooled';
        span.textContent = text;
        caption?.prepend(span);
      },
      { file: demo.photos[0].file, text: `replaced by the fooling image: ${onPage.label} — ${onPage.prob}` },
    );
    await page.locator(first).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(out, 'page-fooled.png') });
    await popup.screenshot({ path: join(out, 'popup-fooled-reclassified.png'), fullPage: true });
  }
  console.log(
    `fooling image: ${foolText}` +
      `${onPage ? ` Replaced on the page and classified again: ${onPage.label} ${onPage.prob}.` : ''} → fooled.png`,
  );

  await writeFile(
    join(out, 'results.json'),
    JSON.stringify(
      {
        backend: results[0]?.backend,
        results,
        saliency: { file: demo.photos[0].file, ...saliencyInfo },
        fool: { file: demo.photos[0].file, result: foolText, info: fool, classifiedOnPage: onPage },
      },
      null,
      2,
    ),
  );
  console.log(`Results, popup and page screenshots: ${out}`);
  await ext.close();
}
await demo.close();

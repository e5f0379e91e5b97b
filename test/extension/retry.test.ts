/**
 * A stopped service worker loses no classification or saliency job (issue 12 §3): the next worker
 * runs it again, once, and the popup says so; a second interruption, and other kinds of job, are
 * reported as interrupted. The worker is stopped through CDP (as Chrome stops an idle one) while
 * the job downloads an image the fixture server holds back (/slow.jpg, a monarch when released).
 */
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LaunchedExtension,
  launchExtension,
  restartServiceWorker,
  stopServiceWorkers,
  waitForServiceWorker,
} from '../helpers/browser.js';
import { type FixtureServers, startFixtureServers } from '../helpers/fixture-server.js';
import { menuAction, openFixturePage, openPopup, screenshot, waitForJob } from '../helpers/product.js';

let ext: LaunchedExtension;
let sw: Worker;
let servers: FixtureServers;
let page: Page;
let popup: Page;

beforeAll(async () => {
  servers = await startFixtureServers();
  ext = await launchExtension({ webgpu: false });
  sw = ext.sw;
  popup = await openPopup(ext.context, ext.extensionId);
  page = await openFixturePage(ext.context, servers.page);
});

afterAll(async () => {
  await ext?.close();
  await servers?.close();
});

/** Requests for the held image `id`: the page's own, then the worker's downloads. */
const requests = (id: string) => servers.requests.filter((r) => r === `/slow.jpg?id=${id}`).length;

/**
 * Points #slow at a held address and starts `kind` on it; resolves once the worker's download has
 * reached the server (after the page's own request for the image).
 */
async function slowJob(id: string, kind: 'classify' | 'saliency' | 'fool' = 'classify'): Promise<string> {
  await page.$eval('#slow', (img, src) => ((img as HTMLImageElement).src = src), `${servers.b}/slow.jpg?id=${id}`);
  const jobId = await menuAction(sw, page, '#slow', kind);
  await waitForJob(popup, jobId, ['fetching']);
  for (let i = 0; requests(id) < 2; i++) {
    if (i > 200) throw new Error(`the worker did not request ${id}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return jobId;
}

/** The worker's downloads of the held image `id` (the page requested it once). */
const downloads = (id: string) => requests(id) - 1;

/**
 * Waits until the worker has downloaded the held image `id` `n` times. The popup shows "fetching"
 * before the new worker's request reaches the server, and a release() before that request arrives
 * answers nothing (the request is then held until the download times out): CI once checked and
 * released too early.
 */
async function waitForDownloads(id: string, n: number) {
  for (let i = 0; downloads(id) < n; i++) {
    if (i > 400) throw new Error(`the worker downloaded ${id} ${downloads(id)} times, not ${n}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the popup shows the job again under way with the retry notice. */
async function waitForRetry(jobId: string) {
  await popup.waitForFunction(
    (id) =>
      document.getElementById('view')?.dataset.jobId === id &&
      document.querySelector('[data-testid="notice"]') !== null &&
      document.getElementById('view')?.dataset.state === 'fetching',
    jobId,
    { timeout: 30_000, polling: 50 },
  );
}

describe('a classification or saliency job whose worker is stopped runs again, once', () => {
  it('classification: the new worker downloads the image again and answers; the popup says it was retried', async () => {
    const jobId = await slowJob('retry');
    sw = await restartServiceWorker(ext.context, ext.extensionId);
    await waitForRetry(jobId);
    await waitForDownloads('retry', 2);
    servers.release('retry');
    const view = await waitForJob(popup, jobId);
    expect(view.state).toBe('done');
    expect(view.error).toBeNull();
    expect(view.top1Label).toBe('monarch');
    expect(view.notice).toBe(
      'Run again automatically: the extension’s background worker was stopped during this job (downloading the image).',
    );
    expect(downloads('retry')).toBe(2); // and no third
    await screenshot(popup, 'retried-done');
    // Nothing is left for another retry.
    const keys = await sw.evaluate(async () => Object.keys(await chrome.storage.session.get(null)));
    expect(keys.filter((k) => k.startsWith('capture:'))).toEqual([]);
  });

  it('saliency, with the popup open and nothing else waking the worker: retried, and the map is made', async () => {
    const jobId = await slowJob('retry-saliency', 'saliency');
    await stopServiceWorkers(ext.context); // the open popup notices the silence and wakes a new worker
    await waitForRetry(jobId);
    sw = await waitForServiceWorker(ext.context, ext.extensionId);
    await waitForDownloads('retry-saliency', 2);
    servers.release('retry-saliency');
    const view = await waitForJob(popup, jobId);
    expect(view.state, view.error ?? '').toBe('done');
    expect(view.top1Label).toBe('monarch');
    expect(view.notice).toMatch(/Run again automatically/);
    await popup.waitForSelector('[data-testid="saliency-canvas"][data-ready="true"]');
  });

  it('a second interruption is reported as interrupted', async () => {
    const jobId = await slowJob('twice');
    sw = await restartServiceWorker(ext.context, ext.extensionId);
    await waitForRetry(jobId);
    await waitForDownloads('twice', 2);
    sw = await restartServiceWorker(ext.context, ext.extensionId);
    const view = await waitForJob(popup, jobId, ['interrupted']);
    expect(view.errorCode).toBe('interrupted');
    expect(view.error).toMatch(/background worker was stopped while this job was running \(downloading the image\)/);
    expect(view.notice).toMatch(/Run again automatically/);
    expect(downloads('twice')).toBe(2);
    await screenshot(popup, 'retried-interrupted');
    servers.release('twice');
  });

  it('another kind of job (a fooling image) is reported as interrupted, not run again', async () => {
    const jobId = await slowJob('fool', 'fool');
    sw = await restartServiceWorker(ext.context, ext.extensionId);
    const view = await waitForJob(popup, jobId, ['interrupted']);
    expect(view.error).toMatch(/background worker was stopped while this job was running/);
    expect(view.notice).toBeNull();
    expect(downloads('fool')).toBe(1);
    servers.release('fool');
  });
});

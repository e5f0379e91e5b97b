/**
 * Firefox suspends an idle event page (pref `extensions.background.idle.timeout`, 30 s by default)
 * and everything it held in memory is lost, as Chrome does to an idle service worker. Here the
 * timeout is 4 s, so the suspensions happen within a test: the event page is replaced when idle; a
 * long computation with the popup closed is not cut (its progress writes are extension API calls,
 * which keep the page alive); a download that stays silent longer than the timeout loses its page
 * (the known limitation, README "Firefox"): a fooling job is reported as interrupted and the next
 * job works in a fresh page; a classification job is run again there, once, and answers.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callHook,
  type LaunchedFirefox,
  launchFirefox,
  menuAction,
  openFixturePage,
  openPopup,
  waitForJob,
} from '../helpers/firefox.js';
import { type FixtureServers, startFixtureServers } from '../helpers/fixture-server.js';

/** Firefox's own promise-based `browser` global, in code evaluated in extension tabs. */
declare const browser: import('webextension-polyfill').Browser;

const IDLE_MS = 4000;
let ext: LaunchedFirefox;
let servers: FixtureServers;
let page: Page;
let popup: Page;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** performance.timeOrigin of the event page (getBackgroundPage starts it when suspended). */
function eventPageOrigin(): Promise<number> {
  return ext.control.evaluate(async () => {
    const bg = (await browser.runtime.getBackgroundPage()) as unknown as Window;
    return bg.performance.timeOrigin;
  });
}

interface StoredJob {
  id: string;
  state: string;
  results: { fool?: { success: boolean; reclassified: { index: number } } };
  runs: { fool?: { state: string; error?: string } };
}

beforeAll(async () => {
  servers = await startFixtureServers();
  ext = await launchFirefox({ prefs: { 'extensions.background.idle.timeout': IDLE_MS } });
  popup = await openPopup(ext);
  page = await openFixturePage(ext, servers.page);
});

afterAll(async () => {
  await ext?.close();
  await servers?.close();
});

describe('Firefox suspending the idle event page', () => {
  it('replaces the event page after the idle timeout', async () => {
    const before = await eventPageOrigin();
    await sleep(2 * IDLE_MS + 1000);
    expect(await eventPageOrigin()).not.toBe(before);
  });

  it('a fooling attack longer than the idle timeout, with the popup closed, completes', async () => {
    const id = await menuAction(ext, page, '#same', 'fool');
    expect((await waitForJob(popup, id)).top1Label).toBe('monarch');
    await popup.type('[data-testid="fool-target-search"]', 'gorilla');
    await popup.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="fool-target-results"] button')].some(
          (b) => b.textContent === 'gorilla',
        ),
      { polling: 50, timeout: 10_000 },
    );
    await popup.evaluate(() => {
      const buttons = [...document.querySelectorAll('[data-testid="fool-target-results"] button')];
      (buttons.find((b) => b.textContent === 'gorilla') as HTMLButtonElement).click();
    });
    // Warm the gradient path in the current page first: a cold start (engine load, first gradient)
    // before the first progress write took up to 5.5 s on a loaded two-core machine — nothing next
    // to the default 30 s timeout, but more than this test's 4 s.
    await callHook(ext, 'gradient', {
      input: Buffer.from(new Float32Array(224 * 224 * 3).buffer).toString('base64'),
      classes: [0],
    });
    const origin = await eventPageOrigin();
    const t0 = Date.now();
    await popup.click('[data-testid="fool-start"]');
    // Closed once the attack runs: the popup's own messages cannot keep the page alive.
    await ext.control.waitForFunction(
      async (id) => {
        const jobs = (await browser.storage.session.get('jobs')).jobs as StoredJob[];
        return jobs.find((j) => j.id === id)?.runs.fool?.state === 'running';
      },
      { polling: 100, timeout: 10_000 },
      id,
    );
    await popup.close();
    let job: StoredJob | undefined;
    for (let i = 0; i < 240 && !job?.results.fool && job?.runs.fool?.state !== 'error'; i++) {
      await sleep(250);
      job = await ext.control.evaluate(
        async (id) => ((await browser.storage.session.get('jobs')).jobs as StoredJob[]).find((j) => j.id === id),
        id,
      );
    }
    expect(job?.runs.fool?.error).toBeUndefined();
    expect(job?.results.fool?.success).toBe(true);
    // It did outlast the timeout (6–17 s on these machines: ~46 gradient steps).
    expect(Date.now() - t0).toBeGreaterThan(IDLE_MS);
    expect(await eventPageOrigin()).toBe(origin); // in the same event page
    popup = await openPopup(ext);
  });

  it('a download silent for longer than the timeout is reported as interrupted; the next job works', async () => {
    await page.$eval('#slow', (img, src) => ((img as HTMLImageElement).src = src), `${servers.b}/slow.jpg?id=idle`);
    const id = await menuAction(ext, page, '#slow', 'fool'); // classification is run again: next test
    await waitForJob(popup, id, ['fetching']);
    // An open popup would keep the page alive (its hello after 4 s without progress is an event).
    await popup.close();
    await sleep(2 * IDLE_MS + 1000);
    // Reopened, the popup says hello: that starts a new page, which reports what the old one left.
    popup = await openPopup(ext);
    const view = await waitForJob(popup, id, ['interrupted'], 30_000);
    expect(view.error).toMatch(/background worker was stopped while this job was running \(downloading the image\)/);
    servers.release('idle');
    const again = await menuAction(ext, page, '#same');
    const after = await waitForJob(popup, again);
    expect(after.top1Label).toBe('monarch');
    expect(after.time).toMatch(/model loaded in/); // a fresh event page loaded the engine again
  });

  it('a classification whose page was suspended during the download is run again in the new page', async () => {
    // A new element: Firefox keeps an <img>'s currentSrc at its last loaded image while a new one is
    // pending (here: held), and the right-click reports currentSrc.
    await page.$eval(
      '#slow',
      (img, src) => {
        const fresh = document.createElement('img');
        fresh.id = img.id;
        fresh.alt = (img as HTMLImageElement).alt;
        fresh.src = src;
        img.replaceWith(fresh);
      },
      `${servers.b}/slow.jpg?id=rerun`,
    );
    const id = await menuAction(ext, page, '#slow');
    await waitForJob(popup, id, ['fetching']);
    await popup.close();
    // Requests for the image: the page's own, the first download, then the new page's. The new
    // page's download is silent too, so it is answered at once (in ≤ 25 ms), before that page idles
    // out in its turn. (Firefox started a new page by itself ~0.2 s after the suspension in one run,
    // which ran the job again; when it does not, the reopened popup's hello starts one.)
    const requests = () => servers.requests.filter((r) => r === '/slow.jpg?id=rerun').length;
    const downloadedAgain = async (ms: number) => {
      for (const end = Date.now() + ms; requests() < 3 && Date.now() < end; ) await sleep(25);
      return requests() >= 3;
    };
    let reopened = false;
    if (!(await downloadedAgain(2 * IDLE_MS + 1000))) {
      popup = await openPopup(ext);
      reopened = true;
      expect(await downloadedAgain(10_000)).toBe(true);
    }
    servers.release('rerun');
    if (!reopened) popup = await openPopup(ext);
    const view = await waitForJob(popup, id);
    expect(view.state).toBe('done');
    expect(view.top1Label).toBe('monarch');
    expect(view.notice).toMatch(/Run again automatically: .* \(downloading the image\)/);
    expect(requests()).toBe(3);
  });
});

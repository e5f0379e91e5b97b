/**
 * Soak: many consecutive clicks in one browser session, the popup opened anew after each, as a user
 * clicking through a page of photos would. Every job must end (no popup left on "Running
 * SqueezeNet…": the stale-snapshot race once stuck 1 popup in 75–220) with the right answer.
 *
 * SOAK_CLICKS sets the number of clicks: CI runs 24 (two rounds of the 11 photos and a bit);
 * `SOAK_CLICKS=150 npx vitest run test/soak` is the full run. Per-click times and the outcome go
 * to test-results/soak.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../scripts/demo-server.js';
import { type LaunchedExtension, launchExtension } from '../helpers/browser.js';
import { menuAction, openPopup, SCREENSHOTS, screenshot, waitForJob } from '../helpers/product.js';

const CLICKS = Number(process.env.SOAK_CLICKS ?? 24);
/** The borderline golden retriever (21.8 % muzzle vs 21.5 %) is left out: every other photo is top-1. */
const BORDERLINE = /golden_retriever/;

let ext: LaunchedExtension;
let demo: DemoServer;
let page: Page;

beforeAll(async () => {
  ext = await launchExtension();
  demo = await startDemoServer();
  page = await ext.context.newPage();
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(demo.url);
  await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
});

afterAll(async () => {
  await ext?.close();
  await demo?.close();
});

describe('soak', () => {
  it(
    `${CLICKS} clicks, the popup opened after each: every job ends, every answer right`,
    async () => {
      const photos = demo.photos.filter((p) => !BORDERLINE.test(p.file));
      const clicks: { file: string; state: string; top1: number | null; expected: number; ms: number }[] = [];
      for (let i = 0; i < CLICKS; i++) {
        const photo = photos[i % photos.length];
        const t0 = Date.now();
        await page.bringToFront();
        const jobId = await menuAction(ext.sw, page, `img[alt="${photo.file}"]`);
        const popup = await openPopup(ext.context, ext.extensionId);
        let state = 'hung';
        try {
          state = (await waitForJob(popup, jobId, ['done', 'error', 'cancelled', 'interrupted'], 30_000)).state;
        } catch {
          await screenshot(popup, `soak-hung-${i}`);
        }
        const top1 = await ext.sw.evaluate(async (id) => {
          const jobs = (await chrome.storage.session.get('jobs')).jobs as {
            id: string;
            results: { classify?: { top: { index: number }[] } };
          }[];
          return jobs.find((j) => j.id === id)?.results.classify?.top[0].index ?? null;
        }, jobId);
        clicks.push({ file: photo.file, state, top1, expected: photo.label, ms: Date.now() - t0 });
        await popup.close();
      }
      const ms = clicks.map((c) => c.ms).sort((a, b) => a - b);
      const summary = {
        clicks: clicks.length,
        hung: clicks.filter((c) => c.state === 'hung').length,
        notDone: clicks.filter((c) => c.state !== 'done').length,
        wrong: clicks.filter((c) => c.top1 !== c.expected).length,
        medianMs: ms[ms.length >> 1],
        maxMs: ms[ms.length - 1],
      };
      await mkdir(SCREENSHOTS, { recursive: true });
      await writeFile(join(SCREENSHOTS, '..', 'soak.json'), JSON.stringify({ summary, clicks }, null, 2));
      console.log(`soak: ${JSON.stringify(summary)}`);
      expect(clicks.filter((c) => c.state !== 'done')).toEqual([]);
      expect(clicks.filter((c) => c.top1 !== c.expected)).toEqual([]);
    },
    60_000 + CLICKS * 10_000,
  ); // ~1 s a click here; a hang is caught per click (30 s), not by this
});

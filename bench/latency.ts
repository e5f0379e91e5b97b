/**
 * What the user waits for (issue 11): click → answer on screen, through the real product path in
 * Chromium (the test build: the shipped extension plus the hook that dispatches the menu click).
 * Each click: an <img> on a local page shows a photo (cache-busted, so every click downloads it),
 * Playwright right-clicks it and the worker's menu listener gets the click; the job's stage marks
 * (src/background/timings.ts, ms since the menu event) and the popup's paint mark
 * (src/popup/paint-mark.ts) give the stages:
 *   capture (content script round trip) → queued → started → fetched → decoded → engine ready →
 *   preprocessed → forward read back → thumbnail encoded → [saliency map] → written → on screen.
 * `classifyWarm`: the engine loaded, one click at a time. `classifyCold`: the worker stopped (CDP)
 * before each click and started again by the harness; the worker's own start-up (script fetch and
 * bundle evaluation, `workerStartMs`) happens before the click here and is reported beside it: a
 * real cold click pays both. `saliencyWarm`: "Show saliency map", to the painted map.
 * Each click comes 500 ms after the previous answer was shown (an idle worker, as a person's clicks find it).
 * Photos: the 12 labelled test photos, plus generated large PNGs (the photos upscaled) — varied sizes.
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page, Worker } from 'playwright-core';
import { decodeImage } from '../src/engine/decode-node.js';
import type { ClickTimings, JobRecord, MenuJobKind } from '../src/shared/jobs.js';
import { CLICK_STAGES } from '../src/shared/jobs.js';
import { type LaunchedExtension, startServiceWorker, stopServiceWorkers } from '../test/helpers/browser.js';
import { photos } from '../test/helpers/data.js';
import { upscaledPng } from '../test/helpers/huge-png.js';
import { menuAction, openPopup } from '../test/helpers/product.js';
import { stats } from './stats.js';

interface ImageSource {
  name: string;
  body: Buffer;
  type: string;
  width: number;
  height: number;
}

function sources(): ImageSource[] {
  const list: ImageSource[] = photos().map((p) => {
    const body = readFileSync(p.path);
    const { width, height } = decodeImage(new Uint8Array(body), p.file);
    return { name: p.file, body, type: 'image/jpeg', width, height };
  });
  // Larger pictures, as on real pages: 1600×1200 and 3000×2000 (the owl and the church, upscaled).
  for (const [file, width, height] of [
    ['eli_024_n01622779_great_grey_owl.JPEG', 1600, 1200],
    ['kennysong_497_church.jpg', 3000, 2000],
  ] as const) {
    const p = photos().find((x) => x.file === file)!;
    const decoded = decodeImage(new Uint8Array(readFileSync(p.path)), p.file);
    list.push({
      name: `${width}x${height}.png`,
      body: upscaledPng(decoded, width, height),
      type: 'image/png',
      width,
      height,
    });
  }
  return list;
}

const IDLE_BEFORE_CLICK_MS = 500;

export interface ClickSample {
  image: string;
  /** menu event → answer in the popup's DOM */
  totalMs: number;
  /** ms since the menu event at the end of each stage, plus written (the record's last write) and shown */
  stages: Partial<Record<string, number>>;
}

function summary(samples: ClickSample[], extra: object = {}) {
  const totals = stats(samples.map((s) => s.totalMs));
  // Per-stage medians of each stage's own duration (end minus the previous stage's end).
  const order = [...CLICK_STAGES, 'written', 'shown'];
  const durations: Record<string, ReturnType<typeof stats>> = {};
  for (const [i, stage] of order.entries()) {
    const values = samples
      .map((s) => {
        const end = s.stages[stage];
        if (end === undefined) return undefined;
        const before =
          order
            .slice(0, i)
            .reverse()
            .map((p) => s.stages[p])
            .find((v) => v !== undefined) ?? 0;
        return end - before;
      })
      .filter((v): v is number => v !== undefined);
    if (values.length) durations[stage] = stats(values);
  }
  return {
    clicks: samples.length,
    p50Ms: totals.median,
    p95Ms: totals.p95,
    totalMs: totals,
    stageMedianMs: Object.fromEntries(Object.entries(durations).map(([k, v]) => [k, v.median])),
    stageMs: durations,
    ...extra,
  };
}

async function serve(list: ImageSource[]) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          '<!doctype html><title>latency</title><img id="target" style="width:400px;height:300px;object-fit:cover">',
        );
      return;
    }
    const source = list.find((s) => `/${s.name}` === decodeURIComponent(url.pathname));
    if (!source) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': source.type, 'cache-control': 'no-store' }).end(source.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

async function jobRecord(sw: Worker, id: string): Promise<JobRecord> {
  return sw.evaluate(
    async (id) => ((await chrome.storage.session.get('jobs')).jobs as JobRecord[]).find((j) => j.id === id)!,
    id,
  );
}

async function click(
  sw: Worker,
  page: Page,
  popup: Page,
  base: string,
  source: ImageSource,
  n: number,
  kind: MenuJobKind,
): Promise<ClickSample> {
  await page.evaluate(async (src) => {
    const img = document.getElementById('target') as HTMLImageElement;
    img.src = src;
    await img.decode();
  }, `${base}/${source.name}?n=${n}`);
  // A person does not click four times a second: let the previous job's after-work (its thumbnail
  // encode and write) finish, so each click is measured on an idle worker.
  await new Promise((r) => setTimeout(r, IDLE_BEFORE_CLICK_MS));
  const id = await menuAction(sw, page, '#target', kind);
  const attribute = kind === 'saliency' ? 'mapAt' : 'resultAt';
  const shownAt = Number(
    await popup
      .waitForFunction(
        ({ id, attribute }) => {
          const view = document.getElementById('view')!;
          const failed =
            view.dataset.jobId === id && ['error', 'cancelled', 'interrupted'].includes(view.dataset.state!);
          if (failed) throw new Error(`job ${id} ended ${view.dataset.state}`);
          return view.dataset[`${attribute}Job`] === id && view.dataset[attribute];
        },
        { id, attribute },
        { timeout: 60_000, polling: 'raf' },
      )
      .then((h) => h.jsonValue()),
  );
  let job = await jobRecord(sw, id);
  for (let i = 0; i < 50 && job.state !== 'done'; i++) job = await jobRecord(sw, id);
  const timings = job.timings as ClickTimings | undefined;
  if (!timings) throw new Error(`job ${id} has no timings`);
  return {
    image: `${source.name} (${source.width}×${source.height})`,
    totalMs: Number((shownAt - timings.clickAt).toFixed(1)),
    stages: { ...timings.stages, written: job.updatedAt - timings.clickAt, shown: shownAt - timings.clickAt },
  };
}

export async function benchLatency(
  ext: LaunchedExtension,
  log: (m: string) => void,
  counts = { warm: 56, cold: 10, saliency: 20 },
): Promise<object> {
  const list = sources();
  const server = await serve(list);
  const page = await ext.context.newPage();
  await page.setViewportSize({ width: 900, height: 700 });
  await page.goto(`${server.url}/`);
  const popup = await openPopup(ext.context, ext.extensionId);
  await popup.setViewportSize({ width: 380, height: 600 });
  try {
    const pick = (i: number) => list[i % list.length];
    log('latency: warming up (engine load, 3 clicks)…');
    for (let i = 0; i < 3; i++) await click(ext.sw, page, popup, server.url, pick(i), -1 - i, 'classify');

    log(`latency: ${counts.warm} warm clicks…`);
    const warm: ClickSample[] = [];
    for (let i = 0; i < counts.warm; i++)
      warm.push(await click(ext.sw, page, popup, server.url, pick(i), i, 'classify'));

    log(`latency: ${counts.saliency} saliency clicks…`);
    const saliency: ClickSample[] = [];
    for (let i = 0; i < counts.saliency; i++)
      saliency.push(await click(ext.sw, page, popup, server.url, pick(i), 1000 + i, 'saliency'));

    log(`latency: ${counts.cold} cold clicks (worker stopped before each)…`);
    const cold: ClickSample[] = [];
    const workerStart: number[] = [];
    for (let i = 0; i < counts.cold; i++) {
      await stopServiceWorkers(ext.context);
      await startServiceWorker(ext.context, ext.extensionId);
      const clock = await ext.sw.evaluate(() => {
        const hook = (self as unknown as { __squeezelens: { info(): Promise<{ clock: { swStartedAt: number } }> } })
          .__squeezelens;
        return hook.info().then((r) => r.clock);
      });
      workerStart.push(clock.swStartedAt);
      cold.push(await click(ext.sw, page, popup, server.url, pick(i), 2000 + i, 'classify'));
    }
    const startStats = stats(workerStart);
    return {
      note:
        'menu event → answer in the popup DOM (the frame after); stageMedianMs: median duration of each stage ' +
        '(end minus the previous stage end); written = the record’s final write issued, shown = popup paint mark',
      images: list.map((s) => `${s.name} ${s.width}×${s.height}`),
      classifyWarm: summary(warm),
      classifyCold: summary(cold, {
        workerStartMs: startStats,
        note: 'after a harness-started worker; a real cold click also pays workerStartMs (script + bundle evaluation)',
        p50WithWorkerStartMs: Number((stats(cold.map((s) => s.totalMs)).median + startStats.median).toFixed(1)),
      }),
      saliencyWarm: summary(saliency),
      samples: { warm, cold, saliency },
    };
  } finally {
    await page.close();
    await popup.close();
    await server.close();
  }
}

/**
 * Peak memory of a click on a huge image (issue 12 §4): Chromium's processes sampled from /proc
 * while the extension answers *What is this?* on a normal photo and on flat PNGs and JPEGs of up to
 * 15000×15000 (225 MP), generated at run time (test/helpers/flat-images.ts).
 *
 * One fresh browser per image, so nothing one case left behind counts in the next: a local page
 * shows a photo (#warm) and the image (#target, drawn 300 px wide). The page decodes both first
 * (its own renderer's memory, not the extension's), a click on the photo loads the engine, then
 * every process's peak is reset (clear_refs) and the click on the image measured: per process type
 * the resident set before and the peak (VmHWM) during the click, and the summed RSS of all the
 * browser's processes sampled every 20 ms. `extension` is the extension's renderer process: its
 * service worker (where the image is decoded) and its pages (the popup).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchExtension } from '../test/helpers/browser.js';
import { photos } from '../test/helpers/data.js';
import { flatJpeg, flatPng } from '../test/helpers/flat-images.js';
import { chromiumProcesses, memoryOf, resetPeaks, sampleTotalRss } from '../test/helpers/process-memory.js';
import { menuAction, openPopup, waitForJob } from '../test/helpers/product.js';

interface Case {
  name: string;
  type: string;
  width: number;
  height: number;
  make: () => Promise<Buffer>;
}

const photo = () => photos().find((p) => p.file.includes('monarch'))!;

export const MEMORY_CASES: Case[] = [
  { name: 'photo', type: 'image/jpeg', width: 500, height: 375, make: async () => readFileSync(photo().path) },
  {
    name: 'png-100mp',
    type: 'image/png',
    width: 10000,
    height: 10000,
    make: () => flatPng(10000, 10000, [90, 140, 60]),
  },
  {
    name: 'png-225mp',
    type: 'image/png',
    width: 15000,
    height: 15000,
    make: () => flatPng(15000, 15000, [90, 140, 60]),
  },
  { name: 'jpeg-100mp', type: 'image/jpeg', width: 10000, height: 10000, make: async () => flatJpeg(10000, 10000) },
  { name: 'jpeg-225mp', type: 'image/jpeg', width: 15000, height: 15000, make: async () => flatJpeg(15000, 15000) },
];

const round = (mb: number) => Math.round(mb);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureCase(c: Case, log: (m: string) => void) {
  const body = await c.make();
  const warm = readFileSync(photo().path);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<!doctype html><body><img id="warm" src="/warm.jpg" width="200">' +
          '<img id="target" src="/target" width="300"></body>',
      );
    } else if (path === '/warm.jpg' || path === '/target') {
      const bytes = path === '/target' ? body : warm;
      res.writeHead(200, {
        'content-type': path === '/target' ? c.type : 'image/jpeg',
        'content-length': bytes.length,
      });
      res.end(bytes);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const ext = await launchExtension({ webgpu: false });
  try {
    const popup = await openPopup(ext.context, ext.extensionId);
    const page = await ext.context.newPage();
    await page.goto(url);
    await page.evaluate(() => Promise.all([...document.images].map((i) => i.decode().catch(() => {}))));
    await waitForJob(popup, await menuAction(ext.sw, page, '#warm'), undefined, 120_000);
    await sleep(1000);
    const processes = chromiumProcesses();
    resetPeaks(processes);
    const before = new Map(processes.map((p) => [p.pid, memoryOf(p.pid)?.rssMb ?? 0]));
    const totalBefore = [...before.values()].reduce((a, b) => a + b, 0);
    const sampler = sampleTotalRss(20);
    const t0 = performance.now();
    const id = await menuAction(ext.sw, page, '#target');
    const view = await waitForJob(popup, id, undefined, 180_000);
    const ms = performance.now() - t0;
    await sleep(200);
    const totalPeak = sampler.stop();
    const byType: Record<string, { beforeMb: number; peakMb: number; growthMb: number }> = {};
    for (const p of processes) {
      const now = memoryOf(p.pid);
      if (!now) continue;
      const b = before.get(p.pid) ?? 0;
      const growth = now.peakMb - b;
      // Several renderers or utilities: keep the one that grew most.
      if (!byType[p.type] || growth > byType[p.type].growthMb)
        byType[p.type] = { beforeMb: round(b), peakMb: round(now.peakMb), growthMb: round(growth) };
    }
    const result = {
      name: c.name,
      size: `${c.width}×${c.height}`,
      megapixels: (c.width * c.height) / 1e6,
      fileBytes: body.length,
      state: view.state,
      errorCode: view.errorCode ?? null,
      clickToAnswerMs: Math.round(ms),
      processes: byType,
      allProcessesRssMb: { before: round(totalBefore), peak: round(totalPeak), growth: round(totalPeak - totalBefore) },
    };
    log(
      `${c.name}: ${result.state}${result.errorCode ? ` (${result.errorCode})` : ''} in ${result.clickToAnswerMs} ms; ` +
        `extension ${byType.extension?.beforeMb} → ${byType.extension?.peakMb} MB, all ${result.allProcessesRssMb.before} → ${result.allProcessesRssMb.peak} MB`,
    );
    return result;
  } finally {
    await ext.close();
    await new Promise((r) => server.close(r));
  }
}

/** `browser.memory`: one entry per image, measured as described above. */
export async function benchMemory(log: (m: string) => void, only?: string[]) {
  const cases = only?.length ? MEMORY_CASES.filter((c) => only.includes(c.name)) : MEMORY_CASES;
  const results = [];
  for (const c of cases) {
    log(`memory: ${c.name}…`);
    results.push(await measureCase(c, log));
  }
  return {
    note:
      'fresh browser per image; peaks (VmHWM) reset after a warm-up click on a photo; ' +
      'extension = the extension renderer process (service worker + popup); growth = peak − RSS before the click',
    results,
  };
}

/**
 * Two HTTP servers on 127.0.0.1 (two ports = two origins) for the extension's end-to-end tests.
 * Origin A serves the test page; most images come from origin B, which sends no CORS headers, so
 * the page cannot read them and only the worker's host permission can. Both serve:
 *
 *   /photos/<file>        the labelled test photos (../shared/testdata/photos), image/jpeg
 *   /missing.jpg          404
 *   /page.html            an HTML page (an <img> pointing at it = "HTML served as an image")
 *   /fake.jpg             HTML bytes labelled image/jpeg (undecodable)
 *   /huge.png             8000×8000 PNG, generated at start (the monarch photo scaled up)
 *   /toolarge.png         70 MB of zeros labelled image/png, streamed without a length
 *   /photo.svg            an SVG embedding a photo (great grey owl) as a data: image
 *   /slow.jpg?id=…        answers only when the test calls release(id) (a photo) — or never
 *   /redirect/N.jpg       a chain of N redirects (302) ending at a photo (the monarch)
 *
 * and origin A serves /fixtures.html: every case the tests right-click, one element per case,
 * each with an id.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { decodeImage } from '../../src/engine/decode-node.js';
import { PHOTOS } from './data.js';
import { upscaledPng } from './huge-png.js';

export const PHOTO = {
  monarch: 'eli_323_n02279972_monarch.JPEG',
  padlock: 'eli_695_n03874599_padlock.JPEG',
  owl: 'eli_024_n01622779_great_grey_owl.JPEG',
  siamese: 'eli_284_n02123597_Siamese_cat.JPEG',
  airliner: 'eli_404_n02690373_airliner.JPEG',
  tench: 'kennysong_0_tench.jpg',
  springer: 'kennysong_217_english_springer.jpg',
  church: 'kennysong_497_church.jpg',
  horn: 'kennysong_566_french_horn.jpg',
  golf: 'kennysong_574_golf_ball.jpg',
  parachute: 'kennysong_701_parachute.jpg',
} as const;

export interface FixtureServers {
  /** origin A (the page's), e.g. http://127.0.0.1:1234 */
  a: string;
  /** origin B (images without CORS) */
  b: string;
  page: string;
  /** answer a held /slow.jpg request with a photo */
  release(id: string): void;
  /** requests seen by either server (path + query) */
  requests: string[];
  close(): Promise<void>;
}

const TOO_LARGE = 70 * 1024 * 1024;
const TINY_GIF = 'data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';

function fixturesPage(a: string, b: string, horn: string): string {
  const photo = (origin: string, key: keyof typeof PHOTO) => `${origin}/photos/${encodeURIComponent(PHOTO[key])}`;
  // Fixed-size cells so every case is visible and can be right-clicked.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SqueezeLens fixtures</title>
<style>
  body { font: 13px system-ui, sans-serif; margin: 10px; }
  .grid { display: grid; grid-template-columns: repeat(6, 150px); gap: 8px; }
  .cell { width: 150px; height: 120px; position: relative; border: 1px solid #ccc; overflow: hidden; }
  .cell > img, .cell > canvas, .cell > video, .cell > svg {
    width: 150px; height: 100px; object-fit: cover; display: block; }
  .cell > b { position: absolute; bottom: 0; left: 2px; font-size: 11px; }
  #bg { background: url("${photo(b, 'airliner')}") center / cover; height: 100px; }
  #bg span { display: inline-block; margin: 30px; background: #fff8; padding: 4px; }
  .overlay { position: absolute; inset: 0 0 20px 0; }
  .far { margin-top: 2200px; }
</style></head><body>
<div class="grid">
  <div class="cell"><img id="same" src="${photo(a, 'monarch')}" alt="same-origin"><b>same-origin</b></div>
  <div class="cell"><img id="cross" src="${photo(b, 'padlock')}"
    alt="cross-origin"><b>cross-origin</b><div class="overlay" id="cross-overlay"></div></div>
  <div class="cell"><img id="srcset" src="${photo(b, 'owl')}"
    srcset="${photo(b, 'golf')} 1x, ${photo(b, 'parachute')} 2x" alt="srcset"><b>srcset</b></div>
  <div class="cell"><picture><source media="(min-width: 1px)" srcset="${photo(b, 'tench')}"><img id="picture"
    src="${photo(b, 'church')}" alt="picture"
    style="width:150px;height:100px;object-fit:cover"></picture><b>picture</b></div>
  <div class="cell"><img id="data" src="${horn}" alt="data"><b>data:</b></div>
  <div class="cell"><img id="blob" alt="blob"><b>blob:</b></div>
  <div class="cell"><div id="bg"><span id="bg-text">text on a background</span></div><b>CSS background</b></div>
  <div class="cell"><canvas id="canvas" width="400" height="300"></canvas><b>canvas</b></div>
  <div class="cell"><canvas id="tainted" width="400" height="300"></canvas><b>tainted canvas</b></div>
  <div class="cell"><img id="svg" src="${a}/photo.svg" alt="svg"><b>SVG</b></div>
  <div class="cell"><svg id="inline-svg" viewBox="0 0 100 100" width="150" height="100"><rect width="100" height="100"
    fill="#fff"/><circle cx="50" cy="50" r="35" fill="#e33"/><rect x="45" y="5" width="10" height="20"
    fill="#3a3"/></svg><b>inline SVG</b></div>
  <div class="cell"><video id="video" muted playsinline></video><b>video frame</b></div>
  <div class="cell"><img id="datasrc" src="${TINY_GIF}" data-src="${photo(b, 'church')}"
    alt="data-src"><b>data-src lazy</b></div>
  <div class="cell"><img id="missing" src="${b}/missing.jpg" alt="404"><b>404</b></div>
  <div class="cell"><img id="html" src="${b}/page.html" alt="html"><b>HTML as image</b></div>
  <div class="cell"><img id="fake" src="${b}/fake.jpg" alt="fake"><b>fake JPEG</b></div>
  <div class="cell"><img id="huge" src="${b}/huge.png" alt="huge" loading="lazy"><b>8000×8000</b></div>
  <div class="cell"><img id="toolarge" src="${b}/toolarge.png" alt="too large"><b>70 MB</b></div>
  <div class="cell"><p id="text">Just text, no image.</p><b>no image</b></div>
  <div class="cell"><img id="slow" alt="slow"><b>slow</b></div>
  <div class="cell"><img id="redirects" src="${b}/redirect/25.jpg" alt="25 redirects"><b>25 redirects</b></div>
</div>
<div class="far"><img id="lazy" loading="lazy" src="${photo(b, 'springer')}" alt="lazy" width="150" height="100"
  style="object-fit:cover"></div>
<script src="/fixtures.js"></script>
</body></html>`;
}

/** Page script: the cases that need drawing (blob:, canvas, video). Sets window.fixturesReady. */
function fixturesScript(a: string, b: string): string {
  const photo = (origin: string, key: keyof typeof PHOTO) =>
    JSON.stringify(`${origin}/photos/${encodeURIComponent(PHOTO[key])}`);
  return `(async () => {
  const load = (src, cors) => new Promise((res, rej) => {
    const i = new Image(); if (cors) i.crossOrigin = 'anonymous'; i.onload = () => res(i); i.onerror = rej; i.src = src;
  });
  const blob = await (await fetch(${photo(a, 'siamese')})).blob();
  document.getElementById('blob').src = URL.createObjectURL(blob);
  const draw = (canvas, img) => canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
  draw(document.getElementById('canvas'), await load(${photo(a, 'parachute')}));
  draw(document.getElementById('tainted'), await load(${photo(b, 'tench')}));
  // A real WebM: a canvas showing a photo, recorded by MediaRecorder, played back paused.
  const src = document.createElement('canvas'); src.width = 320; src.height = 240;
  const ctx = src.getContext('2d'); const photo = await load(${photo(a, 'monarch')});
  const paint = () => ctx.drawImage(photo, 0, 0, 320, 240); paint();
  const stream = src.captureStream(15);
  const rec = new MediaRecorder(stream, { mimeType: 'video/webm;codecs=vp8', videoBitsPerSecond: 4e6 });
  const chunks = []; rec.ondataavailable = (e) => chunks.push(e.data);
  const timer = setInterval(paint, 50);
  rec.start(); await new Promise((r) => setTimeout(r, 800)); rec.stop();
  await new Promise((r) => (rec.onstop = r)); clearInterval(timer);
  const video = document.getElementById('video');
  video.src = URL.createObjectURL(new Blob(chunks, { type: 'video/webm' }));
  await new Promise((r, j) => { video.onloadeddata = r; video.onerror = () => j(new Error('video did not load')); });
  video.currentTime = 0.3; await new Promise((r) => (video.onseeked = r));
  window.fixturesReady = true;
})().catch((e) => { window.fixturesError = String(e); });`;
}

export async function startFixtureServers(): Promise<FixtureServers> {
  const files = (await readdir(PHOTOS)).filter((f) => /\.(jpe?g)$/i.test(f));
  const photoBytes = new Map<string, Buffer>();
  for (const f of files) photoBytes.set(f, await readFile(join(PHOTOS, f)));
  const monarch = photoBytes.get(PHOTO.monarch)!;
  const huge = upscaledPng(decodeImage(monarch, PHOTO.monarch), 8000, 8000);
  const owl = photoBytes.get(PHOTO.owl)!;
  const owlSize = decodeImage(owl, PHOTO.owl);
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ' +
    `width="${owlSize.width}" height="${owlSize.height}">` +
    `<image width="${owlSize.width}" height="${owlSize.height}" ` +
    `xlink:href="data:image/jpeg;base64,${owl.toString('base64')}"/></svg>`;
  const horn = `data:image/jpeg;base64,${photoBytes.get(PHOTO.horn)!.toString('base64')}`;
  const held = new Map<string, ServerResponse[]>();
  const requests: string[] = [];
  let a = '';
  let b = '';

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname + url.search);
    const path = decodeURIComponent(url.pathname);
    const send = (status: number, type: string, body: string | Buffer) =>
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    if (path === '/fixtures.html') return send(200, 'text/html; charset=utf-8', fixturesPage(a, b, horn));
    if (path === '/fixtures.js') return send(200, 'text/javascript', fixturesScript(a, b));
    if (path.startsWith('/photos/') && photoBytes.has(path.slice(8)))
      return send(200, 'image/jpeg', photoBytes.get(path.slice(8))!);
    if (path === '/page.html')
      return send(200, 'text/html; charset=utf-8', '<!doctype html><title>not an image</title><p>hello');
    if (path === '/fake.jpg') return send(200, 'image/jpeg', '<!doctype html><title>not really a JPEG</title>');
    if (path === '/huge.png') return send(200, 'image/png', huge);
    if (path === '/photo.svg') return send(200, 'image/svg+xml', svg);
    if (path === '/toolarge.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const block = Buffer.alloc(1024 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < TOO_LARGE) {
          sent += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent = TOO_LARGE + 1));
      return pump();
    }
    const hop = /^\/redirect\/(\d+)\.jpg$/.exec(path);
    if (hop) {
      const n = Number(hop[1]);
      if (n === 0) return send(200, 'image/jpeg', monarch);
      return res.writeHead(302, { location: `/redirect/${n - 1}.jpg`, 'cache-control': 'no-store' }).end();
    }
    if (path === '/slow.jpg') {
      const id = url.searchParams.get('id') ?? '';
      held.set(id, [...(held.get(id) ?? []), res]);
      return;
    }
    send(404, 'text/plain', 'not found');
  };

  const listen = async (): Promise<[Server, string]> => {
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return [server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
  };
  const [sa, urlA] = await listen();
  const [sb, urlB] = await listen();
  a = urlA;
  b = urlB;
  return {
    a,
    b,
    page: `${a}/fixtures.html`,
    requests,
    release(id) {
      for (const res of held.get(id) ?? [])
        if (!res.writableEnded) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(monarch);
      held.delete(id);
    },
    async close() {
      for (const list of held.values()) for (const res of list) res.destroy();
      sa.closeAllConnections();
      sb.closeAllConnections();
      await Promise.all([new Promise((r) => sa.close(r)), new Promise((r) => sb.close(r))]);
    },
  };
}

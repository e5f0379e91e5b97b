/**
 * A local demo page of the labelled test photos, served from 127.0.0.1 (the photos are read from
 * ../shared/testdata/photos at request time, never copied into the project). Used by `npm start`
 * and by browser tests.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../src/engine/model-data-node.js';

export const PHOTO_DIR = join(projectRoot(), '..', 'shared', 'testdata', 'photos');

export interface DemoServer {
  url: string;
  /** where the photos are read from */
  photoDir: string;
  photos: { file: string; url: string; label: number }[];
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const figure = (f: string) =>
  `<figure><img src="/photos/${encodeURIComponent(f)}" alt="${escapeHtml(f)}">` +
  `<figcaption>${escapeHtml(f)}</figcaption></figure>`;

export async function startDemoServer(port = 0): Promise<DemoServer> {
  const files = (await readdir(PHOTO_DIR)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SqueezeLens demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 22px; margin: 0 0 4px; } p { margin: 0 0 18px; color: #4a5263; }
  main { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 16px; }
  figure { margin: 0; background: #fff; border-radius: 10px; padding: 10px; box-shadow: 0 1px 3px #0002; }
  img { width: 100%; height: 200px; object-fit: cover; border-radius: 6px; display: block; }
  figcaption { font-size: 13px; color: #4a5263; margin-top: 6px; overflow-wrap: anywhere; }
  .result { display: block; color: #0b57d0; font-weight: 600; }
  .result.fooled { color: #b3261e; }
</style></head>
<body><h1>SqueezeLens demo</h1><p>Right-click any photo to ask SqueezeNet what it sees.</p><main>
${files.map((f) => figure(f)).join('\n')}
</main></body></html>`;
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    const name = path.startsWith('/photos/') ? path.slice('/photos/'.length) : '';
    if (!files.includes(name)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const body = await readFile(join(PHOTO_DIR, name));
    // No CORS header: the extension's worker fetches page images with its host permission, as it
    // must on real sites that send none.
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(body);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${url}/`,
    photoDir: PHOTO_DIR,
    photos: files.map((file) => ({
      file,
      url: `${url}/photos/${encodeURIComponent(file)}`,
      label: Number(file.split('_')[1]),
    })),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

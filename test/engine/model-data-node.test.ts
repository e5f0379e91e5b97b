/**
 * Model-data resolution: explicit directory → ../shared/models → verified download. The
 * download path runs against a local HTTP server on 127.0.0.1 serving a copy of the files.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSourcesManifest, resolveModelData } from '../../src/engine/model-data-node.js';
import { MODELS } from '../helpers/data.js';

const tmp = mkdtempSync(join(tmpdir(), 'squeezelens-modeldata-'));
const mirror = join(tmp, 'mirror');
let server: Server;
let baseUrl = '';
const requests: string[] = [];
/** paths the server should damage: 'truncate' | 'alter' | '404' */
const damage = new Map<string, string>();

beforeAll(async () => {
  cpSync(MODELS, mirror, { recursive: true });
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
    requests.push(path);
    const how = damage.get(path);
    if (how === '404') {
      res.writeHead(404).end('not found');
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(join(mirror, path));
    } catch {
      res.writeHead(404).end();
      return;
    }
    if (how === 'truncate') body = body.subarray(0, body.length - 10);
    if (how === 'alter') body = Buffer.from(body.map((b, i) => (i === body.length - 1 ? b ^ 0xff : b)));
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

const manifest = loadSourcesManifest();
const someWeight = manifest.files.find((f) => f.path.endsWith('conv3_weight.npy'))!.path;

describe('model data resolution', () => {
  it('pins every source file by SHA-256 and URL', () => {
    expect(manifest.files).toHaveLength(53);
    for (const f of manifest.files) {
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(f.url).toMatch(/^https:\/\/raw\.githubusercontent\.com\//);
    }
    expect(manifest.files.filter((f) => f.url.includes('f8bb0122e5253da9ac39e94979bbbd8ebc2709fd'))).toHaveLength(52);
  });

  it('uses ../shared/models by default, verified', async () => {
    const data = await resolveModelData({ env: {} });
    expect(data.origin).toBe('shared');
    expect(data.files.size).toBe(53);
  });

  it('prefers an explicit directory, and names a missing or altered file', async () => {
    const dir = join(tmp, 'explicit');
    cpSync(MODELS, dir, { recursive: true });
    expect((await resolveModelData({ dir })).origin).toBe('explicit');
    expect((await resolveModelData({ env: { SQUEEZELENS_MODELS_DIR: dir } })).origin).toBe('explicit');

    const victim = join(dir, someWeight);
    const original = readFileSync(victim);
    writeFileSync(victim, Buffer.from(original.map((b, i) => (i === original.length - 1 ? b ^ 1 : b))));
    await expect(resolveModelData({ dir })).rejects.toThrow(new RegExp(`${someWeight}.*SHA-256 mismatch`));
    truncateSync(victim, 100);
    await expect(resolveModelData({ dir })).rejects.toThrow(
      new RegExp(`${someWeight}.*expected ${original.length} bytes, found 100 \\(truncated\\)`),
    );
    rmSync(victim);
    await expect(resolveModelData({ dir })).rejects.toThrow(new RegExp(`${someWeight}: missing`));
  });

  it('downloads from the pinned list into a cache, verifying every file, then works offline', async () => {
    const cacheDir = join(tmp, 'cache');
    requests.length = 0;
    const data = await resolveModelData({ sharedDir: null, cacheDir, baseUrl, env: {} });
    expect(data.origin).toBe('download');
    expect(requests).toHaveLength(53);
    expect(readFileSync(data.files.get(someWeight)!)).toEqual(readFileSync(join(MODELS, someWeight)));
    // Second time: everything from the cache, no request, even with downloads forbidden.
    requests.length = 0;
    await resolveModelData({ sharedDir: null, cacheDir, baseUrl, allowDownload: false, env: {} });
    expect(requests).toHaveLength(0);
    // A damaged cache entry is fetched again.
    truncateSync(join(cacheDir, someWeight), 5);
    await resolveModelData({ sharedDir: null, cacheDir, baseUrl, env: {} });
    expect(requests).toEqual([someWeight]);
  });

  it('rejects truncated, altered and missing downloads with an error naming the file', async () => {
    for (const [how, pattern] of [
      ['truncate', /\(truncated\)/],
      ['alter', /SHA-256 mismatch/],
      ['404', /HTTP 404/],
    ] as const) {
      const cacheDir = join(tmp, `cache-${how}`);
      damage.clear();
      damage.set(someWeight, how);
      const attempt = resolveModelData({ sharedDir: null, cacheDir, baseUrl, env: {} });
      await expect(attempt).rejects.toThrow(new RegExp(someWeight.replace(/\./g, '\\.')));
      await expect(resolveModelData({ sharedDir: null, cacheDir, baseUrl, env: {} })).rejects.toThrow(pattern);
    }
    damage.clear();
  });

  it('says so when nothing is local and downloading is off', async () => {
    await expect(
      resolveModelData({ sharedDir: null, cacheDir: join(tmp, 'empty'), allowDownload: false, env: {} }),
    ).rejects.toThrow(/downloading is disabled/);
  });
});

/**
 * The command line on its own (issue 10): `npm pack` (whose prepack script runs `npm run build:cli`)
 * gives a tarball that installs with `npm install --omit=dev` into an empty folder, where
 * `npx squeezelens` classifies on plain Node — no tsx, no wabt, no other dev dependency in the tree —
 * and gives the dev CLI's answer (the same code, the same TF.js and decoders).
 *
 * Slow-ish (~15–25 s here: pack ~3 s, install ~6 s from the npm cache, five CLI runs) and it needs
 * what `npm ci` needs: the registry, or an npm cache holding the dependencies' tarballs, which any
 * machine that ran `npm ci` has (`--prefer-offline` then takes them from there). CI runs it with
 * the rest of `npm test`: a package that does not install is a release that does not work.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSourcesManifest, projectRoot } from '../../src/engine/model-data-node.js';
import { cli } from '../helpers/cli.js';
import { MODELS, photos } from '../helpers/data.js';

const run = promisify(execFile);
const ROOT = projectRoot();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const tmp = mkdtempSync(join(tmpdir(), 'squeezelens-package-'));
const app = join(tmp, 'app'); // the "empty folder" the tarball is installed into

/**
 * The environment of a user's shell: without the npm_* variables `npm test` sets (npm_config_*
 * would reach the nested npm) and without SQUEEZELENS_* (each case sets what it means to test).
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && !k.startsWith('SQUEEZELENS_')),
  );
  return { ...env, ...extra };
}

async function npx(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['--no-install', 'squeezelens', ...args], {
      cwd: app,
      env: userEnv(env),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every package in an installed tree (nested node_modules too): name → versions. */
function installedPackages(nodeModules: string, found = new Map<string, string[]>()): Map<string, string[]> {
  if (!existsSync(nodeModules)) return found;
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const dirs = entry.startsWith('@')
      ? readdirSync(join(nodeModules, entry)).map((e) => join(nodeModules, entry, e))
      : [join(nodeModules, entry)];
    for (const dir of dirs) {
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; version: string };
      found.set(name, [...(found.get(name) ?? []), version]);
      installedPackages(join(dir, 'node_modules'), found);
    }
  }
  return found;
}

let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
let installMs = 0;

beforeAll(async () => {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, env: userEnv() });
  [packed] = JSON.parse(stdout);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "empty-folder", "private": true }\n');
  const t0 = performance.now();
  await run(
    'npm',
    ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, packed.filename)],
    { cwd: app, env: userEnv() },
  );
  installMs = performance.now() - t0;
  console.log(
    `${packed.filename}: ${(packed.size / 1024).toFixed(0)} KB packed, ` +
      `${(packed.unpackedSize / 1024).toFixed(0)} KB unpacked; npm install ${(installMs / 1000).toFixed(1)} s`,
  );
}, 240_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the packed command line', () => {
  it('is squeezelens-<version>.tgz with the bundle, the model source list, README and nothing else', () => {
    expect(packed.filename).toBe(`squeezelens-${pkg.version}.tgz`);
    expect(packed.files.map((f) => f.path).sort()).toEqual([
      'README.md',
      'dist/cli/squeezelens.mjs',
      'models/squeezenet1_1.sources.json',
      'package.json',
    ]);
    // Our code only (~95 KB gzipped): a bundle that inlined TF.js or weights would be megabytes.
    expect(packed.size).toBeLessThan(200 * 1024);
  });

  it('installs with --omit=dev: its dependencies, and no dev dependency (no tsx, no wabt) anywhere in the tree', () => {
    const installed = installedPackages(join(app, 'node_modules'));
    expect(installed.get('squeezelens')).toEqual([pkg.version]);
    for (const dependency of Object.keys(pkg.dependencies)) expect(installed.has(dependency), dependency).toBe(true);
    expect(installed.has('tsx')).toBe(false);
    expect(installed.has('wabt')).toBe(false);
    expect(Object.keys(pkg.devDependencies).filter((d) => installed.has(d))).toEqual([]);
    // and no sources came along to be run some other way
    expect(existsSync(join(app, 'node_modules', 'squeezelens', 'src'))).toBe(false);
  });

  it("classifies with --models DIR exactly as the dev CLI does, and reports package.json's version", async () => {
    // The golden retriever is the borderline photo (muzzle 21.8 % vs golden retriever 21.5 %): any
    // difference in decoding or in the engine between the two builds would show here first.
    const photo = photos().find((p) => p.file.includes('golden_retriever'))!;
    const png = join(ROOT, 'test', 'fixtures', 'decode', 'png-alpha.png'); // pngjs, not jSquash
    // --jobs 2: the bundle's worker threads (started from the installed entry script), not just its main thread
    const installed = await npx(['classify', '--json', '--jobs', '2', '--models', MODELS, photo.path, png]);
    const dev = await cli(['classify', '--json', photo.path, png]);
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(dev.code).toBe(0);
    const answers = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((line) => {
          const { file, backend, top5 } = JSON.parse(line);
          return { file, backend, top5 };
        });
    expect(answers(installed.stdout)).toEqual(answers(dev.stdout));
    expect(answers(installed.stdout)[0].top5[0]).toMatchObject({ index: photo.top1, label: 'muzzle' });
    console.log(`installed CLI: ${installed.stdout.trim().split('\n')[0]}`);

    expect(await npx(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('carries the relaxed-SIMD kernels too, and uses them where Node validates them (here: with the flag)', async () => {
    const photo = photos()[0];
    const bin = join(app, 'node_modules', 'squeezelens', 'dist', 'cli', 'squeezelens.mjs');
    const classify = async (flags: string[]) => {
      const { stdout } = await run(
        process.execPath,
        [...flags, bin, 'classify', '--json', '--jobs', '1', '--models', MODELS, photo.path],
        { cwd: app, env: userEnv() },
      );
      return JSON.parse(stdout.trim()) as { kernels: string; top5: { index: number; prob: number }[] };
    };
    const plain = await classify([]);
    const relaxed = await classify(['--experimental-wasm-relaxed-simd']);
    expect(plain.kernels).toBe('simd128'); // Node 20 without the flag
    expect(relaxed.kernels).toBe('relaxed-simd');
    expect(relaxed.top5.map((c) => c.index)).toEqual(plain.top5.map((c) => c.index));
    for (const [i, c] of relaxed.top5.entries()) expect(Math.abs(c.prob - plain.top5[i].prob)).toBeLessThan(1e-4);
  });

  it('downloads the model data into the checksummed cache when none is local, then runs from the cache', async () => {
    // A local mirror of the pinned files (SQUEEZELENS_MODELS_BASE_URL): the test never needs the internet.
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
      requests.push(path);
      try {
        res.writeHead(200).end(readFileSync(join(MODELS, path)));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cache = join(tmp, 'cache');
    const photo = photos()[3];
    try {
      const first = await npx(['classify', '--json', photo.path], {
        SQUEEZELENS_CACHE_DIR: cache,
        SQUEEZELENS_MODELS_BASE_URL: baseUrl,
      });
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout).top5[0].index).toBe(photo.top1);
      // Every pinned file came from the mirror, once (the package ships the list, not the data).
      expect(requests.sort()).toEqual(
        loadSourcesManifest()
          .files.map((f) => f.path)
          .sort(),
      );
      expect(first.stderr).toMatch(/downloading imagenet_classes\.txt from http:\/\/127\.0\.0\.1/);
    } finally {
      await new Promise((r) => server.close(r));
    }
    // The mirror is gone: the cache alone answers.
    const second = await npx(['classify', '--json', photo.path], {
      SQUEEZELENS_CACHE_DIR: cache,
      SQUEEZELENS_MODELS_BASE_URL: baseUrl,
    });
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(second.stdout).top5[0].index).toBe(photo.top1);
  });

  it('says where it looked and what to do when no model data can be found, without a stack trace', async () => {
    // Port 9 (discard) on 127.0.0.1: nothing listens, so the download fails at once.
    const { code, stdout, stderr } = await npx(['classify', photos()[0].path], {
      SQUEEZELENS_CACHE_DIR: join(tmp, 'empty-cache'),
      SQUEEZELENS_MODELS_BASE_URL: 'http://127.0.0.1:9',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const error = stderr.trim().split('\n').pop();
    expect(error).toMatch(
      /^squeezelens: error: \S+: download from http:\/\/127\.0\.0\.1:9\/\S+ failed: fetch failed \(no model data in /,
    );
    expect(error).toContain(join(tmp, 'empty-cache'));
    expect(error).toContain('--models DIR');
    expect(stderr).not.toMatch(/\n\s+at /); // a crash would print a stack
  });

  it('warns, in a checkout, when src/ is newer than the bundle `npx squeezelens` runs there', async () => {
    // A checkout in miniature: package.json, src/, the bundle under dist/cli, the installed packages.
    const checkout = join(tmp, 'checkout');
    mkdirSync(join(checkout, 'dist', 'cli'), { recursive: true });
    mkdirSync(join(checkout, 'src', 'cli'), { recursive: true });
    writeFileSync(join(checkout, 'package.json'), JSON.stringify({ name: 'squeezelens', version: pkg.version }));
    writeFileSync(join(checkout, 'src', 'cli', 'main.ts'), '// edited after the build\n');
    symlinkSync(join(app, 'node_modules'), join(checkout, 'node_modules'));
    const bundle = join(checkout, 'dist', 'cli', 'squeezelens.mjs');
    cpSync(join(app, 'node_modules', 'squeezelens', 'dist', 'cli', 'squeezelens.mjs'), bundle);
    const version = async () => run(process.execPath, [bundle, '--version'], { cwd: checkout, env: userEnv() });

    const past = new Date(Date.now() - 3600_000);
    utimesSync(bundle, past, past);
    const stale = await version();
    expect(stale.stdout).toBe(`${pkg.version}\n`);
    expect(stale.stderr).toBe(
      'squeezelens: warning: src/cli/main.ts is newer than the bundle dist/cli/squeezelens.mjs: ' +
        "run 'npm run build:cli', or 'node bin/squeezelens.mjs' to run the sources\n",
    );
    const future = new Date(Date.now() + 3600_000);
    utimesSync(bundle, future, future);
    expect((await version()).stderr).toBe('');
  });
});

/**
 * `npm run build`: assembles the unpacked extension for Chrome in dist/chrome/ and for Firefox in
 * dist/firefox/ (what ships), and `buildTest()` their test twins in dist/chrome-test/ and
 * dist/firefox-test/: the same files, except that background.js is bundled from
 * src/background/test-hook/index.ts (Firefox: ./test-hook/firefox.ts), which adds the hook tests and
 * benchmarks drive (`self.__squeezelens`). The shipped background.js must not contain the hook, and
 * the popup must not contain TF.js: the build fails otherwise.
 *
 * Firefox gets the same files and its own manifest, generated from manifest.json (the Chrome one) by
 * firefoxManifest(): an event page (`background.scripts`) instead of a service worker, its
 * `browser_specific_settings.gecko`, no `offscreen` permission (its event page has a DOM, see
 * src/background/offscreen-client.ts) and no `key`; offscreen.{html,js} are left out.
 *
 *   background.js (+ .map)  src/background/index.ts bundled as one ES module (module service worker)
 *   content.js              src/capture/content.ts, one classic script (content scripts are not modules)
 *   popup.{html,js,css}     src/popup/       the action popup
 *   options.{html,js}       src/options/     the options page
 *   offscreen.{html,js}     src/offscreen/   rasterizes SVG for the worker (which cannot decode it)
 *   manifest.json           the project root's with package.json's version (Chrome); firefoxManifest() of it (Firefox)
 *   _locales/<lang>/messages.json  src/_locales: every string a user sees (src/shared/i18n.ts)
 *   wasm/*.wasm             the three TF.js WASM binaries (setWasmPaths points here: without them
 *                           the backend looks next to background.js and fails)
 *   models/*                build/models/* (packed weights + labels), built first if missing
 *   kernels/*.wasm          SqueezeLens's WebAssembly SIMD kernels (src/engine/kernels/simd-wat.ts)
 *   icons/*.png             committed icons (scripts/make-icons.ts)
 *
 * Module service workers may not use `import()` and must not use top-level await (Chrome starts
 * and closes such a worker at once, see docs/platform.md, "Module service workers"), so the build fails if either
 * appears in the bundle rather than shipping a worker that dies at startup.
 *
 * `build()` is exported for tests and benchmarks; running this file builds once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { loadSimdKernelsNode } from './src/engine/kernels/assemble-node.js';

export const ROOT = dirname(fileURLToPath(import.meta.url));
export const DIST = join(ROOT, 'dist', 'chrome');
export const DIST_TEST = join(ROOT, 'dist', 'chrome-test');
export const DIST_FIREFOX = join(ROOT, 'dist', 'firefox');
export const DIST_FIREFOX_TEST = join(ROOT, 'dist', 'firefox-test');

/** The add-on's id on Firefox (browser_specific_settings.gecko.id): what AMO and settings key it by. */
export const GECKO_ID = 'squeezelens@squeezelens.invalid';
/**
 * Oldest Firefox supported: 142, the first with `data_collection_permissions` on both desktop (140)
 * and Android (142: `web-ext lint` checks the Android version too, and the add-on declares no
 * separate `gecko_android`). storage.session (115), action.openPopup from a menu click (127), MV3
 * event pages and `background.type: "module"` are older. ESR 140 users are left out; ESR 153 is in.
 */
export const GECKO_MIN_VERSION = '142.0';

/** Files of the Chrome build that Firefox does not use (no offscreen documents there). */
const CHROME_ONLY_FILES = ['offscreen.html', 'offscreen.js', 'offscreen.js.map', 'offscreen.js.LEGAL.txt'];

type Manifest = Record<string, unknown> & { permissions?: string[]; background?: Record<string, unknown> };

/**
 * The Firefox manifest, made from the Chrome one. One manifest with both background keys would also
 * load in both (Chrome 121+ ignores `scripts` when `service_worker` is there, Firefox the reverse), but
 * each browser would still get keys it does not know (`key`, `minimum_chrome_version`, `offscreen` on
 * Firefox, which `web-ext lint` flags; `browser_specific_settings` on Chrome, which warns): generated
 * per browser, each store package says only what its browser reads.
 */
export function firefoxManifest(chromeManifest: Manifest): Manifest {
  const { background } = chromeManifest;
  if (background?.service_worker !== 'background.js')
    throw new Error('manifest.json: expected background.service_worker "background.js"');
  const out: Manifest = {};
  // Same keys in the same order, less Chrome's own.
  for (const [key, value] of Object.entries(chromeManifest)) {
    if (key === 'key' || key === 'minimum_chrome_version') continue;
    if (key === 'background') out.background = { scripts: ['background.js'], type: 'module' };
    else if (key === 'permissions') out.permissions = (value as string[]).filter((p) => p !== 'offscreen');
    else out[key] = value;
  }
  out.browser_specific_settings = {
    gecko: {
      id: GECKO_ID,
      strict_min_version: GECKO_MIN_VERSION,
      // Nothing is collected or transmitted: the only requests are for the image the user picks.
      data_collection_permissions: { required: ['none'] },
    },
  };
  return out;
}

/**
 * dist/firefox (or dist/firefox-test) from a finished Chrome build directory: the same pages and
 * data, the Firefox manifest, and background.js bundled from `entry` for Firefox.
 */
async function deriveFirefox(from: string, to: string, entry: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await cp(from, to, { recursive: true, filter: (src) => !CHROME_ONLY_FILES.includes(relative(from, src)) });
  const manifest = JSON.parse(await readFile(join(from, 'manifest.json'), 'utf8')) as Manifest;
  await writeFile(join(to, 'manifest.json'), `${JSON.stringify(firefoxManifest(manifest), null, 2)}\n`);
  await bundleBackground(entry, to, 'firefox');
  const background = await readFile(join(to, 'background.js'), 'utf8');
  if (/\boffscreen\.(createDocument|closeDocument|Reason)\b/.test(background))
    throw new Error(`${relative(ROOT, to)}/background.js uses chrome.offscreen, which Firefox does not have`);
}
const MODELS_BUILD = join(ROOT, 'build', 'models');
const WASM_DIR = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');

export const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;
export const MODEL_FILES = [
  'squeezenet1_1.float32.json',
  'squeezenet1_1.float32.bin',
  'squeezenet1_1.float16.json',
  'squeezenet1_1.float16.bin',
  'imagenet_classes.json',
] as const;

/**
 * Everything the build reads (besides node_modules), for staleness checks: if any of these is
 * newer than dist/chrome/background.js, the unpacked extension is out of date.
 */
export const BUILD_INPUTS = [
  'src',
  'manifest.json',
  'icons',
  'esbuild.config.ts',
  'package.json',
  'build/models',
] as const;

export interface BuildOptions {
  /** log progress (default true when run directly) */
  log?: (message: string) => void;
  /**
   * 'test': dist/chrome-test and dist/firefox-test, with the test hook (default 'product':
   * dist/chrome and dist/firefox)
   */
  variant?: 'product' | 'test';
}

export interface BuildResult {
  dir: string;
  bundleBytes: number;
  ms: number;
}

/**
 * In the extension chrome.i18n reads _locales itself: src/shared/i18n.ts's English fallback (for
 * Node: tests, the CLI) is left out of the bundles (37 KB, and content.js runs in every page).
 */
const NO_ENGLISH_FALLBACK: esbuild.Plugin = {
  name: 'no-english-fallback',
  setup(b) {
    b.onLoad({ filter: /[\\/]_locales[\\/]en[\\/]messages\.json$/ }, () => ({ contents: '{}', loader: 'json' }));
  },
};

async function ensureModels(log: (m: string) => void): Promise<void> {
  if (MODEL_FILES.every((f) => existsSync(join(MODELS_BUILD, f)))) return;
  log('build/models is incomplete: running scripts/build-models.ts');
  // A child process rather than an import: the models script does its work at top level.
  const tsxCli = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const r = spawnSync(process.execPath, [tsxCli, join(ROOT, 'scripts', 'build-models.ts')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`scripts/build-models.ts failed (exit ${r.status ?? r.signal})`);
  const missing = MODEL_FILES.filter((f) => !existsSync(join(MODELS_BUILD, f)));
  if (missing.length) throw new Error(`scripts/build-models.ts did not produce ${missing.join(', ')}`);
}

export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  await ensureModels(log);
  // Start clean so files removed from the sources do not linger in the package.
  await rm(DIST, { recursive: true, force: true });
  await mkdir(DIST, { recursive: true });

  await bundleBackground(join(ROOT, 'src', 'background', 'index.ts'), DIST);
  const shipped = await readFile(join(DIST, 'background.js'), 'utf8');
  if (shipped.includes('__squeezelens'))
    throw new Error('the shipped background.js contains the test hook (__squeezelens)');

  await buildPages();

  await writeFile(join(DIST, 'manifest.json'), `${JSON.stringify(await productManifest(), null, 2)}\n`);
  await cp(join(ROOT, 'src', '_locales'), join(DIST, '_locales'), { recursive: true });
  await mkdir(join(DIST, 'wasm'));
  for (const f of WASM_FILES) await cp(join(WASM_DIR, f), join(DIST, 'wasm', f));
  await mkdir(join(DIST, 'kernels'));
  await writeFile(join(DIST, 'kernels', 'simd-kernels.wasm'), await loadSimdKernelsNode());
  // The relaxed-SIMD build (fused multiply-add): used where the browser validates it (Chrome 114+,
  // Firefox 146+), the plain one otherwise (src/engine/kernels/ops.ts, provideSimdKernels).
  await writeFile(join(DIST, 'kernels', 'simd-kernels-relaxed.wasm'), await loadSimdKernelsNode('relaxed-simd'));
  await mkdir(join(DIST, 'models'));
  for (const f of MODEL_FILES) await cp(join(MODELS_BUILD, f), join(DIST, 'models', f));
  await cp(join(ROOT, 'icons'), join(DIST, 'icons'), { recursive: true, filter: (src) => !src.endsWith('.md') });

  await deriveFirefox(DIST, DIST_FIREFOX, join(ROOT, 'src', 'background', 'index.ts'));
  if ((await readFile(join(DIST_FIREFOX, 'background.js'), 'utf8')).includes('__squeezelens'))
    throw new Error('the shipped Firefox background.js contains the test hook (__squeezelens)');

  const bundleBytes = (await stat(join(DIST, 'background.js'))).size;
  const ms = performance.now() - t0;
  log(
    `built ${relative(ROOT, DIST)} and ${relative(ROOT, DIST_FIREFOX)} in ${ms.toFixed(0)} ms (background.js ${(bundleBytes / 1e6).toFixed(2)} MB)`,
  );
  return { dir: DIST, bundleBytes, ms };
}

/** dist/chrome-test: the product build with background.js bundled from the test-hook entry. */
export async function buildTest(options: BuildOptions = {}): Promise<BuildResult> {
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  await build(options);
  await rm(DIST_TEST, { recursive: true, force: true });
  await cp(DIST, DIST_TEST, { recursive: true });
  await bundleBackground(join(ROOT, 'src', 'background', 'test-hook', 'index.ts'), DIST_TEST);
  await deriveFirefox(DIST, DIST_FIREFOX_TEST, join(ROOT, 'src', 'background', 'test-hook', 'firefox.ts'));
  const bundleBytes = (await stat(join(DIST_TEST, 'background.js'))).size;
  const ms = performance.now() - t0;
  log(
    `built ${relative(ROOT, DIST_TEST)} and ${relative(ROOT, DIST_FIREFOX_TEST)} (with the test hook) in ${ms.toFixed(0)} ms`,
  );
  return { dir: DIST_TEST, bundleBytes, ms };
}

type Browser = 'chrome' | 'firefox';
/** esbuild targets: Chrome's = minimum_chrome_version, Firefox's = GECKO_MIN_VERSION. */
const TARGET: Record<Browser, string> = { chrome: 'chrome120', firefox: `firefox${parseInt(GECKO_MIN_VERSION, 10)}` };

async function bundleBackground(entry: string, dir: string, browser: Browser = 'chrome'): Promise<void> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: join(dir, 'background.js'),
    bundle: true,
    format: 'esm', // "type": "module" service worker (Firefox: module event page)
    platform: 'browser', // honours the TF.js packages' "browser" maps (fs, worker_threads… → empty)
    target: TARGET[browser],
    minify: true, // less to parse on every service-worker start (cold start)
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked', // TF.js / emscripten licence headers kept in background.js.LEGAL.txt
    metafile: true,
    logLevel: 'warning',
    // Fail the build on top-level await (kills a module service worker at startup).
    supported: { 'top-level-await': false },
    plugins: [NO_ENGLISH_FALLBACK],
    define: {
      'process.env.NODE_ENV': '"production"',
      // src/background/offscreen-client.ts: Firefox's bundle has no offscreen-document path.
      'process.env.SQUEEZELENS_BROWSER': JSON.stringify(browser),
    },
  });
  if (result.errors.length) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join('; ')}`);
  const dynamicImports = Object.entries(result.metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.kind === 'dynamic-import').map((i) => `${file} → ${i.path}`),
  );
  if (dynamicImports.length) {
    throw new Error(`import() is not allowed in a service worker, found: ${dynamicImports.join(', ')}`);
  }
}

/** Extension pages and the content script: small bundles, each self-contained. */
const PAGES: { entry: string; out: string; format: 'esm' | 'iife'; copy?: string[] }[] = [
  { entry: 'src/capture/content.ts', out: 'content.js', format: 'iife' },
  {
    entry: 'src/popup/popup.ts',
    out: 'popup.js',
    format: 'esm',
    copy: ['src/popup/popup.html', 'src/popup/popup.css', 'src/popup/tools.css'],
  },
  { entry: 'src/options/options.ts', out: 'options.js', format: 'esm', copy: ['src/options/options.html'] },
  { entry: 'src/offscreen/offscreen.ts', out: 'offscreen.js', format: 'esm', copy: ['src/offscreen/offscreen.html'] },
];

async function buildPages(): Promise<void> {
  for (const page of PAGES) {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [join(ROOT, page.entry)],
      outfile: join(DIST, page.out),
      bundle: true,
      format: page.format,
      platform: 'browser',
      target: 'chrome120',
      minify: true,
      sourcemap: 'linked',
      sourcesContent: false,
      legalComments: 'linked',
      logLevel: 'warning',
      // The popup's components are Preact JSX (.tsx).
      jsx: 'automatic',
      jsxImportSource: 'preact',
      metafile: true,
      plugins: [NO_ENGLISH_FALLBACK],
    });
    if (result.errors.length)
      throw new Error(`esbuild failed for ${page.entry}: ${result.errors.map((e) => e.text).join('; ')}`);
    // Only the worker runs the network: a page that bundles TF.js is a layering mistake (and 100 KB).
    const tf = Object.keys(result.metafile.inputs).filter((f) => f.includes('@tensorflow'));
    if (tf.length) throw new Error(`${page.entry} bundles TF.js (${tf.length} modules, e.g. ${tf[0]})`);
    for (const f of page.copy ?? []) await cp(join(ROOT, f), join(DIST, f.split('/').pop()!));
  }
}

async function newestMtime(path: string): Promise<number> {
  const s = await stat(path).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs; // a deleted file shows up as a newer directory
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

/** True when the build of this variant is missing or older than any build input. */
export async function isStale(variant: BuildOptions['variant'] = 'product'): Promise<boolean> {
  const dirs = variant === 'test' ? [DIST_TEST, DIST_FIREFOX_TEST] : [DIST, DIST_FIREFOX];
  for (const dir of dirs) {
    const out = await stat(join(dir, 'background.js')).catch(() => null);
    if (!out) return true;
    if (!existsSync(join(dir, 'manifest.json'))) return true;
    for (const input of BUILD_INPUTS) {
      if ((await newestMtime(join(ROOT, input))) > out.mtimeMs) return true;
    }
  }
  return false;
}

/** Builds only when stale; returns the extension directory of the variant. */
export async function ensureBuilt(options: BuildOptions = {}): Promise<string> {
  const variant = options.variant ?? 'product';
  if (await isStale(variant)) await (variant === 'test' ? buildTest(options) : build(options));
  return variant === 'test' ? DIST_TEST : DIST;
}

/** The version, in one place: package.json's (manifest.json in the repository has none). */
export async function packageVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** manifest.json with package.json's version (a manifest.json that states its own is refused). */
async function productManifest(): Promise<Manifest> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'manifest.json'), 'utf8')) as Manifest;
  if ('version' in manifest) throw new Error('manifest.json must not state a version: package.json has it');
  return { ...manifest, version: await packageVersion() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build({ log: (m) => console.log(m) });
}

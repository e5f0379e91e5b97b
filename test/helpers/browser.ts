/**
 * Launches Debian's Chromium with the unpacked extension (by default the test build,
 * dist/chrome-test, rebuilt first when stale) in a fresh temporary profile, and hands back its
 * service worker.
 *
 * Facts this relies on (docs/platform.md, "Chromium and Playwright", "WebGPU" and "Driving
 * Chromium headless"): Playwright's bundled browsers cannot be downloaded here, so playwright-core
 * drives /usr/bin/chromium; both --disable-extensions-except and --load-extension are needed;
 * --no-sandbox because tests run as root; --enable-unsafe-webgpu makes requestAdapter() return the
 * SwiftShader software adapter on these GPU-less machines (without it, it returns null).
 * Playwright attaches DevTools to the worker, so it is never idle-killed during a test: restarts
 * must be forced (stopServiceWorkers).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type CDPSession, chromium, type Page, type Worker } from 'playwright-core';
import { DIST, ensureBuilt } from '../../esbuild.config.js';
import type { SqueezeLensHook } from '../../src/background/test-hook/index.js';

/**
 * The id Chromium derives from manifest.json's `key` (first 128 bits of the SHA-256 of the DER
 * public key, hex digits mapped to a–p). Pinned so tests notice if the key changes: the id is
 * what users' settings and any allow-lists are keyed by.
 */
export const EXTENSION_ID = 'bdjbfpioiegjohjihknepeppagacbljo';

export const CHROMIUM = '/usr/bin/chromium';

export interface LaunchOptions {
  /**
   * unpacked extension directory (default: dist/chrome-test — the shipped build plus the test
   * hook — built when missing or stale)
   */
  dir?: string;
  /** pass --enable-unsafe-webgpu (default true; without it requestAdapter() is null here) */
  webgpu?: boolean;
  /** forwarded to the console of the test process, prefixed (default: off) */
  logServiceWorkerConsole?: boolean;
  /** default true; `npm start` opens a visible window when a display exists */
  headless?: boolean;
  /**
   * the browser's UI language, e.g. 'zh-CN' (default: the machine's, English here): --lang plus
   * LANGUAGE for Linux, where Chromium takes its locale from the environment; chrome.i18n follows
   * it only when the browser ships that locale (Debian: the chromium-l10n package)
   */
  lang?: string;
}

export interface LaunchedExtension {
  context: BrowserContext;
  sw: Worker;
  extensionId: string;
  /** the browser's version string, e.g. "156.0.8078.79" */
  browserVersion: string;
  close(): Promise<void>;
}

export function extensionIdOf(sw: Worker): string {
  return new URL(sw.url()).host;
}

/** Resolves the extension's service worker, waiting for it to (re)start if necessary. */
export async function waitForServiceWorker(
  context: BrowserContext,
  extensionId?: string,
  timeoutMs = 30_000,
): Promise<Worker> {
  const matches = (w: Worker) =>
    w.url().startsWith('chrome-extension://') && (!extensionId || extensionIdOf(w) === extensionId);
  const existing = context.serviceWorkers().find(matches);
  if (existing) return existing;
  return context.waitForEvent('serviceworker', { predicate: matches, timeout: timeoutMs });
}

export async function launchExtension(options: LaunchOptions = {}): Promise<LaunchedExtension> {
  // Build lines go to stderr: the benchmarks print their JSON report on stdout.
  const dir = options.dir ?? (await ensureBuilt({ variant: 'test', log: (m) => console.error(`[build] ${m}`) }));
  const profile = await mkdtemp(join(tmpdir(), 'squeezelens-profile-'));
  const args = [
    '--no-sandbox',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--disable-extensions-except=${dir}`,
    `--load-extension=${dir}`,
  ];
  if (options.webgpu ?? true) args.push('--enable-unsafe-webgpu');
  if (options.lang) args.push(`--lang=${options.lang}`);
  const env = options.lang
    ? { ...process.env, LANGUAGE: options.lang.replace('-', '_'), LANG: `${options.lang.replace('-', '_')}.UTF-8` }
    : undefined;
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: options.headless ?? true,
      args,
      ...(env ? { env, locale: options.lang } : {}),
      viewport: options.headless === false ? null : undefined,
    });
    if (options.logServiceWorkerConsole) {
      const attach = (w: Worker) => w.on('console', (m) => console.log(`[sw ${m.type()}] ${m.text()}`));
      context.serviceWorkers().forEach(attach);
      context.on('serviceworker', attach);
    }
    const sw = await waitForServiceWorker(context);
    const extensionId = extensionIdOf(sw);
    const browserVersion = context.browser()?.version() ?? (await browserVersionOf(context));
    const ctx = context;
    return {
      context: ctx,
      sw,
      extensionId,
      browserVersion,
      async close() {
        await ctx.close().catch(() => {});
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

async function withCdp<T>(context: BrowserContext, fn: (cdp: CDPSession) => Promise<T>): Promise<T> {
  // CDP sessions hang off a page; a persistent context always has at least one.
  const page: Page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  try {
    return await fn(cdp);
  } finally {
    await cdp.detach().catch(() => {});
  }
}

async function browserVersionOf(context: BrowserContext): Promise<string> {
  // launchPersistentContext has no Browser object; ask the browser itself.
  return withCdp(context, async (cdp) => {
    const v = (await cdp.send('Browser.getVersion')) as { product: string };
    return v.product.replace(/^[^/]*\//, '');
  });
}

/**
 * Stops every service worker (what Chrome does to an idle extension worker after ~30 s), so
 * tests can check that state is rebuilt lazily. The next extension event starts a fresh worker.
 */
export async function stopServiceWorkers(context: BrowserContext): Promise<void> {
  await withCdp(context, async (cdp) => {
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
  });
}

/**
 * Asks DevTools to start the extension's worker. A stopped extension worker has no event to wake
 * it here (it registers no listeners yet), so it is started by scope, as an event would.
 * Playwright keeps the same Worker object across such a restart (same DevTools target), and
 * evaluate() waits for the new worker's context.
 */
export async function startServiceWorker(context: BrowserContext, extensionId: string): Promise<void> {
  await withCdp(context, async (cdp) => {
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.startWorker', { scopeURL: `chrome-extension://${extensionId}/` });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** performance.timeOrigin of the worker (changes with every worker start), or null if it does not answer in time. */
async function timeOriginOf(sw: Worker, timeoutMs: number): Promise<number | null> {
  const answer = sw.evaluate(() => performance.timeOrigin).catch(() => null);
  return Promise.race([answer, sleep(timeoutMs).then(() => null)]);
}

/**
 * Stops the extension's worker and starts a fresh one; resolves with it once it answers with a
 * new time origin (proof that it is a new worker, with empty memory).
 */
export async function restartServiceWorker(
  context: BrowserContext,
  extensionId: string,
  timeoutMs = 30_000,
): Promise<Worker> {
  const before = await waitForServiceWorker(context, extensionId);
  const oldOrigin = await timeOriginOf(before, 5_000);
  await stopServiceWorkers(context);
  await startServiceWorker(context, extensionId);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const w of context.serviceWorkers().filter((w) => extensionIdOf(w) === extensionId)) {
      const origin = await timeOriginOf(w, 2_000);
      if (origin !== null && origin !== oldOrigin) return w;
    }
    await sleep(50);
  }
  throw new Error(`the service worker of ${extensionId} did not restart within ${timeoutMs} ms`);
}

/**
 * Calls a method of the worker's test hook (`self.__squeezelens`, src/background/test-hook/index.ts;
 * only in the test build).
 * Arguments and results cross as JSON-like values; errors thrown in the worker reject here
 * with their message.
 */
export async function callHook<M extends keyof SqueezeLensHook>(
  sw: Worker,
  method: M,
  ...args: Parameters<SqueezeLensHook[M]>
): Promise<Awaited<ReturnType<SqueezeLensHook[M]>>> {
  const result = await sw.evaluate(
    async ([name, callArgs]) => {
      const hook = (globalThis as unknown as { __squeezelens?: Record<string, (...a: unknown[]) => unknown> })
        .__squeezelens;
      if (!hook) throw new Error('the SqueezeLens test hook (self.__squeezelens) is not installed in this worker');
      return hook[name](...callArgs);
    },
    [method as string, args as unknown[]] as const,
  );
  return result as Awaited<ReturnType<SqueezeLensHook[M]>>;
}

/** A float32 array as base64 of its little-endian bytes (the hook's compact input format). */
export function toBase64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

export function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.length); // aligned
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export { DIST };

/**
 * Finding the model data in Node, in this order:
 *   1. an explicit directory (option or SQUEEZELENS_MODELS_DIR), laid out like ../shared/models;
 *   2. ../shared/models beside the project (this environment);
 *   3. a download cache (SQUEEZELENS_CACHE_DIR or ~/.cache/squeezelens), filled from the pinned
 *      URLs in models/squeezenet1_1.sources.json (or SQUEEZELENS_MODELS_BASE_URL + path, for a
 *      mirror), every file checked against its SHA-256 before it is used.
 * A missing, truncated or altered file is an error that names the file; we never fall through
 * to the next source on a bad file, so what runs is always what was pinned.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceFile, SourcesManifest } from './model-sources.js';

export class ModelDataError extends Error {}

export type ModelDataOrigin = 'explicit' | 'shared' | 'download';

export interface ResolvedModelData {
  root: string;
  origin: ModelDataOrigin;
  /** absolute path of each manifest entry, verified */
  files: Map<string, string>;
}

export interface ResolveOptions {
  dir?: string;
  /** where to look for ../shared/models; null skips that step (tests of the download path) */
  sharedDir?: string | null;
  cacheDir?: string;
  baseUrl?: string;
  /** set false to forbid network access (resolution then fails instead of downloading) */
  allowDownload?: boolean;
  fetchImpl?: typeof fetch;
  log?: (message: string) => void;
  env?: Record<string, string | undefined>;
}

/** The project root: the nearest ancestor of this file with our package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"name":\s*"squeezelens"/.test(readFileSync(pkg, 'utf8'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new ModelDataError('cannot locate the squeezelens project root');
    dir = up;
  }
}

export function loadSourcesManifest(): SourcesManifest {
  return JSON.parse(
    readFileSync(join(projectRoot(), 'models', 'squeezenet1_1.sources.json'), 'utf8'),
  ) as SourcesManifest;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkBytes(entry: SourceFile, bytes: Uint8Array, where: string): void {
  if (bytes.length !== entry.bytes) {
    throw new ModelDataError(
      `${entry.path} (${where}): expected ${entry.bytes} bytes, ` +
        `found ${bytes.length}${bytes.length < entry.bytes ? ' (truncated)' : ''}`,
    );
  }
  const got = sha256(bytes);
  if (got !== entry.sha256)
    throw new ModelDataError(`${entry.path} (${where}): SHA-256 mismatch: expected ${entry.sha256}, got ${got}`);
}

async function verifyDir(root: string, manifest: SourcesManifest, origin: ModelDataOrigin): Promise<ResolvedModelData> {
  const files = new Map<string, string>();
  for (const entry of manifest.files) {
    const path = join(root, entry.path);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch {
      throw new ModelDataError(`${entry.path}: missing from the model directory ${root}`);
    }
    checkBytes(entry, bytes, path);
    files.set(entry.path, path);
  }
  return { root, origin, files };
}

export async function resolveModelData(options: ResolveOptions = {}): Promise<ResolvedModelData> {
  const env = options.env ?? process.env;
  const manifest = loadSourcesManifest();
  const explicit = options.dir ?? env.SQUEEZELENS_MODELS_DIR;
  if (explicit) return verifyDir(resolve(explicit), manifest, 'explicit');

  const shared = options.sharedDir === undefined ? resolve(projectRoot(), '..', 'shared', 'models') : options.sharedDir;
  if (shared !== null && existsSync(shared)) return verifyDir(shared, manifest, 'shared');

  const cache = resolve(options.cacheDir ?? env.SQUEEZELENS_CACHE_DIR ?? join(homedir(), '.cache', 'squeezelens'));
  const baseUrl = options.baseUrl ?? env.SQUEEZELENS_MODELS_BASE_URL;
  const fetchImpl = options.fetchImpl ?? fetch;
  const files = new Map<string, string>();
  for (const entry of manifest.files) {
    const path = join(cache, entry.path);
    if (existsSync(path)) {
      const bytes = await readFile(path);
      if (bytes.length === entry.bytes && sha256(bytes) === entry.sha256) {
        files.set(entry.path, path);
        continue;
      }
      options.log?.(`${entry.path}: cached copy does not match its checksum; downloading again`);
    }
    if (options.allowDownload === false) {
      throw new ModelDataError(
        `${entry.path}: not found locally (looked in ${shared ?? 'no shared directory'} and ${cache}) ` +
          'and downloading is disabled',
      );
    }
    const url = baseUrl ? `${baseUrl.replace(/\/$/, '')}/${entry.path}` : entry.url;
    options.log?.(`downloading ${entry.path} from ${url}`);
    // Said when a download fails, the first thing a fresh install without network meets: where we looked, what to do.
    const hint =
      ` (no model data in ${shared ?? 'a shared directory'} or the cache ${cache}; ` +
      'a local copy can be given with --models DIR or SQUEEZELENS_MODELS_DIR)';
    let response: Response;
    try {
      response = await fetchImpl(url);
    } catch (error) {
      throw new ModelDataError(`${entry.path}: download from ${url} failed: ${(error as Error).message}${hint}`);
    }
    if (!response.ok)
      throw new ModelDataError(`${entry.path}: download from ${url} failed: HTTP ${response.status}${hint}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    checkBytes(entry, bytes, url);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.part-${process.pid}`;
    await writeFile(tmp, bytes);
    await rename(tmp, path); // atomic: a crash never leaves a half-written file under the real name
    files.set(entry.path, path);
  }
  return { root: cache, origin: 'download', files };
}

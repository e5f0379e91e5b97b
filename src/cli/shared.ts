/** What the CLI commands share: engine options, reading images, writing PNGs, progress, classes. */
import { readFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeBackend } from '../engine/backend.js';
import { decodeImage } from '../engine/decode-node.js';
import { projectRoot } from '../engine/model-data-node.js';
import { loadEngineNode, type NodeEngine } from '../engine/node.js';
import {
  type Preprocessed,
  type PreprocessMode,
  preprocess,
  preprocessWhole,
  type RgbaImage,
} from '../engine/preprocess.js';
import { parseTarget, resolveTarget, TargetError } from '../methods/attack/targets.js';
import { type PixelImage, type Progress, pixelImage } from '../methods/common.js';
import { encodePng, type PngImage } from '../render/png.js';

export class UsageError extends Error {}

/** The version is package.json's (one place), read where the code runs: a checkout or the installed package. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function fail(message: string): never {
  throw new UsageError(message);
}

/** Options every command takes (parseArgs config). */
export const ENGINE_OPTIONS = {
  json: { type: 'boolean', default: false },
  backend: { type: 'string', default: 'wasm' },
  weights: { type: 'string', default: 'float32' },
  models: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const ENGINE_HELP = `Common options:
  --json                     machine-readable output (one JSON object per line on stdout)
  --backend wasm|cpu         TF.js backend (default wasm: SIMD, 1 thread; cpu is ~35× slower)
  --weights float32|float16  weight storage (default float32)
  --models DIR               model data laid out like ../shared/models (else $SQUEEZELENS_MODELS_DIR,
                             ../shared/models, or a verified download)
  -h, --help                 this help`;

export interface EngineArgs {
  json: boolean;
  backend: string;
  weights: string;
  models?: string;
}

/** Usage errors in the engine options, found before anything is loaded. */
export function checkEngineArgs(args: EngineArgs): void {
  if (args.backend !== 'wasm' && args.backend !== 'cpu') fail(`--backend must be wasm or cpu, got '${args.backend}'`);
  if (args.weights !== 'float32' && args.weights !== 'float16')
    fail(`--weights must be float32 or float16, got '${args.weights}'`);
}

export async function engineFrom(args: EngineArgs): Promise<NodeEngine> {
  checkEngineArgs(args);
  return loadEngineNode({
    backend: args.backend as 'wasm' | 'cpu',
    weights: args.weights as 'float32' | 'float16',
    data: { dir: args.models, log: (m) => process.stderr.write(`squeezelens: ${m}\n`) },
  });
}

export function backendText(engine: NodeEngine): string {
  return describeBackend(engine.backend);
}

/**
 * Larger files are refused before they are read: even stored uncompressed (24-bit BMP), an image
 * at the 100-megapixel limit is 300 MB. (The extension stops downloads at 64 MB.) Devices and
 * FIFOs are refused too: reading /dev/zero would never end.
 */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

export async function readImage(file: string): Promise<RgbaImage> {
  let bytes: Uint8Array;
  try {
    const info = await stat(file);
    if (!info.isFile() && !info.isDirectory()) throw new Error(`${file}: cannot read (not a regular file)`);
    if (info.size > MAX_FILE_BYTES) {
      const mb = (info.size / 2 ** 20).toFixed(0);
      throw new Error(`${file}: too large (${mb} MB; the limit is ${MAX_FILE_BYTES / 2 ** 20} MB)`);
    }
    bytes = await readFile(file);
  } catch (error) {
    if (!(error as NodeJS.ErrnoException).code) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `${file}: cannot read (${
        code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message
      })`,
    );
  }
  return decodeImage(bytes, file);
}

export interface LoadedImage {
  file: string;
  rgba: RgbaImage;
  pre: Preprocessed;
  /** the network view in pixel units, for the methods (224×224, or the whole picture: loadImageWhole) */
  pixels: PixelImage;
}

/** The whole picture at its aspect ratio, smallest side `size` (the synthesis methods, as CS231n). */
export async function loadImageWhole(file: string, size: number): Promise<LoadedImage> {
  const rgba = await readImage(file);
  const pre = preprocessWhole(rgba, size);
  return { file, rgba, pre, pixels: { width: pre.width, height: pre.height, data: Float32Array.from(pre.pixels) } };
}

/** A synthesis size option (smallest side in pixels) within its catalog range, or a usage error. */
export function sizeOption(
  name: string,
  text: string | undefined,
  range: { default: number; min: number; max: number },
): number {
  if (text === undefined) return range.default;
  const value = Number(text);
  if (!Number.isInteger(value) || value < range.min || value > range.max)
    fail(
      `--${name} must be a whole number of pixels from ${range.min} to ${range.max} (the picture's smallest side), got '${text}'`,
    );
  return value;
}

export async function loadImage(file: string, mode: PreprocessMode = 'crop'): Promise<LoadedImage> {
  const rgba = await readImage(file);
  const pre = preprocess(rgba, mode);
  return { file, rgba, pre, pixels: pixelImage(pre.pixels) };
}

export function parseMode(text: string): PreprocessMode {
  if (text !== 'crop' && text !== 'fit') fail(`--preprocess must be crop or fit, got '${text}'`);
  return text;
}

export async function writePng(path: string, image: PngImage): Promise<void> {
  await writeFile(path, await encodePng(image));
}

/** A number option within bounds, or a usage error naming it. */
export function numberOption(
  name: string,
  text: string | undefined,
  fallback: number,
  { min = -Infinity, max = Infinity, integer = false } = {},
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    fail(
      `--${name} must be ${integer ? 'an integer' : 'a number'}` +
        `${min > -Infinity ? ` ≥ ${min}` : ''}${max < Infinity ? ` and ≤ ${max}` : ''}, got '${text}'`,
    );
  }
  return value;
}

/** A class given by name or index (for saliency/visualize; fool also accepts least-likely/random). */
export function classArg(
  text: string,
  labels: readonly string[],
  probs: ArrayLike<number> = new Float32Array(labels.length),
): { index: number; label: string; note?: string } {
  try {
    const target = resolveTarget(parseTarget(text), labels, probs);
    const note = target.ambiguous
      ? `"${text}" matches several classes; using ${target.label} (${target.index})`
      : undefined;
    return { index: target.index, label: target.label, note };
  } catch (error) {
    if (error instanceof TargetError) fail(error.message);
    throw error;
  }
}

/** Progress on stderr as one updating line, only for a terminal and never in --json mode. */
export function progressPrinter(json: boolean, what: string): (p: Progress) => void {
  if (json || !process.stderr.isTTY) return () => {};
  return (p) => {
    const width = 24;
    const filled = Math.round((width * Math.min(p.step, p.total)) / Math.max(1, p.total));
    process.stderr.write(
      `\r${what} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
        `${p.step}/${p.total}${p.message ? ` ${p.message}` : ''}   `,
    );
    if (p.step >= p.total) process.stderr.write('\n');
  };
}

export function round(value: number, digits = 6): number {
  return Number(value.toFixed(digits));
}

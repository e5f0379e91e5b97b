/**
 * Batch work for `classify` (and any command with a per-file task): directories and globs as
 * inputs, N engines in worker threads, results in input order as soon as they are ready, a progress
 * bar on a terminal, and one bad file never stopping the batch.
 *
 * A worker is the command's own entry script started again as a worker thread (bin.ts sees
 * `isMainThread` false and calls runWorker): the same code in a checkout (bin/squeezelens.mjs, tsx)
 * and in the installed bundle, with no second file to ship. Each worker loads its own engine (TF.js
 * keeps one backend per thread) and decodes and runs one file at a time; the main thread only hands
 * out file names and prints.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { resolveModelData } from '../engine/model-data-node.js';
import type { NodeEngine } from '../engine/node.js';
import { checkEngineArgs, type EngineArgs, engineFrom } from './shared.js';

/** Extensions a directory is searched for (files named explicitly are tried whatever their name). */
const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|gif|avif|bmp)$/i;
const GLOB_CHARS = /[*?[{]/;

/** One input after expansion: a file to run, or an argument that named nothing (reported in its place). */
export type BatchInput = { file: string } | { file: string; error: string };

/** Every file under a directory, recursively, in a stable order; hidden entries skipped. */
function walk(dir: string, out: string[] = []): string[] {
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/**
 * A glob (`*`, `?`, `[…]`, `{a,b}`, `**` for any depth) as a RegExp over '/'-separated paths.
 * Ours because Node 20, our minimum, has neither fs.glob nor path.matchesGlob.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // '**/' matches zero or more directories; a trailing '**' anything
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((alt) =>
            alt
              .replace(/[.+^$()|\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('|')})`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\\]}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The command's arguments as files, in order: a directory gives its image files (recursively, by
 * name); an argument that is not an existing path and has glob characters is matched as a glob
 * (quoted, so the shell did not expand it); anything else is a file, tried as given. A directory
 * or glob that gives nothing is reported in its place.
 */
export function expandInputs(args: readonly string[]): BatchInput[] {
  const inputs: BatchInput[] = [];
  for (const arg of args) {
    if (existsSync(arg) && statSync(arg).isDirectory()) {
      const files = walk(arg).filter((f) => IMAGE_EXTENSIONS.test(f));
      if (files.length) inputs.push(...files.map((file) => ({ file })));
      else inputs.push({ file: arg, error: `${arg}: no image files in this directory` });
    } else if (!existsSync(arg) && GLOB_CHARS.test(arg)) {
      const files = globFiles(arg);
      if (files.length) inputs.push(...files.map((file) => ({ file })));
      else inputs.push({ file: arg, error: `${arg}: no files match` });
    } else inputs.push({ file: arg });
  }
  return inputs;
}

function globFiles(pattern: string): string[] {
  const posix = pattern.split(sep).join('/');
  const segments = posix.split('/');
  const fixed = segments.findIndex((s) => GLOB_CHARS.test(s));
  // Walk from the longest prefix without glob characters ('' for a relative pattern: '.').
  const baseText = segments.slice(0, fixed).join('/');
  const base = baseText === '' ? (posix.startsWith('/') ? '/' : '.') : baseText;
  if (!existsSync(base) || !statSync(base).isDirectory()) return [];
  const re = globToRegExp(segments.slice(fixed).join('/'));
  return walk(base).filter((file) => re.test(relative(resolve(base), resolve(file)).split(sep).join('/')));
}

export function defaultJobs(): number {
  return availableParallelism();
}

/**
 * What a command runs on each file, in the main thread (one job) or in a worker (several). Either
 * step throws for that file alone (the batch goes on). Reading comes first and needs no engine, so
 * with one job a file that cannot be read is reported before the model is loaded.
 */
export interface BatchTask<Options, Loaded, Result> {
  read(file: string, options: Options): Promise<Loaded>;
  run(engine: NodeEngine, loaded: Loaded, options: Options): Promise<Result>;
}

/** The tasks a worker can run, by name (filled by the commands that batch). */
const TASKS = new Map<string, BatchTask<unknown, unknown, unknown>>();

export function registerBatchTask<O, L, R>(name: string, task: BatchTask<O, L, R>): void {
  TASKS.set(name, task as BatchTask<unknown, unknown, unknown>);
}

/** The script a worker starts from: the command's own entry (set by bin.ts). */
let workerEntry: string | undefined;

export function setWorkerEntry(path: string): void {
  workerEntry = path;
}

interface WorkerSetup {
  squeezelensBatch: { task: string; engine: EngineArgs; options: unknown };
}

type ToWorker = { index: number; file: string } | { done: true };
type FromWorker =
  | { ready: true }
  | { index: number; result: unknown }
  | { index: number; error: string }
  | { fatal: string };

/** True when this thread was started as a batch worker (bin.ts then runs runWorker, not main). */
export function isBatchWorker(): boolean {
  return !isMainThread && Boolean((workerData as WorkerSetup | undefined)?.squeezelensBatch);
}

/** The worker's side: load the engine once, then run each file the main thread sends. */
export async function runWorker(): Promise<void> {
  const { task: name, engine: engineArgs, options } = (workerData as WorkerSetup).squeezelensBatch;
  const port = parentPort!;
  const send = (message: FromWorker) => port.postMessage(message);
  let engine: NodeEngine;
  const task = TASKS.get(name);
  try {
    if (!task) throw new Error(`no batch task '${name}'`);
    engine = await engineFrom(engineArgs);
  } catch (error) {
    send({ fatal: (error as Error).message });
    return;
  }
  send({ ready: true });
  port.on('message', async (message: ToWorker) => {
    if ('done' in message) {
      engine.model.dispose();
      port.close();
      return;
    }
    try {
      const loaded = await task.read(message.file, options);
      send({ index: message.index, result: await task.run(engine, loaded, options) });
    } catch (error) {
      send({ index: message.index, error: (error as Error).message });
    }
  });
}

export interface BatchEvents<Result> {
  /** called in input order, each file once, as soon as it and every file before it are done */
  onResult(file: string, result: Result): void;
  onError(file: string, message: string): void;
}

export interface BatchOptions<Options> {
  task: string;
  engine: EngineArgs;
  options: Options;
  jobs: number;
  /** where the progress bar goes; drawn only when it is a terminal */
  progress?: NodeJS.WriteStream;
  /** how a result is counted in the progress bar, e.g. 'photos' */
  unit?: string;
}

/** A one-line progress bar on stderr: only on a terminal, cleared before anything else is printed. */
class ProgressBar {
  private shown = false;
  private readonly t0 = performance.now();

  constructor(
    private readonly stream: NodeJS.WriteStream | undefined,
    private readonly total: number,
    private readonly unit: string,
  ) {}

  get active(): boolean {
    return Boolean(this.stream?.isTTY) && this.total > 1;
  }

  draw(done: number): void {
    if (!this.active) return;
    const width = 24;
    const filled = Math.round((width * done) / this.total);
    const seconds = (performance.now() - this.t0) / 1000;
    const rate = done / Math.max(seconds, 1e-3);
    this.stream!.write(
      `\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ` +
        `${rate.toFixed(1)} ${this.unit}/s`,
    );
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream!.write('\r\x1b[K');
    this.shown = false;
  }
}

/**
 * Runs the named task over the inputs with `jobs` engines (at most one per file). With one job
 * it runs in this thread, loading the engine when the first file is reached, as the single-file
 * command always has. An engine that cannot load (no model data) is an error for the whole command.
 */
export async function runBatch<Options, Result>(
  inputs: readonly BatchInput[],
  batch: BatchOptions<Options>,
  events: BatchEvents<Result>,
): Promise<void> {
  const task = TASKS.get(batch.task) as BatchTask<Options, unknown, Result> | undefined;
  if (!task) throw new Error(`no batch task '${batch.task}'`);
  checkEngineArgs(batch.engine);
  const runnable = inputs.filter((i) => !('error' in i)).length;
  const bar = new ProgressBar(batch.progress, inputs.length, batch.unit ?? 'files');
  // Results are printed in input order: each waits here until everything before it is printed.
  const settled = new Map<number, () => void>();
  let next = 0;
  const settle = (index: number, print: () => void) => {
    settled.set(index, () => {
      bar.clear();
      print();
    });
    while (settled.has(next)) {
      settled.get(next)!();
      settled.delete(next);
      next++;
    }
    bar.draw(next);
  };
  const finish = (index: number, outcome: { result: Result } | { error: string }) =>
    settle(index, () =>
      'error' in outcome
        ? events.onError(inputs[index].file, outcome.error)
        : events.onResult(inputs[index].file, outcome.result),
    );
  inputs.forEach((input, index) => {
    if ('error' in input) finish(index, { error: input.error });
  });

  const jobs = Math.max(1, Math.min(batch.jobs, runnable));
  if (jobs === 1 || !workerEntry) {
    let engine: NodeEngine | undefined;
    try {
      for (const [index, input] of inputs.entries()) {
        if ('error' in input) continue;
        let loaded: unknown;
        try {
          loaded = await task.read(input.file, batch.options);
        } catch (error) {
          finish(index, { error: (error as Error).message });
          continue;
        }
        engine ??= await engineFrom(batch.engine);
        try {
          finish(index, { result: await task.run(engine, loaded, batch.options) });
        } catch (error) {
          finish(index, { error: (error as Error).message });
        }
      }
    } finally {
      engine?.model.dispose();
      bar.clear();
    }
    return;
  }

  // The model data is found (downloaded if need be, with its messages) and verified once, here;
  // the workers then read it from that directory.
  const data = await resolveModelData({
    dir: batch.engine.models,
    log: (m) => process.stderr.write(`squeezelens: ${m}\n`),
  });
  const workerEngine: EngineArgs = { ...batch.engine, models: data.root };
  const queue = inputs.flatMap((input, index) => ('error' in input ? [] : [{ index, file: input.file }]));
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolveAll, rejectAll) => {
      let received = 0;
      for (let w = 0; w < jobs; w++) {
        const worker = new Worker(workerEntry!, {
          workerData: {
            squeezelensBatch: { task: batch.task, engine: workerEngine, options: batch.options },
          } satisfies WorkerSetup,
        });
        workers.push(worker);
        let busy: string | undefined; // the file this worker is on
        const feed = () => {
          const item = queue.shift();
          busy = item?.file;
          worker.postMessage((item ?? { done: true }) satisfies ToWorker);
        };
        worker.on('message', (message: FromWorker) => {
          if ('fatal' in message) rejectAll(new Error(message.fatal));
          else if ('ready' in message) feed();
          else {
            busy = undefined;
            finish(message.index, 'error' in message ? { error: message.error } : { result: message.result as Result });
            if (++received === runnable) resolveAll();
            else feed();
          }
        });
        worker.on('error', rejectAll);
        // A worker that is told it is done exits; one that exits while on a file crashed.
        worker.on('exit', (code) => {
          if (busy !== undefined) rejectAll(new Error(`a batch worker stopped (exit code ${code}) on ${busy}`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    bar.clear();
  }
}

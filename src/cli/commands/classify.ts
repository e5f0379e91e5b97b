/** squeezelens classify [options] <images, directories or globs…> */
import { parseArgs } from 'node:util';
import { describeBackend } from '../../engine/backend.js';
import type { PreprocessMode, RgbaImage } from '../../engine/preprocess.js';
import type { BackendReport } from '../../shared/backend.js';
import { defaultJobs, expandInputs, registerBatchTask, runBatch } from '../batch.js';
import {
  checkEngineArgs,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  fail,
  numberOption,
  parseMode,
  readImage,
  round,
} from '../shared.js';

export const CLASSIFY_HELP = `Usage: squeezelens classify [options] <images, directories or globs…>

Classify images (JPEG, PNG, WebP, GIF, AVIF, BMP) with SqueezeNet 1.1 (ImageNet, 1000 classes), locally.
A directory means every image file under it (by extension, recursively, in name order); a quoted
glob ('photos/**/*.jpg') is matched here. Results come in input order, as soon as they are ready.

Options:
  --preprocess crop|fit  crop: short side → 256, centre 224×224 crop (default, as the model was
                         evaluated); fit: the whole image stretched to 224×224. An image already
                         224×224 is used as is.
  --topk N               number of classes to show (default 5)
  --jobs N               engines run in parallel, in worker threads (default: the number of cores,
                         ${defaultJobs()} here; never more than the number of files)
With --json: one object per file, {"file","backend","kernels","top5":[{"index","label","prob"}],"ms"}
("kernels": which SIMD kernel build ran on wasm, "simd128" or "relaxed-simd");
a file that fails gives {"file","error"} in its place and the others go on. Exit status 1 if any
file failed. On a terminal, a progress bar on stderr.
${ENGINE_HELP}`;

interface ClassifyOptions {
  topk: number;
  preprocess: PreprocessMode;
}

interface Classified {
  backend: BackendReport;
  top: { index: number; label: string; prob: number }[];
  ms: number;
}

/** One file: decoded first (no engine needed), then classified; what the batch runner runs per file. */
registerBatchTask<ClassifyOptions, RgbaImage, Classified>('classify', {
  read: (file) => readImage(file),
  async run(engine, image, options) {
    const result = await engine.classifier.classify(image, { topk: options.topk, preprocess: options.preprocess });
    return {
      backend: engine.backend,
      top: result.top.map((t) => ({ index: t.index, label: t.label, prob: t.prob })),
      ms: result.ms,
    };
  },
});

export async function classifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      preprocess: { type: 'string', default: 'crop' },
      topk: { type: 'string', default: '5' },
      jobs: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${CLASSIFY_HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) fail('classify needs at least one image file');
  const options: ClassifyOptions = {
    preprocess: parseMode(values.preprocess),
    topk: numberOption('topk', values.topk, 5, { min: 1, max: 1000, integer: true }),
  };
  const jobs = numberOption('jobs', values.jobs, defaultJobs(), { min: 1, max: 256, integer: true });
  checkEngineArgs(values);
  let failures = 0;
  await runBatch<ClassifyOptions, Classified>(
    expandInputs(positionals),
    { task: 'classify', engine: values, options, jobs, progress: process.stderr, unit: 'images' },
    {
      onError(file, message) {
        failures++;
        process.stderr.write(`squeezelens: error: ${message}\n`);
        if (values.json) process.stdout.write(`${JSON.stringify({ file, error: message })}\n`);
      },
      onResult(file, result) {
        if (values.json) {
          const top5 = result.top.map((t) => ({ index: t.index, label: t.label, prob: round(t.prob) }));
          process.stdout.write(
            `${JSON.stringify({ file, backend: result.backend.backend, kernels: result.backend.kernelBuild, top5, ms: round(result.ms, 2) })}\n`,
          );
        } else {
          process.stdout.write(`${file}  [${describeBackend(result.backend)}, ${result.ms.toFixed(1)} ms]\n`);
          for (const [i, t] of result.top.entries()) {
            const prob = (t.prob * 100).toFixed(1).padStart(5);
            process.stdout.write(`  ${String(i + 1).padStart(2)}. ${prob}%  ${t.label} (${t.index})\n`);
          }
        }
      },
    },
  );
  return failures > 0 ? 1 : 0;
}

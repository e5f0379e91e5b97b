/**
 * `squeezelens` command line, on the same engine as the extension.
 *   squeezelens classify [--json] [--backend wasm|cpu] [--preprocess crop|fit]
 *                        [--weights float32|float16] [--models DIR] [--topk N] <image files…>
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { describeBackend } from '../engine/backend.js';
import { decodeImage } from '../engine/decode-node.js';
import { loadEngineNode } from '../engine/node.js';

const USAGE = `Usage: squeezelens classify [options] <image files…>

Classify JPEG/PNG images with SqueezeNet 1.1 (ImageNet, 1000 classes), locally.

Options:
  --json                 one JSON object per line: {"file","backend","top5":[{"index","label","prob"}],"ms"}
  --backend wasm|cpu     TF.js backend (default wasm: SIMD, 1 thread; cpu is ~35× slower)
  --preprocess crop|fit  crop: short side → 256, centre 224×224 crop (default, as the model was
                         evaluated); fit: the whole image stretched to 224×224
  --weights float32|float16  weight storage (default float32)
  --models DIR           model data directory laid out like ../shared/models (else
                         $SQUEEZELENS_MODELS_DIR, ../shared/models, or a verified download)
  --topk N               number of classes to show (default 5)
  -h, --help             this help

Exit status: 0 if every file was classified, 1 if any file failed, 2 on a usage error.`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        backend: { type: 'string', default: 'wasm' },
        preprocess: { type: 'string', default: 'crop' },
        weights: { type: 'string', default: 'float32' },
        models: { type: 'string' },
        topk: { type: 'string', default: '5' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`squeezelens: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  const [command, ...files] = positionals;
  try {
    if (command !== 'classify') fail(`unknown command '${command}' (available: classify)`);
    if (files.length === 0) fail('classify needs at least one image file');
    const backend = values.backend;
    if (backend !== 'wasm' && backend !== 'cpu') fail(`--backend must be wasm or cpu, got '${backend}'`);
    const mode = values.preprocess;
    if (mode !== 'crop' && mode !== 'fit') fail(`--preprocess must be crop or fit, got '${mode}'`);
    const weights = values.weights;
    if (weights !== 'float32' && weights !== 'float16') fail(`--weights must be float32 or float16, got '${weights}'`);
    const topk = Number(values.topk);
    if (!Number.isInteger(topk) || topk < 1 || topk > 1000) fail(`--topk must be an integer from 1 to 1000, got '${values.topk}'`);
    return await classifyFiles(files, { json: values.json, backend, mode, weights, topk, models: values.models });
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`squeezelens: ${error.message}\n\nRun 'squeezelens --help' for usage.\n`);
      return 2;
    }
    throw error;
  }
}

async function classifyFiles(
  files: string[],
  opts: { json: boolean; backend: 'wasm' | 'cpu'; mode: 'crop' | 'fit'; weights: 'float32' | 'float16'; topk: number; models?: string },
): Promise<number> {
  const engine = await loadEngineNode({
    backend: opts.backend,
    weights: opts.weights,
    data: { dir: opts.models, log: (m) => process.stderr.write(`squeezelens: ${m}\n`) },
  });
  const backendText = describeBackend(engine.backend);
  let failures = 0;
  for (const file of files) {
    try {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(`${file}: cannot read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message})`);
      }
      const result = await engine.classifier.classify(decodeImage(bytes, file), { topk: opts.topk, preprocess: opts.mode });
      if (opts.json) {
        const top5 = result.top.map((t) => ({ index: t.index, label: t.label, prob: Number(t.prob.toFixed(6)) }));
        process.stdout.write(JSON.stringify({ file, backend: engine.backend.backend, top5, ms: Number(result.ms.toFixed(2)) }) + '\n');
      } else {
        process.stdout.write(`${file}  [${backendText}, ${result.ms.toFixed(1)} ms]\n`);
        result.top.forEach((t, i) => {
          process.stdout.write(`  ${String(i + 1).padStart(2)}. ${(t.prob * 100).toFixed(1).padStart(5)}%  ${t.label} (${t.index})\n`);
        });
      }
    } catch (error) {
      failures++;
      const message = (error as Error).message;
      process.stderr.write(`squeezelens: error: ${message}\n`);
      if (opts.json) process.stdout.write(JSON.stringify({ file, error: message }) + '\n');
    }
  }
  engine.model.dispose();
  return failures > 0 ? 1 : 0;
}

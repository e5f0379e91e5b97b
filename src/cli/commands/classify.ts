/** squeezelens classify [options] <image files…> */
import { parseArgs } from 'node:util';
import type { NodeEngine } from '../../engine/node.js';
import type { RgbaImage } from '../../engine/preprocess.js';
import {
  backendText,
  checkEngineArgs,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  engineFrom,
  fail,
  numberOption,
  parseMode,
  readImage,
  round,
} from '../shared.js';

export const CLASSIFY_HELP = `Usage: squeezelens classify [options] <image files…>

Classify images (JPEG, PNG, WebP, GIF, AVIF, BMP) with SqueezeNet 1.1 (ImageNet, 1000 classes), locally.

Options:
  --preprocess crop|fit  crop: short side → 256, centre 224×224 crop (default, as the model was
                         evaluated); fit: the whole image stretched to 224×224. An image already
                         224×224 is used as is.
  --topk N               number of classes to show (default 5)
With --json: one object per file, {"file","backend","top5":[{"index","label","prob"}],"ms"};
a file that fails gives {"file","error"}. Exit status 1 if any file failed.
${ENGINE_HELP}`;

export async function classifyCommand(argv: string[]): Promise<number> {
  const { values, positionals: files } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ENGINE_OPTIONS,
      preprocess: { type: 'string', default: 'crop' },
      topk: { type: 'string', default: '5' },
    },
  });
  if (values.help) {
    process.stdout.write(`${CLASSIFY_HELP}\n`);
    return 0;
  }
  if (files.length === 0) fail('classify needs at least one image file');
  const mode = parseMode(values.preprocess);
  const topk = numberOption('topk', values.topk, 5, { min: 1, max: 1000, integer: true });
  checkEngineArgs(values);
  let failures = 0;
  const report = (file: string, error: unknown) => {
    failures++;
    const message = (error as Error).message;
    process.stderr.write(`squeezelens: error: ${message}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify({ file, error: message })}\n`);
  };
  // The model loads after the first file decodes: a file that cannot be read or decoded is reported
  // at once (0.9 s for the whole command here, of which ~0.85 s is Node and tsx starting; loading
  // the model first made it 1.5–2.2 s).
  let engine: NodeEngine | undefined;
  for (const file of files) {
    let image: RgbaImage;
    try {
      image = await readImage(file);
    } catch (error) {
      report(file, error);
      continue;
    }
    engine ??= await engineFrom(values);
    try {
      const result = await engine.classifier.classify(image, { topk, preprocess: mode });
      if (values.json) {
        const top5 = result.top.map((t) => ({ index: t.index, label: t.label, prob: round(t.prob) }));
        process.stdout.write(
          `${JSON.stringify({ file, backend: engine.backend.backend, top5, ms: round(result.ms, 2) })}\n`,
        );
      } else {
        process.stdout.write(`${file}  [${backendText(engine)}, ${result.ms.toFixed(1)} ms]\n`);
        for (const [i, t] of result.top.entries()) {
          const prob = (t.prob * 100).toFixed(1).padStart(5);
          process.stdout.write(`  ${String(i + 1).padStart(2)}. ${prob}%  ${t.label} (${t.index})\n`);
        }
      }
    } catch (error) {
      report(file, error);
    }
  }
  engine?.model.dispose();
  return failures > 0 ? 1 : 0;
}

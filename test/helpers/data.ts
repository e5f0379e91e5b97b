/** Paths and loaders for the reference data beside the project (never copied into it). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/engine/model-data-node.js';
import { parseNpy } from '../../src/engine/npy.js';

export const SHARED = join(projectRoot(), '..', 'shared');
export const MODELS = join(SHARED, 'models');
export const PHOTOS = join(SHARED, 'testdata', 'photos');
export const REFERENCE = join(SHARED, 'testdata', 'reference');

export function npy(path: string) {
  return parseNpy(readFileSync(path), path);
}

/** The three random reference inputs, transposed to NHWC, with their reference logits. */
export function referenceCases(): { name: string; inputNHWC: Float32Array; logits: Float32Array }[] {
  return [0, 1, 2].map((i) => {
    const dir = join(MODELS, 'squeezenet1_1', 'reference', `test_data_set_${i}`);
    const x = npy(join(dir, 'input_0.npy')).data as Float32Array;
    const nhwc = new Float32Array(x.length);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 224 * 224; p++) nhwc[p * 3 + c] = x[c * 224 * 224 + p];
    return { name: `test_data_set_${i}`, inputNHWC: nhwc, logits: npy(join(dir, 'output_0.npy')).data as Float32Array };
  });
}

/**
 * SqueezeNet's own top-1 where it is not the label: the golden retriever is "muzzle" (676, 21.8 %
 * against 21.5 %) in the independent Pillow + NumPy reference, in Chromium, and in Node since Node
 * decodes JPEG exactly as they do (src/engine/decode/jpeg.ts; jpeg-js used to make it 207).
 */
const REFERENCE_TOP1: Record<string, number> = { 'eli_207_n02099601_golden_retriever.JPEG': 676 };

/**
 * The 12 labelled photos: `label` is the ImageNet index from the file name, `top1` what the
 * reference network answers (the class the methods explain and attack by default).
 */
export function photos(): { file: string; path: string; label: number; top1: number }[] {
  return readdirSync(PHOTOS)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((file) => {
      const label = Number(file.split('_')[1]);
      return { file, path: join(PHOTOS, file), label, top1: REFERENCE_TOP1[file] ?? label };
    });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The project's seeded PRNG (mulberry32), so random directions and targets are reproducible. */
export { seededRandom as rng } from '../../src/methods/common.js';

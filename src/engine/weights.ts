/**
 * The weight container and its packed on-disk format (a JSON manifest plus one binary), used
 * by the build step (`npm run models`), by the extension (fetches the packed files from its own
 * package) and by Node (packs in memory from the .npy sources). Pure: no fs, no fetch.
 *
 * Layout: convolution kernels are stored HWIO (TF.js NHWC convention), converted from the
 * source's OIHW once, at pack time.
 */
import { CONVS, PARAMETER_COUNT } from './architecture.js';
import { decodeFloat16, encodeFloat16 } from './float16.js';
import type { NpyArray } from './npy.js';

export type WeightDType = 'float32' | 'float16';

export interface ConvWeights {
  /** HWIO */
  kernel: Float32Array;
  kernelShape: [number, number, number, number];
  bias: Float32Array;
}

export type ModelWeights = Record<string, ConvWeights>; // keyed by conv{i}

export interface PackedManifest {
  format: 'squeezelens-weights/1';
  model: 'squeezenet1_1';
  dtype: WeightDType;
  layout: 'HWIO';
  byteLength: number;
  tensors: { name: string; shape: number[]; offset: number }[];
}

export class WeightsError extends Error {}

export function sourceFileName(conv: string, part: 'weight' | 'bias'): string {
  return `squeezenet0_${conv}_${part}.npy`;
}

/** OIHW source arrays → HWIO container, checking every shape against the architecture. */
export function weightsFromNpy(get: (fileName: string) => NpyArray): ModelWeights {
  const out: ModelWeights = {};
  for (const c of CONVS) {
    const wName = sourceFileName(c.name, 'weight');
    const bName = sourceFileName(c.name, 'bias');
    const w = get(wName);
    const b = get(bName);
    const expected = [c.outChannels, c.inChannels, c.kernel, c.kernel];
    if (w.dtype !== 'float32' || w.shape.join() !== expected.join()) {
      throw new WeightsError(
        `${wName}: expected float32 of shape (${expected.join(', ')}), got ${w.dtype} (${w.shape.join(', ')})`,
      );
    }
    if (b.dtype !== 'float32' || b.shape.join() !== String(c.outChannels)) {
      throw new WeightsError(
        `${bName}: expected float32 of shape (${c.outChannels}), got ${b.dtype} (${b.shape.join(', ')})`,
      );
    }
    out[c.name] = {
      kernel: oihwToHwio(w.data as Float32Array, c.outChannels, c.inChannels, c.kernel),
      kernelShape: [c.kernel, c.kernel, c.inChannels, c.outChannels],
      bias: b.data as Float32Array,
    };
  }
  return out;
}

function oihwToHwio(src: Float32Array, O: number, I: number, K: number): Float32Array {
  const dst = new Float32Array(src.length);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++)
      for (let h = 0; h < K; h++)
        for (let w = 0; w < K; w++) dst[((h * K + w) * I + i) * O + o] = src[((o * I + i) * K + h) * K + w];
  return dst;
}

export function packWeights(weights: ModelWeights, dtype: WeightDType): { manifest: PackedManifest; bin: Uint8Array } {
  const bytesPer = dtype === 'float32' ? 4 : 2;
  const tensors: PackedManifest['tensors'] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const c of CONVS) {
    const w = weights[c.name];
    for (const [suffix, data, shape] of [
      ['kernel', w.kernel, w.kernelShape],
      ['bias', w.bias, [w.bias.length]],
    ] as const) {
      const encoded = dtype === 'float32' ? new Float32Array(data) : encodeFloat16(data);
      parts.push(new Uint8Array(encoded.buffer));
      tensors.push({ name: `${c.name}/${suffix}`, shape: [...shape], offset });
      offset += data.length * bytesPer;
    }
  }
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const p of parts) {
    bin.set(p, at);
    at += p.length;
  }
  return {
    manifest: {
      format: 'squeezelens-weights/1',
      model: 'squeezenet1_1',
      dtype,
      layout: 'HWIO',
      byteLength: offset,
      tensors,
    },
    bin,
  };
}

export function unpackWeights(manifest: PackedManifest, bin: Uint8Array): ModelWeights {
  if (manifest.format !== 'squeezelens-weights/1' || manifest.layout !== 'HWIO') {
    throw new WeightsError(`unsupported weights manifest format ${String(manifest.format)}`);
  }
  if (bin.byteLength !== manifest.byteLength) {
    throw new WeightsError(
      `weights binary is ${bin.byteLength} bytes, manifest says ${manifest.byteLength} (truncated or wrong file)`,
    );
  }
  const bytesPer = manifest.dtype === 'float32' ? 4 : 2;
  const byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  const read = (name: string, expectedShape: number[]): Float32Array => {
    const t = byName.get(name);
    if (!t) throw new WeightsError(`weights manifest lacks tensor ${name}`);
    if (t.shape.join() !== expectedShape.join()) {
      throw new WeightsError(
        `tensor ${name} has shape (${t.shape.join(', ')}), expected (${expectedShape.join(', ')})`,
      );
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    const raw = new Uint8Array(count * bytesPer); // aligned copy (bin may be a view into a pool)
    raw.set(bin.subarray(t.offset, t.offset + count * bytesPer));
    return manifest.dtype === 'float32' ? new Float32Array(raw.buffer) : decodeFloat16(new Uint16Array(raw.buffer));
  };
  const out: ModelWeights = {};
  let params = 0;
  for (const c of CONVS) {
    const kernelShape: [number, number, number, number] = [c.kernel, c.kernel, c.inChannels, c.outChannels];
    out[c.name] = {
      kernel: read(`${c.name}/kernel`, kernelShape),
      kernelShape,
      bias: read(`${c.name}/bias`, [c.outChannels]),
    };
    params += out[c.name].kernel.length + out[c.name].bias.length;
  }
  if (params !== PARAMETER_COUNT) throw new WeightsError(`expected ${PARAMETER_COUNT} parameters, found ${params}`);
  return out;
}

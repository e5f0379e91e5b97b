import { describe, expect, it } from 'vitest';
import { NpyError, parseNpy } from '../../src/engine/npy.js';

function makeNpy(descr: string, shape: number[], payload: Uint8Array, version = 1): Uint8Array {
  let header =
    `{'descr': '${descr}', 'fortran_order': False, ` +
    `'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = version === 1 ? 10 : 12;
  while ((pre + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(pre + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(payload, pre + header.length);
  return out;
}

describe('parseNpy', () => {
  it('reads float32 arrays with their shape (v1 and v2 headers)', () => {
    const values = new Float32Array([1.5, -2, 3.25, 4, 5, 6]);
    for (const version of [1, 2]) {
      const arr = parseNpy(makeNpy('<f4', [2, 3], new Uint8Array(values.buffer), version));
      expect(arr.shape).toEqual([2, 3]);
      expect(arr.dtype).toBe('float32');
      expect(Array.from(arr.data)).toEqual(Array.from(values));
    }
  });

  it('reads uint8 arrays and copies out of a pooled Node Buffer', () => {
    const pool = Buffer.alloc(4096, 7); // a view into a bigger buffer, like fs.readFile's
    const file = makeNpy('|u1', [4], new Uint8Array([1, 2, 3, 250]));
    pool.set(file, 100);
    const arr = parseNpy(pool.subarray(100, 100 + file.length));
    expect(Array.from(arr.data)).toEqual([1, 2, 3, 250]);
  });

  it('rejects bad magic, truncation, unsupported dtypes and Fortran order, naming the file', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 'x.npy')).toThrow(
      /x\.npy: not a \.npy file/,
    );
    const good = makeNpy('<f4', [4], new Uint8Array(16));
    expect(() => parseNpy(good.subarray(0, good.length - 1), 'w.npy')).toThrow(/w\.npy: truncated/);
    expect(() => parseNpy(makeNpy('<f8', [2], new Uint8Array(16)), 'd.npy')).toThrow(/unsupported dtype <f8/);
    const fortran = makeNpy('<f4', [2], new Uint8Array(8));
    const text = new TextDecoder('latin1').decode(fortran).replace("'fortran_order': False", "'fortran_order': True ");
    expect(() => parseNpy(Uint8Array.from(text, (c) => c.charCodeAt(0)))).toThrow(NpyError);
  });
});

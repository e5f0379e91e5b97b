/**
 * Minimal reader for NumPy .npy files (format versions 1–3), enough for the float32
 * weights, the uint8 pixel references and the float32 reference logits we ship against.
 * Anything else is rejected with a message that names the file, never guessed at.
 */
export interface NpyArray {
  shape: number[];
  dtype: 'float32' | 'uint8';
  data: Float32Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

export class NpyError extends Error {}

export function parseNpy(bytes: Uint8Array, name = 'array'): NpyArray {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new NpyError(`${name}: not a .npy file (bad magic bytes)`);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(`${name}: unsupported .npy version ${major}`);
  }
  if (headerStart + headerLen > bytes.length) throw new NpyError(`${name}: truncated .npy header`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`${name}: malformed .npy header: ${header.trim()}`);
  }
  if (fortran !== 'False') throw new NpyError(`${name}: Fortran-order arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number.parseInt(s, 10));
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  let dtype: NpyArray['dtype'];
  let itemSize: number;
  if (descr === '<f4') {
    dtype = 'float32';
    itemSize = 4;
  } else if (descr === '|u1' || descr === '<u1') {
    dtype = 'uint8';
    itemSize = 1;
  } else {
    throw new NpyError(`${name}: unsupported dtype ${descr} (expected <f4 or |u1)`);
  }
  const needed = count * itemSize;
  const available = bytes.length - dataStart;
  if (available < needed) {
    throw new NpyError(
      `${name}: truncated: expected ${needed} data bytes for shape (${shape.join(', ')}), found ${available}`,
    );
  }
  // Copy so the result is aligned and independent of the source buffer. (Not bytes.slice: on a
  // Node Buffer that is a view into a shared pool.)
  const raw = new Uint8Array(needed);
  raw.set(bytes.subarray(dataStart, dataStart + needed));
  const data = dtype === 'float32' ? new Float32Array(raw.buffer, 0, count) : new Uint8Array(raw.buffer, 0, count);
  return { shape, dtype, data };
}

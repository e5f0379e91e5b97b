/**
 * Integrity check of the packaged weights. Extension packages are signed by the store, but an
 * unpacked or side-loaded copy, a truncated download or a stale build can still pair a manifest
 * with the wrong binary; a wrong weight file would not crash, it would silently classify badly.
 * So the binary's length and SHA-256 are checked against the manifest (written by
 * `npm run models`) before anything is unpacked, and the error names the file.
 *
 * No TF.js and no chrome.* here: the same code runs in the service worker and in Node tests
 * (crypto.subtle exists in both).
 */
export class WeightsIntegrityError extends Error {
  override name = 'WeightsIntegrityError';
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const b of view) out += b.toString(16).padStart(2, '0');
  return out;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // digest() takes a BufferSource; pass exactly the view's bytes (it may be a window on a pool).
  const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  return toHex(await crypto.subtle.digest('SHA-256', exact as Uint8Array<ArrayBuffer>));
}

export interface IntegrityExpectation {
  /** lowercase hex SHA-256 from the manifest */
  sha256: unknown;
  /** byte length from the manifest */
  byteLength: unknown;
}

/**
 * Throws WeightsIntegrityError naming `fileName` unless `bytes` has the expected length and
 * SHA-256. `manifestName` is named when the manifest itself lacks a usable checksum.
 */
export async function verifyWeightsBinary(
  bytes: Uint8Array,
  expected: IntegrityExpectation,
  fileName: string,
  manifestName = 'the weights manifest',
): Promise<void> {
  if (typeof expected.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(expected.sha256)) {
    throw new WeightsIntegrityError(
      `${manifestName} has no valid sha256 for ${fileName}: rebuild the models (npm run models)`,
    );
  }
  if (typeof expected.byteLength !== 'number' || !Number.isInteger(expected.byteLength) || expected.byteLength <= 0) {
    throw new WeightsIntegrityError(`${manifestName} has no valid byteLength for ${fileName}`);
  }
  if (bytes.byteLength !== expected.byteLength) {
    const what = bytes.byteLength < expected.byteLength ? 'truncated' : 'too long';
    throw new WeightsIntegrityError(
      `${fileName} is ${what}: ${bytes.byteLength} bytes, ${manifestName} says ${expected.byteLength}`,
    );
  }
  const actual = await sha256Hex(bytes);
  if (actual !== expected.sha256) {
    throw new WeightsIntegrityError(
      `${fileName} is corrupted or does not belong to ${manifestName}: SHA-256 ${actual}, expected ${expected.sha256}`,
    );
  }
}

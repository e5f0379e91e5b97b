/**
 * Orientation: browsers draw an image the way its metadata says it was taken, and createImageBitmap
 * hands the extension those pixels. Measured in Chromium 156 with `colorSpaceConversion: 'none'`
 * (test/engine/decode-parity.test.ts): EXIF Orientation is applied for JPEG (first Exif APP1, both
 * byte orders, all 8 values; 0 and 9 mean "as stored") and for PNG (an eXIf chunk before IDAT,
 * without an "Exif\0\0" prefix), even with `imageOrientation: 'none'`; WebP's EXIF is ignored;
 * AVIF's irot/imir boxes are applied. The CLI does the same, so both show the network one picture.
 */

/** EXIF orientation, 1 (as stored) to 8. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** The Orientation tag (0x0112) of a TIFF structure (an EXIF block after its "Exif\0\0"), or 1. */
export function tiffOrientation(bytes: Uint8Array, start: number, end: number): Orientation {
  if (end - start < 8 || end > bytes.length) return 1;
  const little = bytes[start] === 0x49 && bytes[start + 1] === 0x49;
  if (!little && !(bytes[start] === 0x4d && bytes[start + 1] === 0x4d)) return 1;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + start, end - start);
  if (dv.getUint16(2, little) !== 42) return 1;
  const ifd = dv.getUint32(4, little);
  if (ifd + 2 > dv.byteLength) return 1;
  const count = dv.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > dv.byteLength) return 1;
    if (dv.getUint16(entry, little) !== 0x0112) continue;
    if (dv.getUint16(entry + 2, little) !== 3) return 1; // SHORT
    const value = dv.getUint16(entry + 8, little);
    return value >= 1 && value <= 8 ? (value as Orientation) : 1;
  }
  return 1;
}

/** True when the orientation swaps width and height. */
export const swapsAxes = (o: Orientation) => o >= 5;

/** The pixels as displayed: a new RGBA buffer (or the same one for orientation 1). */
export function applyOrientation(width: number, height: number, data: Uint8Array, o: Orientation) {
  if (o === 1) return { width, height, data };
  const outW = swapsAxes(o) ? height : width;
  const outH = swapsAxes(o) ? width : height;
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice(); // a Uint32Array view needs it
  const src = new Uint32Array(aligned.buffer, aligned.byteOffset, width * height);
  const out = new Uint8Array(width * height * 4);
  const dst = new Uint32Array(out.buffer);
  // Source pixel for output (x, y): x' = ax·x + bx·y + cx, y' = ay·x + by·y + cy.
  const [ax, bx, cx, ay, by, cy] = (
    {
      2: [-1, 0, width - 1, 0, 1, 0],
      3: [-1, 0, width - 1, 0, -1, height - 1],
      4: [1, 0, 0, 0, -1, height - 1],
      5: [0, 1, 0, 1, 0, 0],
      6: [0, 1, 0, -1, 0, height - 1],
      7: [0, -1, width - 1, -1, 0, height - 1],
      8: [0, -1, width - 1, 1, 0, 0],
    } as const
  )[o];
  for (let y = 0; y < outH; y++) {
    let sx = bx * y + cx;
    let sy = by * y + cy;
    const row = y * outW;
    for (let x = 0; x < outW; x++) {
      dst[row + x] = src[sy * width + sx];
      sx += ax;
      sy += ay;
    }
  }
  return { width: outW, height: outH, data: out };
}

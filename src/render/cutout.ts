/**
 * Pictures of an object mask (saliency segmentation, methods/explain/segment.ts): the mask itself
 * and the image cut out along it. Pure RGBA, like the rest of render/.
 */
import { type AnyImage, channelsOf, type RgbaBuffer, toRgba } from '../shared/image.js';

function checkMask(image: { width: number; height: number }, mask: ArrayLike<number>): void {
  if (mask.length !== image.width * image.height)
    throw new RangeError(`mask has ${mask.length} values, expected ${image.width}×${image.height}`);
}

/** The mask as an opaque picture: white object, black background. */
export function maskPicture(mask: ArrayLike<number>, width: number, height: number): RgbaBuffer {
  checkMask({ width, height }, mask);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i] ? 255 : 0;
    data[i * 4] = v;
    data[i * 4 + 1] = v;
    data[i * 4 + 2] = v;
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

/**
 * The image with alpha = mask: the object keeps its colours (and its own alpha); everything else
 * becomes fully transparent black, so no colour of the background survives in the file.
 */
export function cutout(image: AnyImage, mask: ArrayLike<number>): RgbaBuffer {
  channelsOf(image);
  checkMask(image, mask);
  const out = toRgba(image);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) continue;
    out.data[i * 4] = 0;
    out.data[i * 4 + 1] = 0;
    out.data[i * 4 + 2] = 0;
    out.data[i * 4 + 3] = 0;
  }
  return out;
}

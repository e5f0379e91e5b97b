/**
 * Separable resampling of float images with any number of interleaved channels.
 *
 * One rule for every direction: the triangle (bilinear) filter with pixel centres at i + 0.5,
 * widened by the scale factor when shrinking (as PIL and engine/preprocess.ts do, so a shrink
 * averages instead of aliasing), plain bilinear interpolation when enlarging; pixels beyond the
 * border repeat the edge pixel.
 */

/** How output pixels along one axis map onto input coordinates (input pixel i spans [i, i+1)). */
export interface AxisMap {
  /** input coordinate of the left/top edge of output pixel 0 */
  offset: number;
  /** input pixels per output pixel */
  scale: number;
}

interface Taps {
  start: Int32Array; // first tap per output pixel (after clamping)
  count: Int32Array;
  index: Int32Array; // maxTaps per output pixel: clamped input indices
  weight: Float32Array;
  maxTaps: number;
}

function axisTaps(inSize: number, outSize: number, map: AxisMap): Taps {
  const support = Math.max(Math.abs(map.scale), 1);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const index = new Int32Array(outSize * maxTaps);
  const weight = new Float32Array(outSize * maxTaps);
  for (let k = 0; k < outSize; k++) {
    const center = map.offset + (k + 0.5) * map.scale;
    const lo = Math.ceil(center - 0.5 - support);
    const hi = Math.floor(center - 0.5 + support);
    let n = 0;
    let total = 0;
    for (let i = lo; i <= hi && n < maxTaps; i++) {
      const w = 1 - Math.abs(i + 0.5 - center) / support;
      if (w <= 0) continue;
      index[k * maxTaps + n] = Math.min(Math.max(i, 0), inSize - 1);
      weight[k * maxTaps + n] = w;
      total += w;
      n++;
    }
    if (n === 0) {
      // centre exactly between taps of zero weight cannot happen for support ≥ 1; keep it safe
      index[k * maxTaps] = Math.min(Math.max(Math.floor(center), 0), inSize - 1);
      weight[k * maxTaps] = 1;
      total = 1;
      n = 1;
    }
    for (let j = 0; j < n; j++) weight[k * maxTaps + j] /= total;
    start[k] = k * maxTaps;
    count[k] = n;
  }
  return { start, count, index, weight, maxTaps };
}

/**
 * Resample `data` (width × height × channels, row-major interleaved) to outWidth × outHeight,
 * output pixel (x, y) sampling the input around (x.offset + (x+0.5)·x.scale, …).
 */
export function resampleAffine(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  xMap: AxisMap,
  yMap: AxisMap,
): Float32Array {
  if (data.length !== width * height * channels)
    throw new RangeError(`expected ${width}×${height}×${channels} values, got ${data.length}`);
  if (!(outWidth >= 1 && outHeight >= 1 && Number.isInteger(outWidth) && Number.isInteger(outHeight))) {
    throw new RangeError(`invalid output size ${outWidth}×${outHeight}`);
  }
  const tx = axisTaps(width, outWidth, xMap);
  const ty = axisTaps(height, outHeight, yMap);
  // Horizontal pass over every input row, then vertical.
  const mid = new Float32Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < outWidth; x++) {
      const s = tx.start[x];
      const d = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) {
        let v = 0;
        for (let j = 0; j < tx.count[x]; j++) v += data[row + tx.index[s + j] * channels + c] * tx.weight[s + j];
        mid[d + c] = v;
      }
    }
  }
  const out = new Float32Array(outWidth * outHeight * channels);
  const rowLen = outWidth * channels;
  for (let y = 0; y < outHeight; y++) {
    const s = ty.start[y];
    const d = y * rowLen;
    for (let j = 0; j < ty.count[y]; j++) {
      const src = ty.index[s + j] * rowLen;
      const w = ty.weight[s + j];
      for (let i = 0; i < rowLen; i++) out[d + i] += mid[src + i] * w;
    }
  }
  return out;
}

/** Resize the whole image to outWidth × outHeight. */
export function resize(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
): Float32Array {
  return resampleAffine(
    data,
    width,
    height,
    channels,
    outWidth,
    outHeight,
    { offset: 0, scale: width / outWidth },
    { offset: 0, scale: height / outHeight },
  );
}

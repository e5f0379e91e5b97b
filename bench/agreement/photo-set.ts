/**
 * The held-out-style photo set of `npm run agreement`, made at run time into a temporary folder
 * and never committed:
 *
 *   - the 12 labelled test photos (../shared/testdata/photos), as they are;
 *   - the real photographs among Debian's wallpaper packages, as they are (see WALLPAPERS; install
 *     with `apt-get install lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds
 *     libjpeg-turbo-progs`; missing ones are skipped and the report says how many were found);
 *   - VARIANTS seeded variants of each of those: a random crop (40–100 % of the area, aspect 3:4 to
 *     4:3), a horizontal flip half the time, a Pillow-bilinear resize to a long side of 256–1024 px,
 *     then one encoding in turn from ENCODINGS: MozJPEG (jSquash) baseline/progressive, 4:2:0 and
 *     4:4:4, quality 40–95; libjpeg-turbo's cjpeg 4:2:2 with restart markers (when cjpeg is
 *     installed); JPEG with an EXIF orientation (3, 6 or 8); PNG; WebP lossy and lossless, AVIF
 *     (4:2:0 or 4:4:4, quality 40–90; jSquash); 24-bit BMP.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import encodeAvif, { init as initAvif } from '@jsquash/avif/encode.js';
import encodeJpeg, { init as initJpeg } from '@jsquash/jpeg/encode.js';
import encodeWebp, { init as initWebp } from '@jsquash/webp/encode.js';
import { decodeImage } from '../../src/engine/decode-node.js';
import { type RgbaImage, resampleWindow } from '../../src/engine/preprocess.js';
import { seededRandom } from '../../src/methods/common.js';
import { encodePng } from '../../src/render/png.js';
import { bmpOf, jpegWithOrientation } from '../../test/fixtures/decode/variants.js';
import { photos } from '../../test/helpers/data.js';

/**
 * Photographs (looked at, one by one) from Debian bookworm's wallpaper packages. Left out as not
 * photographs: Fossa, Infinite-Sea, Painting-Colors (drawn), free (a rendered clock), umang and
 * analogpattern (abstract). Licences: lomiri-wallpapers CC-BY(-SA) 4.0, mate-backgrounds GPL-2+.
 */
export const WALLPAPERS = [
  ...[
    'Bridge_by_Sander_Klootwijk',
    'Dragonfly_by_Bolly',
    'Kleiber_by_Lukas_Baubkus',
    'Picture_0B_by_freespace',
    'Picture_1A_by_freespace',
    'Wine_by_Jakkub_Mede',
    'aitzgorri_by_Aitzol_Berasategi',
    'friends_by_Aitzol_Berasategi',
    'greentock_by_Peter_Nerlich',
    'life_by_Aitzol_Berasategi',
    'picosdeeuropa_by_Aitzol_Berasategi',
    'seeding_by_Clements_Engelhardt',
    'sunset_by_Aitzol_Berasategi',
  ].map((n) => `/usr/share/backgrounds/${n}.jpg`),
  ...[
    'Aqua',
    'Blinds',
    'Dune',
    'FreshFlower',
    'Garden',
    'GreenMeadow',
    'LadyBird',
    'RainDrops',
    'Storm',
    'TwoWings',
    'Wood',
    'YellowFlower',
  ].map((n) => `/usr/share/backgrounds/mate/nature/${n}.jpg`),
];

export const VARIANTS = 9;

export interface SetEntry {
  file: string;
  /** the photo it comes from (its path) */
  source: string;
  /** 'original' or how the variant was made */
  how: string;
  /** 'original' or the encoding's kind, e.g. 'mozjpeg progressive', 'jpeg EXIF', 'webp lossy' */
  kind: string;
}

type Encoded = { bytes: Uint8Array; ext: string; how: string; kind?: string };
type Encoding = (rgb: RgbaImage, random: () => number) => Promise<Encoded>;

const require = createRequire(import.meta.url);
const wasm = (path: string) => new WebAssembly.Module(readFileSync(require.resolve(path)));
let codecsReady: Promise<unknown> | undefined;
const initCodecs = () => {
  // jSquash fetches its .wasm by URL unless handed a compiled module (Node has no file fetch).
  codecsReady ??= Promise.all([
    initJpeg(wasm('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm')),
    initWebp(wasm('@jsquash/webp/codec/enc/webp_enc_simd.wasm')),
    initAvif(wasm('@jsquash/avif/codec/enc/avif_enc.wasm')),
  ]);
  return codecsReady;
};

const pick = <T>(random: () => number, items: readonly T[]) => items[Math.floor(random() * items.length)];
const imageData = (im: RgbaImage) =>
  ({ width: im.width, height: im.height, data: new Uint8ClampedArray(im.data), colorSpace: 'srgb' }) as ImageData;

async function mozjpeg(im: RgbaImage, random: () => number, progressive: boolean) {
  const quality = 40 + Math.floor(random() * 56);
  const sub = pick(random, [1, 2] as const); // h = v sampling of luma: 4:4:4 or 4:2:0
  const bytes = new Uint8Array(
    await encodeJpeg(imageData(im), {
      quality,
      progressive,
      baseline: !progressive,
      auto_subsample: false,
      chroma_subsample: sub,
      chroma_quality: quality,
    }),
  );
  const how = `mozjpeg q${quality} ${sub === 1 ? '4:4:4' : '4:2:0'} ${progressive ? 'progressive' : 'baseline'}`;
  return { bytes, ext: 'jpg', how, kind: `mozjpeg ${progressive ? 'progressive' : 'baseline'}` };
}

const ENCODINGS: Encoding[] = [
  (im, r) => mozjpeg(im, r, false),
  (im, r) => mozjpeg(im, r, true),
  async (im, r) => {
    const quality = 50 + Math.floor(r() * 46);
    if (!hasCjpeg()) return { ...(await mozjpeg(im, r, false)), how: 'mozjpeg (no cjpeg installed)' };
    const ppm = Buffer.concat([Buffer.from(`P6 ${im.width} ${im.height} 255\n`), rgbBytes(im)]);
    const bytes = execFileSync('cjpeg', ['-quality', String(quality), '-sample', '2x1', '-restart', '3'], {
      input: ppm,
      maxBuffer: 1 << 28,
    });
    return {
      bytes: new Uint8Array(bytes),
      ext: 'jpg',
      how: `cjpeg q${quality} 4:2:2 restart 3 rows`,
      kind: 'cjpeg 4:2:2 restart',
    };
  },
  async (im, r) => {
    const orientation = pick(r, [3, 6, 8]);
    const base = await mozjpeg(im, r, false);
    return {
      bytes: jpegWithOrientation(base.bytes, orientation),
      ext: 'jpg',
      how: `${base.how} EXIF ${orientation}`,
      kind: 'jpeg EXIF orientation',
    };
  },
  async (im) => ({
    bytes: await encodePng({ width: im.width, height: im.height, data: im.data }),
    ext: 'png',
    how: 'png',
  }),
  async (im, r) => {
    const quality = 50 + Math.floor(r() * 46);
    const bytes = new Uint8Array(await encodeWebp(imageData(im), { quality }));
    return { bytes, ext: 'webp', how: `webp lossy q${quality}`, kind: 'webp lossy' };
  },
  async (im) => ({
    bytes: new Uint8Array(await encodeWebp(imageData(im), { lossless: 1 })),
    ext: 'webp',
    how: 'webp lossless',
  }),
  async (im, r) => {
    // Chromium converts AVIF's YUV to RGB its own way (up to 5 levels off libavif's, README
    // "Decoding"): the pixels are expected to differ; the question is whether answers do.
    const quality = 40 + Math.floor(r() * 51);
    const subsample = pick(r, [1, 3] as const); // libavif: 1 = 4:2:0, 3 = 4:4:4
    const bytes = new Uint8Array(await encodeAvif(imageData(im), { quality, subsample, speed: 8 }));
    return { bytes, ext: 'avif', how: `avif q${quality} ${subsample === 1 ? '4:2:0' : '4:4:4'}`, kind: 'avif' };
  },
  async (im) => ({ bytes: new Uint8Array(bmpOf(im, { bpp: 24 })), ext: 'bmp', how: 'bmp 24-bit' }),
];

let cjpeg: boolean | undefined;
function hasCjpeg(): boolean {
  if (cjpeg === undefined) {
    try {
      execFileSync('cjpeg', ['-version'], { stdio: 'ignore' });
      cjpeg = true;
    } catch {
      cjpeg = false;
    }
  }
  return cjpeg;
}

function rgbBytes(im: RgbaImage): Buffer {
  const out = Buffer.alloc(im.width * im.height * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
    out[i] = im.data[j];
    out[i + 1] = im.data[j + 1];
    out[i + 2] = im.data[j + 2];
  }
  return out;
}

/** Crop, maybe flip, resize (Pillow bilinear, the project's own): an opaque RGBA image. */
function reshape(source: RgbaImage, random: () => number): { image: RgbaImage; how: string } {
  const area = 0.4 + 0.6 * random();
  const aspect = 0.75 + 0.583 * random();
  const cw = Math.min(source.width, Math.round(Math.sqrt(area * source.width * source.height * aspect)));
  const ch = Math.min(source.height, Math.round(Math.sqrt((area * source.width * source.height) / aspect)));
  const x0 = Math.floor(random() * (source.width - cw + 1));
  const y0 = Math.floor(random() * (source.height - ch + 1));
  const flip = random() < 0.5;
  const crop = new Uint8ClampedArray(cw * ch * 4);
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      const s = ((y0 + y) * source.width + x0 + (flip ? cw - 1 - x : x)) * 4;
      crop.set(source.data.subarray(s, s + 4), (y * cw + x) * 4);
    }
  const long = 256 + Math.floor(random() * 769);
  const scale = long / Math.max(cw, ch);
  const w = Math.max(1, Math.round(cw * scale));
  const h = Math.max(1, Math.round(ch * scale));
  const rgb = resampleWindow({ width: cw, height: ch, data: crop }, w, h, 0, 0, w, h);
  const data = new Uint8ClampedArray(w * h * 4).fill(255);
  for (let i = 0; i < w * h; i++) data.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
  return {
    image: { width: w, height: h, data },
    how: `crop ${cw}×${ch}+${x0}+${y0}${flip ? ' flipped' : ''} → ${w}×${h}`,
  };
}

/** Writes the set into `dir` (which must exist and be empty); seeded, so a rerun writes the same files. */
export async function buildPhotoSet(
  dir: string,
  log: (m: string) => void,
  maxSources = Infinity,
): Promise<{ entries: SetEntry[]; wallpapersFound: number; wallpapersMissing: string[] }> {
  await initCodecs();
  const sources = [...photos().map((p) => p.path), ...WALLPAPERS.filter((p) => existsSync(p))].slice(0, maxSources);
  const missing = WALLPAPERS.filter((p) => !existsSync(p));
  const entries: SetEntry[] = [];
  for (const [i, source] of sources.entries()) {
    const stem = `${String(i).padStart(2, '0')}-${source
      .split('/')
      .pop()!
      .replace(/\.\w+$/, '')}`;
    const bytes = readFileSync(source);
    const original = `${stem}.jpg`;
    writeFileSync(join(dir, original), bytes);
    entries.push({ file: original, source, how: 'original', kind: 'original' });
    const decoded = decodeImage(bytes, source);
    const random = seededRandom(1000 + i);
    for (let v = 0; v < VARIANTS; v++) {
      const shaped = reshape(decoded, random);
      const encoded = await ENCODINGS[(i + v) % ENCODINGS.length](shaped.image, random);
      const file = `${stem}-v${v}.${encoded.ext}`;
      writeFileSync(join(dir, file), encoded.bytes);
      entries.push({ file, source, how: `${shaped.how}, ${encoded.how}`, kind: encoded.kind ?? encoded.how });
    }
    log(`photo set: ${i + 1}/${sources.length} sources (${entries.length} files)`);
  }
  return { entries, wallpapersFound: Math.max(0, sources.length - photos().length), wallpapersMissing: missing };
}

/**
 * Input gradient of conv0 (3×3, stride 2, valid, 3 → 64 channels) as a scatter that skips zeros,
 * in WebAssembly text. The gradient at conv1 is mostly zeros: below a 3×3 stride-2 max-pool (only
 * each window's maximum gets gradient) and a ReLU mask, 67 % of its values are exactly 0 on the
 * golf-ball photo (258,106 of 788,544 nonzero). The stock path (a 2×2 conv over the padded gradient
 * giving the four stride phases, then depth-to-space) does all 38.5 M multiply-adds regardless.
 *
 * Per input cell (y, x) of the gradient d [n, h, w, c]: the 3×3×3 patch it came from starts at
 * (2y, 2x) in the image, and each of its 3 rows is 9 contiguous floats (3 pixels × RGB) of the
 * NHWC output. Those 3 rows are accumulated in registers (3 rows × 3 vectors, the last lanes of
 * each row's third vector multiply a zero weight) over the cell's nonzero channels, then added to
 * the output once. The nonzero channels are first compacted into `scratch` (2(c + 4) words)
 * without a branch: the earlier per-4-channel bitmask loop mispredicted its exits, and the
 * compacted list's single loop took 111×111×64 at 67 % random zeros from 2.84 to 1.63 ms (median
 * of 45, same process, interleaved); compacting 4 channels per step by a swizzle instead of one
 * per step, scalar, then 2.12 → 1.54 ms (50 % zeros: 2.09 → 1.86; a loaded machine). With `mask` (conv1's output, after its ReLU) a channel is kept only
 * where the mask is > 0 too: the ReLU's backward, which was its own pass over 111×111×64.
 * w is packed [c][3 rows][12] (9 weights + 3 zeros) + the swizzle table; out [n, 2h+2, 2w+2, 3] is
 * zeroed first; c % 4 == 0. The 12th-float lanes add 0 to pixel 2x+3, which exists (2w+2 columns).
 */
import { add, c, compactTable, L, load, loop, type Madd, mul, set, store } from './wat-helpers.js';

const ROWS = [0, 1, 2];
const ZERO = '(v128.const f32x4 0 0 0 0)';

export function conv0BackwardWat(madd: Madd, pooled = false): string {
  const acc = (kh: number, v: number) => `acc${kh}${v}`;
  // Keep a channel where d ≠ 0 (and, with a mask, where the mask's value at the same offset > 0),
  // 4 channels at a time: the kept lanes' values and weight offsets are moved to the front by a
  // swizzle from the table (indexed by the keep bitmask) and stored whole; the count advances by
  // the number kept, so the next store overwrites the rest.
  const compact = (masked: boolean, value?: string) =>
    loop(
      'ch',
      L('c'),
      4,
      `
      ${set('dv', value ?? load(add(L('pd'), `(i32.shl ${L('ch')} ${c(2)})`)))}
      ${set(
        'bits',
        `(i32x4.bitmask ${
          masked
            ? `(v128.and (f32x4.ne ${L('dv')} ${ZERO}) (f32x4.gt ${load(add(L('pm'), `(i32.shl ${L('ch')} ${c(2)})`))} ${ZERO}))`
            : `(f32x4.ne ${L('dv')} ${ZERO})`
        })`,
      )}
      ${set('sh', load(add(L('tbl'), `(i32.shl ${L('bits')} ${c(4)})`)))}
      ${store(add(L('vals'), L('k')), `(i8x16.swizzle ${L('dv')} ${L('sh')})`)}
      ${store(add(L('offs'), L('k')), `(i8x16.swizzle (i32x4.add (v128.const i32x4 0 144 288 432) (i32x4.splat ${mul(L('ch'), c(144))})) ${L('sh')})`)}
      ${set('k', add(L('k'), `(i32.shl (i32.popcnt ${L('bits')}) ${c(2)})`))}`,
    );
  // Pooled: the cell's gradient gathered from the max-pool windows that hold it, in the order the
  // scatter (simd-wat.ts maxPoolBackward) adds them — (oi, oj) ascending — so the sums are the same:
  // Σ (x == y_W) & share_W over the windows whose offsets (from the pooled tensors) are listed.
  const gathered = (windows: string[]) => {
    const at = (base: string, wnd: string) => load(add(L(base), L(wnd), `(i32.shl ${L('ch')} ${c(2)})`));
    return windows
      .map((wnd) => `(v128.and (f32x4.eq ${L('xv')} ${at('yp', wnd)}) ${at('sp', wnd)})`)
      .reduce((acc, t) => `(f32x4.add ${acc} ${t})`, ZERO);
  };
  const compactPooled = () => `
    (if (i32.eq ${L('nr')} ${c(1)})
      (then (if (i32.eq ${L('nc')} ${c(1)})
        (then ${compact(false, withX(gathered(['wn0'])))})
        (else ${compact(false, withX(gathered(['wn0', 'wn1'])))})))
      (else (if (i32.eq ${L('nc')} ${c(1)})
        (then ${compact(false, withX(gathered(['wn0', 'wn2'])))})
        (else ${compact(false, withX(gathered(['wn0', 'wn1', 'wn2', 'wn3'])))}))))`;
  // load the cell's x vector first (a block expression: set, then the value)
  const withX = (value: string) =>
    `(block (result v128) ${set('xv', load(add(L('pd'), `(i32.shl ${L('ch')} ${c(2)})`)))} ${value})`;
  const accs = ROWS.flatMap((kh) => ROWS.map((v) => acc(kh, v)));
  return `
(func (export "${pooled ? 'conv0BackwardPooled' : 'conv0Backward'}")
  (param $d i32) (param $w i32) (param $out i32) (param $n i32) (param $h i32) (param $wd i32) (param $c i32) (param $scratch i32) (param $mask i32)
  ${pooled ? '(param $yp i32) (param $sp i32) (param $ho i32) (param $wo i32)' : ''}
  (local $xv v128) (local $nr i32) (local $nc i32) (local $oi i32) (local $oj i32) (local $wn0 i32) (local $wn1 i32) (local $wn2 i32) (local $wn3 i32)
  (local $b i32) (local $y i32) (local $x i32) (local $ch i32) (local $pd i32) (local $pw i32) (local $po i32)
  (local $orow i32) (local $oh i32) (local $ow i32) (local $k i32) (local $j i32) (local $bits i32) (local $vals i32) (local $offs i32) (local $pm i32) (local $tbl i32) (local $dv v128) (local $sh v128) (local $s v128)
  ${accs.map((a) => `(local $${a} v128)`).join(' ')}
  ;; the mask at the same offsets as d (0: none)
  ${set('mask', `(select (i32.sub ${L('mask')} ${L('d')}) ${c(0)} ${L('mask')})`)}
  ${set('vals', L('scratch'))}
  ${set('offs', add(L('scratch'), `(i32.shl ${add(L('c'), c(4))} ${c(2)})`))}
  ;; the swizzle table follows the weights
  ${set('tbl', add(L('w'), mul(L('c'), c(144))))}
  ${set('oh', add(`(i32.shl ${L('h')} ${c(1)})`, c(2)))}
  ${set('ow', add(`(i32.shl ${L('wd')} ${c(1)})`, c(2)))}
  ${set('orow', mul(L('ow'), c(12)))}
  (memory.fill ${L('out')} ${c(0)} ${mul(mul(L('n'), L('oh')), L('orow'))})
  ${loop(
    'b',
    L('n'),
    1,
    loop(
      'y',
      L('h'),
      1,
      loop(
        'x',
        L('wd'),
        1,
        `
    ${accs.map((a) => set(a, '(v128.const f32x4 0 0 0 0)')).join(' ')}
    ${set('pd', add(L('d'), mul(add(mul(add(mul(L('b'), L('h')), L('y')), L('wd')), L('x')), `(i32.shl ${L('c')} ${c(2)})`)))}
    ;; the cell's nonzero channels, compacted without branches: each channel's value and weight
    ;; offset are written, and the count advances only past a nonzero one
    ${set('k', c(0))}
    ${
      pooled
        ? `
    ;; the pool windows holding row y: oi from max(0, (y − 1) >> 1) to min(ho − 1, y >> 1); columns alike
    ${set('oi', `(select ${c(0)} (i32.shr_s (i32.sub ${L('y')} ${c(1)}) ${c(1)}) (i32.eqz ${L('y')}))`)}
    ${set('nr', add(`(i32.sub (select (i32.sub ${L('ho')} ${c(1)}) (i32.shr_u ${L('y')} ${c(1)}) (i32.ge_u (i32.shr_u ${L('y')} ${c(1)}) ${L('ho')})) ${L('oi')})`, c(1)))}
    ${set('oj', `(select ${c(0)} (i32.shr_s (i32.sub ${L('x')} ${c(1)}) ${c(1)}) (i32.eqz ${L('x')}))`)}
    ${set('nc', add(`(i32.sub (select (i32.sub ${L('wo')} ${c(1)}) (i32.shr_u ${L('x')} ${c(1)}) (i32.ge_u (i32.shr_u ${L('x')} ${c(1)}) ${L('wo')})) ${L('oj')})`, c(1)))}
    ${set('wn0', mul(add(mul(add(mul(L('b'), L('ho')), L('oi')), L('wo')), L('oj')), `(i32.shl ${L('c')} ${c(2)})`))}
    ${set('wn1', add(L('wn0'), `(i32.shl ${L('c')} ${c(2)})`))}
    ${set('wn2', add(L('wn0'), mul(L('wo'), `(i32.shl ${L('c')} ${c(2)})`)))}
    ${set('wn3', add(L('wn2'), `(i32.shl ${L('c')} ${c(2)})`))}
    ${compactPooled()}`
        : `
    ${set('pm', add(L('mask'), L('pd')))}
    (if ${L('mask')} (then ${compact(true)}) (else ${compact(false)}))`
    }
    ${loop(
      'j',
      L('k'),
      4,
      `
      ${set('s', `(v128.load32_splat align=4 ${add(L('vals'), L('j'))})`)}
      ${set('pw', add(L('w'), `(i32.load align=4 ${add(L('offs'), L('j'))})`))}
      ${ROWS.flatMap((kh) =>
        ROWS.map((v) =>
          set(acc(kh, v), madd(L('s'), `(v128.load offset=${kh * 48 + v * 16} align=4 ${L('pw')})`, L(acc(kh, v)))),
        ),
      ).join('\n      ')}`,
    )}
    ${set('po', add(L('out'), mul(add(mul(add(mul(L('b'), L('oh')), `(i32.shl ${L('y')} ${c(1)})`), L('ow')), `(i32.shl ${L('x')} ${c(1)})`), c(12))))}
    ${ROWS.flatMap((kh) =>
      ROWS.map((v) => {
        const addr = add(L('po'), mul(c(kh), L('orow')), c(v * 16));
        return store(addr, `(f32x4.add ${load(addr)} ${L(acc(kh, v))})`);
      }),
    ).join('\n    ')}
  `,
      ),
    ),
  )}
)`;
}

/**
 * HWIO [3,3,3,c] → [c][3 rows][12]: row kh holds (kw, rgb) as 9 floats, then 3 zeros; then the
 * compaction's swizzle table (64 words, see compactTable).
 */
export function conv0BackwardWeights(k0: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(channels * 36 + 64);
  new Uint8Array(out.buffer, channels * 144).set(compactTable());
  for (let ch = 0; ch < channels; ch++)
    for (let kh = 0; kh < 3; kh++)
      for (let kw = 0; kw < 3; kw++)
        for (let ci = 0; ci < 3; ci++)
          out[ch * 36 + kh * 12 + kw * 3 + ci] = k0[((kh * 3 + kw) * 3 + ci) * channels + ch];
  return out;
}

/**
 * A fire module's backward from its output to its squeeze output, directly and skipping zeros, as
 * WebAssembly text: for the top fire modules, whose output gradient is mostly zeros after the ReLU
 * mask (fire9 0.90, fire8 0.72 on the test photos), where the dense path (reluMaskSplit, the
 * expand-1×1 gradient as a 1×1 conv, the expand-3×3 gradient by Winograd) does every product.
 *
 *   dS = (conv1x1(d1, w1) + conv3x3same(d3, w3)) masked where sq ≤ 0,
 *   [d1 ‖ d3] = d masked where y ≤ 0,
 * d, y: [n,h,w,2e] (the fire output's gradient and the fire output), sq, dS: [n,h,w,s] (the squeeze
 * output and its gradient), w1: [e][s] (expand-1×1 transposed), w3: [3][3][e][s] (expand-3×3
 * flipped and transposed: a "same" conv kernel). The branches of d are read at d1 and d3, dPix
 * bytes per pixel: d and d + 4e with 8e for d itself, or two halves already masked and split
 * (4e each; the mask by y then changes nothing).
 *
 * 1. Per pixel, its nonzero (d ≠ 0, y > 0) channels of each branch are compacted without branches
 *    into `scratch`: values and weight-row offsets, and the two counts.
 * 2. Per output pixel and chunk of 16 squeeze channels (4 accumulators): the centre pixel's
 *    expand-1×1 list against w1, then each of the 3×3 neighbours' expand-3×3 lists against that
 *    tap's rows of w3; masked by sq and stored.
 * Requirements (checked by the caller): e % 4 == 0, s % 16 == 0. Scratch: 64 + pixels·(4(e + 4) + 2) words,
 * the first 64 the swizzle table (wat-helpers.ts compactTable), written by the caller.
 */
import { add, c, L, loop, type Madd, mul, set } from './wat-helpers.js';

/**
 * Squeeze-channel vectors per chunk (16 channels), two list entries per loop step: 4 accumulators,
 * 8 weight vectors, 2 splats stay in registers. 8 vectors and one entry per step (the first
 * version) had TurboFan hoist the 8 weight loads and spill an accumulator (--print-wasm-code):
 * fire9's shape at 10 % kept 0.48 → 0.40 ms (bench/fire-backward.ts, medians of 30).
 */
const NV = 4;
const R8 = Array.from({ length: NV }, (_, i) => i);
const ZERO = '(v128.const f32x4 0 0 0 0)';

export function fireBackwardSparseWat(madd: Madd): string {
  // compact the branch's channels of pixel q's d (at `pd0` / `pd1`, y at `py`) into vals/offs at `base`, 4
  // per step (as conv0-backward-wat.ts: the kept lanes moved to the front by a swizzle from the
  // table, whole-vector stores); the count (bytes) ends in $k
  const compact = (branch: 0 | 1) =>
    loop(
      'ch',
      L('e'),
      4,
      `
      ${set('at', `(i32.shl ${add(L('ch'), branch ? L('e') : c(0))} ${c(2)})`)}
      ${set('dv', `(v128.load align=4 ${add(L(`pd${branch}`), `(i32.shl ${L('ch')} ${c(2)})`)})`)}
      ${set('bits', `(i32x4.bitmask (v128.and (f32x4.ne ${L('dv')} ${ZERO}) (f32x4.gt (v128.load align=4 ${add(L('py'), L('at'))}) ${ZERO})))`)}
      ${set('sh', `(v128.load align=4 ${add(L('tbl'), `(i32.shl ${L('bits')} ${c(4)})`)})`)}
      (v128.store align=4 ${add(L(`v${branch}`), L('base'), L('k'))} (i8x16.swizzle ${L('dv')} ${L('sh')}))
      (v128.store align=4 ${add(L(`o${branch}`), L('base'), L('k'))} (i8x16.swizzle (i32x4.add ${L('offV')} (i32x4.splat ${mul(L('ch'), L('sB'))})) ${L('sh')}))
      ${set('k', add(L('k'), `(i32.shl (i32.popcnt ${L('bits')}) ${c(2)})`))}`,
    );
  // the entry after the list: value 0, offset 0 (read when the count is odd)
  const pad = (branch: 0 | 1) =>
    `(f32.store ${add(L(`v${branch}`), L('base'), L('k'))} (f32.const 0)) (i32.store ${add(L(`o${branch}`), L('base'), L('k'))} ${c(0)})`;
  // acc += Σ over the list at (vals, offs) + listBase, count bytes `cnt`: value · row at wBase + offset
  const accumulate = (branch: 0 | 1) => `
        ${set('j', c(0))}
        (block $j_done (loop $j_loop
          (br_if $j_done (i32.ge_u ${L('j')} ${L('cnt')}))
          ${set('sv', `(v128.load32_splat align=4 ${add(L(`v${branch}`), L('lb'), L('j'))})`)}
          ${set('sv2', `(v128.load32_splat offset=4 align=4 ${add(L(`v${branch}`), L('lb'), L('j'))})`)}
          ${set('pw', add(L('wb'), `(i32.load align=4 ${add(L(`o${branch}`), L('lb'), L('j'))})`))}
          ${set('pw2', add(L('wb'), `(i32.load offset=4 align=4 ${add(L(`o${branch}`), L('lb'), L('j'))})`))}
          ${R8.map((i) => set(`a${i}`, madd(L('sv2'), `(v128.load offset=${i * 16} align=4 ${L('pw2')})`, madd(L('sv'), `(v128.load offset=${i * 16} align=4 ${L('pw')})`, L(`a${i}`))))).join('\n          ')}
          ${set('j', add(L('j'), c(8)))}
          (br $j_loop)))`;
  return `
(func (export "fireBackwardSparse")
  (param $d1 i32) (param $d3 i32) (param $dPix i32) (param $y i32) (param $sq i32) (param $w1 i32) (param $w3 i32) (param $out i32) (param $scratch i32)
  (param $n i32) (param $h i32) (param $w i32) (param $e i32) (param $s i32)
  (local $pixels i32) (local $q i32) (local $pd0 i32) (local $pd1 i32) (local $py i32) (local $base i32) (local $k i32)
  (local $cnt0 i32) (local $cnt1 i32) (local $v0 i32) (local $o0 i32) (local $v1 i32) (local $o1 i32)
  (local $eB i32) (local $sB i32) (local $tapB i32) (local $b i32) (local $yy i32) (local $xx i32) (local $p i32)
  (local $chunk i32) (local $ky i32) (local $kx i32) (local $qy i32) (local $qx i32) (local $cnt i32) (local $lb i32)
  (local $wb i32) (local $j i32) (local $pw i32) (local $po i32) (local $ch i32) (local $at i32) (local $bits i32) (local $tbl i32) (local $dv v128) (local $sh v128) (local $offV v128) (local $sv v128) (local $sv2 v128) (local $pw2 i32) (local $lB i32)
  ${R8.map((i) => `(local $a${i} v128)`).join(' ')}
  ${set('pixels', mul(mul(L('n'), L('h')), L('w')))}
  ${set('eB', `(i32.shl ${L('e')} ${c(2)})`)}
  ${set('sB', `(i32.shl ${L('s')} ${c(2)})`)}
  ${set('tapB', mul(L('eB'), L('s')))}
  ;; a pixel's list holds up to e entries and a zero one after an odd count (the loop takes two at a time)
  ${set('lB', add(L('eB'), c(16)))}
  ;; scratch: the swizzle table (64 words, written by the caller), counts [pixels][2], then vals/offs
  ;; of the expand-1×1 branch, then of the expand-3×3 one
  ${set('tbl', L('scratch'))}
  ${set('cnt0', add(L('scratch'), c(256)))}
  ${set('offV', `(i32x4.mul (v128.const i32x4 0 1 2 3) (i32x4.splat ${L('sB')}))`)}
  ${set('v0', add(L('cnt0'), `(i32.shl ${L('pixels')} ${c(3)})`))}
  ${set('o0', add(L('v0'), mul(L('pixels'), L('lB'))))}
  ${set('v1', add(L('o0'), mul(L('pixels'), L('lB'))))}
  ${set('o1', add(L('v1'), mul(L('pixels'), L('lB'))))}
  ;; 1. compaction
  ${loop(
    'q',
    L('pixels'),
    1,
    `
    ${set('pd0', add(L('d1'), mul(L('q'), L('dPix'))))}
    ${set('pd1', add(L('d3'), mul(L('q'), L('dPix'))))}
    ${set('py', add(L('y'), mul(L('q'), `(i32.shl ${L('eB')} ${c(1)})`)))}
    ${set('base', mul(L('q'), L('lB')))}
    ${set('k', c(0))}
    ${compact(0)}
    ${pad(0)}
    (i32.store ${add(L('cnt0'), `(i32.shl ${L('q')} ${c(3)})`)} ${L('k')})
    ${set('k', c(0))}
    ${compact(1)}
    ${pad(1)}
    (i32.store offset=4 ${add(L('cnt0'), `(i32.shl ${L('q')} ${c(3)})`)} ${L('k')})`,
  )}
  ;; 2. per output pixel and 32 squeeze channels
  ${loop(
    'b',
    L('n'),
    1,
    loop(
      'yy',
      L('h'),
      1,
      loop(
        'xx',
        L('w'),
        1,
        `
    ${set('p', add(mul(add(mul(L('b'), L('h')), L('yy')), L('w')), L('xx')))}
    ${loop(
      'chunk',
      L('sB'),
      NV * 16,
      `
      ${R8.map((i) => set(`a${i}`, ZERO)).join(' ')}
      ;; the centre pixel's expand-1×1 channels
      ${set('cnt', `(i32.load ${add(L('cnt0'), `(i32.shl ${L('p')} ${c(3)})`)})`)}
      ${set('lb', mul(L('p'), L('lB')))}
      ${set('wb', add(L('w1'), L('chunk')))}
      ${accumulate(0)}
      ;; each 3×3 neighbour inside the image: its expand-3×3 channels against that tap's rows
      ${loop(
        'ky',
        c(3),
        1,
        `
        ${set('qy', `(i32.sub ${add(L('yy'), L('ky'))} ${c(1)})`)}
        (if (i32.lt_u ${L('qy')} ${L('h')}) (then
        ${loop(
          'kx',
          c(3),
          1,
          `
          ${set('qx', `(i32.sub ${add(L('xx'), L('kx'))} ${c(1)})`)}
          (if (i32.lt_u ${L('qx')} ${L('w')}) (then
            ${set('q', add(mul(add(mul(L('b'), L('h')), L('qy')), L('w')), L('qx')))}
            ${set('cnt', `(i32.load offset=4 ${add(L('cnt0'), `(i32.shl ${L('q')} ${c(3)})`)})`)}
            ${set('lb', mul(L('q'), L('lB')))}
            ${set('wb', add(L('w3'), mul(add(mul(L('ky'), c(3)), L('kx')), L('tapB')), L('chunk')))}
            ${accumulate(1)}))`,
        )}))`,
      )}
      ${set('po', add(mul(L('p'), L('sB')), L('chunk')))}
      ${R8.map(
        (i) =>
          `(v128.store offset=${i * 16} align=4 ${add(L('out'), L('po'))} (v128.and ${L(`a${i}`)} ` +
          `(f32x4.gt (v128.load offset=${i * 16} align=4 ${add(L('sq'), L('po'))}) ${ZERO})))`,
      ).join('\n      ')}`,
    )}`,
      ),
    ),
  )}
)`;
}

export type FireBackwardSparseExport = (
  d1: number,
  d3: number,
  dPix: number,
  y: number,
  sq: number,
  w1: number,
  w3: number,
  out: number,
  scratch: number,
  n: number,
  h: number,
  w: number,
  e: number,
  s: number,
) => void;

/** Scratch words fireBackwardSparse needs. */
export function fireBackwardScratch(pixels: number, e: number): number {
  return 64 + pixels * (4 * (e + 4) + 2);
}

/**
 * How many of the `count` (% 4 == 0) entries of d are nonzero (halves already masked) — or, with
 * the ReLU output y (`masked`), have d ≠ 0 and y > 0: the kept fraction decides the path.
 */
function countWat(name: string, masked: boolean): string {
  const nonzero = `(f32x4.ne (v128.load align=4 ${add(L('d'), L('i'))}) ${ZERO})`;
  const kept = masked ? `(v128.and ${nonzero} (f32x4.gt (v128.load align=4 ${add(L('y'), L('i'))}) ${ZERO}))` : nonzero;
  return `
(func (export "${name}") (param $d i32) ${masked ? '(param $y i32) ' : ''}(param $count i32) (result i32)
  (local $i i32) (local $kept i32)
  ${loop('i', `(i32.shl ${L('count')} ${c(2)})`, 16, set('kept', add(L('kept'), `(i32.popcnt (i32x4.bitmask ${kept}))`)))}
  ${L('kept')}
)`;
}

export const countNonzeroWat = countWat('countNonzero', false);
export const countKeptWat = countWat('countKept', true);

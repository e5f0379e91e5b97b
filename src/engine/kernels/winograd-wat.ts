/**
 * Winograd F(2×2, 3×3) for a 3×3 stride-1 "same" convolution (the fire modules' expand-3×3 and
 * its input gradient), as WebAssembly text. Each 2×2 output block ("tile") needs 16 products per
 * (input, output) channel pair instead of 36: 2.25× fewer multiply-adds than the direct conv.
 *
 * Per block of `tb` tiles (tb % 4 == 0):
 *   1. input transform: every tile's 4×4 input patch d (zero outside the image) → Bᵀ d B, stored
 *      as V[ξ][tile][ci] (ξ = 0..15 the transformed position), whole vectors;
 *   2. for each chunk of 8 output channels, for each ξ: M[ξ] = V[ξ] · U[ξ] over the input
 *      channels, 4 tiles × 8 channels per step (8 accumulators, the shape XNNPACK uses for
 *      128-bit SIMD), into M[tile][ξ][8];
 *   3. output transform Aᵀ M A → the 2×2 outputs, + bias, ReLU (flags), stored where inside.
 * U is the weight transform G g Gᵀ, made once per model by winograd.ts and packed as
 * [cout/8][ξ][cin][8] so the GEMM reads it with constant offsets too.
 *
 * Requirements (checked by the caller): cin % 4 == 0, cout % 8 == 0.
 */
import { add, c, L, load, loop, type Madd, mul, set, store } from './wat-helpers.js';

const XI = Array.from({ length: 16 }, (_, k) => k);
const R4 = [0, 1, 2, 3];
const ZERO = '(v128.const f32x4 0 0 0 0)';
const fadd = (a: string, b: string) => `(f32x4.add ${a} ${b})`;
const fsub = (a: string, b: string) => `(f32x4.sub ${a} ${b})`;

/** Bᵀ d B for d = the 16 locals d{i}{j}; results into the same locals (through s{i}{j}). */
function inputTransform(): string {
  const out: string[] = [];
  // columns of Bᵀ d: s0j = d0j − d2j, s1j = d1j + d2j, s2j = d2j − d1j, s3j = d1j − d3j
  for (const j of R4) {
    const d = (i: number) => L(`d${i}${j}`);
    out.push(set(`s0${j}`, fsub(d(0), d(2))), set(`s1${j}`, fadd(d(1), d(2))));
    out.push(set(`s2${j}`, fsub(d(2), d(1))), set(`s3${j}`, fsub(d(1), d(3))));
  }
  // then · B along each row
  for (const i of R4) {
    const s = (j: number) => L(`s${i}${j}`);
    out.push(set(`d${i}0`, fsub(s(0), s(2))), set(`d${i}1`, fadd(s(1), s(2))));
    out.push(set(`d${i}2`, fsub(s(2), s(1))), set(`d${i}3`, fsub(s(1), s(3))));
  }
  return out.join('\n      ');
}

export function winogradWat(madd: Madd): string {
  const dLocals = R4.flatMap((i) => R4.map((j) => `(local $d${i}${j} v128) (local $s${i}${j} v128)`)).join(' ');
  const accLocals = R4.map((r) => `(local $a${r}0 v128) (local $a${r}1 v128)`).join(' ');
  const valid = (i: number, j: number) => `(i32.and ${L(`ry${i}`)} ${L(`cx${j}`)})`;
  const patchLoad = (i: number, j: number) =>
    set(
      `d${i}${j}`,
      `(if (result v128) ${valid(i, j)} (then ${load(add(L('p'), L(`ro${i}`), L(`co${j}`)))}) (else ${ZERO}))`,
    );
  // one input-channel step of the 4×8 micro-kernel, at constant offsets k·32 (U) and k·16 (V)
  const gemmStep = (k: number) =>
    [
      set('w0', `(v128.load offset=${k * 32} align=4 ${L('pu')})`),
      set('w1', `(v128.load offset=${k * 32 + 16} align=4 ${L('pu')})`),
      ...R4.flatMap((r) => [
        set('bv', `(v128.load32_splat offset=${k * 4} align=4 ${L(`pr${r}`)})`),
        set(`a${r}0`, madd(L('bv'), L('w0'), L(`a${r}0`))),
        set(`a${r}1`, madd(L('bv'), L('w1'), L(`a${r}1`))),
      ]),
    ].join('\n          ');
  const m = (i: number, j: number) => L(`d${i}${j}`);
  // Aᵀ m A: t0j = m0j + m1j + m2j, t1j = m1j − m2j − m3j; then the same along rows.
  const outputTransform = [
    ...R4.flatMap((j) => [
      set(`s0${j}`, fadd(fadd(m(0, j), m(1, j)), m(2, j))),
      set(`s1${j}`, fsub(fsub(m(1, j), m(2, j)), m(3, j))),
    ]),
    ...[0, 1].flatMap((i) => {
      const s = (j: number) => L(`s${i}${j}`);
      return [
        set(`o${i}0`, `(f32x4.pmax (f32x4.add ${fadd(fadd(s(0), s(1)), s(2))} ${L('bv')}) ${L('lo')})`),
        set(`o${i}1`, `(f32x4.pmax (f32x4.add ${fsub(fsub(s(1), s(2)), s(3))} ${L('bv')}) ${L('lo')})`),
      ];
    }),
  ].join('\n        ');

  return `
(func (export "winograd3x3")
  (param $x i32) (param $u i32) (param $bias i32) (param $out i32) (param $v i32) (param $m i32)
  (param $n i32) (param $h i32) (param $w i32) (param $cin i32) (param $cout i32) (param $tb i32) (param $flags i32)
  (local $th i32) (local $tw i32) (local $per i32) (local $tiles i32) (local $t0 i32) (local $nb i32) (local $nq i32)
  (local $tt i32) (local $tile i32) (local $b i32) (local $rem i32) (local $ty i32) (local $tx i32)
  (local $cinB i32) (local $coutB i32) (local $rowB i32) (local $vs i32) (local $p i32) (local $pv0 i32)
  (local $ci i32) (local $pp i32) (local $co i32) (local $xi i32) (local $q i32) (local $pu i32) (local $pr0 i32) (local $pr1 i32) (local $pr2 i32) (local $pr3 i32)
  (local $pm i32) (local $ob i32) (local $hl i32) (local $okx i32) (local $oky i32) (local $orow i32)
  (local $ry0 i32) (local $ry1 i32) (local $ry2 i32) (local $ry3 i32)
  (local $cx0 i32) (local $cx1 i32) (local $cx2 i32) (local $cx3 i32)
  (local $ro0 i32) (local $ro1 i32) (local $ro2 i32) (local $ro3 i32)
  (local $co0 i32) (local $co1 i32) (local $co2 i32) (local $co3 i32)
  ${dLocals} ${accLocals}
  (local $w0 v128) (local $w1 v128) (local $bv v128) (local $lo v128)
  (local $o00 v128) (local $o01 v128) (local $o10 v128) (local $o11 v128)
  ${set('th', `(i32.shr_u ${add(L('h'), c(1))} ${c(1)})`)}
  ${set('tw', `(i32.shr_u ${add(L('w'), c(1))} ${c(1)})`)}
  ${set('per', mul(L('th'), L('tw')))}
  ${set('tiles', mul(L('n'), L('per')))}
  ${set('cinB', `(i32.shl ${L('cin')} ${c(2)})`)}
  ${set('coutB', `(i32.shl ${L('cout')} ${c(2)})`)}
  ${set('rowB', mul(L('w'), L('cinB')))}
  ${set('vs', mul(L('tb'), L('cinB')))}
  ${R4.map((i) => `${set(`ro${i}`, mul(c(i), L('rowB')))} ${set(`co${i}`, mul(c(i), L('cinB')))}`).join('\n  ')}
  ;; ReLU as a lower bound: 0 with flag 2, else -inf (pmax(x, -inf) = x)
  ${set('lo', `(if (result v128) (i32.and ${L('flags')} ${c(2)}) (then ${ZERO}) (else (v128.const f32x4 -inf -inf -inf -inf)))`)}
  (block $blk_done (loop $blk_loop
    (br_if $blk_done (i32.ge_u ${L('t0')} ${L('tiles')}))
    ${set('nb', `(select ${L('tb')} (i32.sub ${L('tiles')} ${L('t0')}) (i32.le_u ${L('tb')} (i32.sub ${L('tiles')} ${L('t0')})))`)}
    ${set('nq', `(i32.shr_u ${add(L('nb'), c(3))} ${c(2)})`)}
    ;; 1. input transform of the block's tiles (tiles past the end: all zeros)
    ${loop(
      'tt',
      `(i32.shl ${L('nq')} ${c(2)})`,
      1,
      `
      ${set('tile', add(L('t0'), L('tt')))}
      ${set('b', `(i32.div_u ${L('tile')} ${L('per')})`)}
      ${set('rem', `(i32.rem_u ${L('tile')} ${L('per')})`)}
      ${set('ty', `(i32.sub (i32.shl (i32.div_u ${L('rem')} ${L('tw')}) ${c(1)}) ${c(1)})`)}
      ${set('tx', `(i32.sub (i32.shl (i32.rem_u ${L('rem')} ${L('tw')}) ${c(1)}) ${c(1)})`)}
      ${R4.map((i) => set(`ry${i}`, `(i32.and (i32.lt_u ${add(L('ty'), c(i))} ${L('h')}) (i32.lt_u ${L('tile')} ${L('tiles')}))`)).join('\n      ')}
      ${R4.map((j) => set(`cx${j}`, `(i32.lt_u ${add(L('tx'), c(j))} ${L('w')})`)).join('\n      ')}
      ;; the patch's top-left address; wraps below 0 at the border, but is only read where valid
      ${set('p', add(L('x'), mul(add(mul(add(mul(L('b'), L('h')), L('ty')), L('w')), L('tx')), L('cinB'))))}
      ${set('pv0', add(L('v'), mul(L('tt'), L('cinB'))))}
      ${loop(
        'ci',
        L('cinB'),
        16,
        `
      ${R4.flatMap((i) => R4.map((j) => patchLoad(i, j))).join('\n      ')}
      ${inputTransform()}
      ${set('pp', add(L('pv0'), L('ci')))}
      ${XI.map((xi) => `${store(L('pp'), L(`d${xi >> 2}${xi & 3}`))} ${set('pp', add(L('pp'), L('vs')))}`).join('\n      ')}
      ${set('p', add(L('p'), c(16)))}`,
      )}`,
    )}
    ;; 2.–3. per chunk of 8 output channels: the 16 GEMMs, then the output transform
    ${loop(
      'co',
      L('coutB'),
      32,
      `
      ${loop(
        'xi',
        c(16),
        1,
        `
        ${loop(
          'q',
          L('nq'),
          1,
          `
          ${set('pu', add(L('u'), mul(add(`(i32.shr_u ${L('co')} ${c(1)})`, L('xi')), `(i32.shl ${L('cin')} ${c(5)})`)))}
          ${set('pr0', add(L('v'), mul(L('xi'), L('vs')), mul(L('q'), `(i32.shl ${L('cinB')} ${c(2)})`)))}
          ${[1, 2, 3].map((r) => set(`pr${r}`, add(L(`pr${r - 1}`), L('cinB')))).join(' ')}
          ${R4.map((r) => `${set(`a${r}0`, ZERO)} ${set(`a${r}1`, ZERO)}`).join(' ')}
          ${loop(
            'ci',
            L('cin'),
            4,
            `
          ${[0, 1, 2, 3].map(gemmStep).join('\n          ')}
          ${set('pu', add(L('pu'), c(128)))}
          ${R4.map((r) => set(`pr${r}`, add(L(`pr${r}`), c(16)))).join(' ')}`,
          )}
          ${set('pm', add(L('m'), `(i32.shl ${add(`(i32.shl ${L('q')} ${c(6)})`, L('xi'))} ${c(5)})`))}
          ${R4.map((r) => `(v128.store offset=${r * 512} align=4 ${L('pm')} ${L(`a${r}0`)}) (v128.store offset=${r * 512 + 16} align=4 ${L('pm')} ${L(`a${r}1`)})`).join('\n          ')}`,
        )}`,
      )}
      ${loop(
        'tt',
        L('nb'),
        1,
        `
        ${set('tile', add(L('t0'), L('tt')))}
        ${set('b', `(i32.div_u ${L('tile')} ${L('per')})`)}
        ${set('rem', `(i32.rem_u ${L('tile')} ${L('per')})`)}
        ${set('ty', `(i32.shl (i32.div_u ${L('rem')} ${L('tw')}) ${c(1)})`)}
        ${set('tx', `(i32.shl (i32.rem_u ${L('rem')} ${L('tw')}) ${c(1)})`)}
        ${set('oky', `(i32.lt_u ${add(L('ty'), c(1))} ${L('h')})`)}
        ${set('okx', `(i32.lt_u ${add(L('tx'), c(1))} ${L('w')})`)}
        ${set('orow', mul(L('w'), L('coutB')))}
        ${set('ob', add(L('out'), L('co'), mul(add(mul(add(mul(L('b'), L('h')), L('ty')), L('w')), L('tx')), L('coutB'))))}
        ${set('pm', add(L('m'), `(i32.shl ${L('tt')} ${c(9)})`))}
        ${loop(
          'hl',
          c(32),
          16,
          `
        ${XI.map((xi) => set(`d${xi >> 2}${xi & 3}`, `(v128.load offset=${xi * 32} align=4 ${add(L('pm'), L('hl'))})`)).join('\n        ')}
        ${set('bv', `(if (result v128) (i32.and ${L('flags')} ${c(1)}) (then ${load(add(L('bias'), L('co'), L('hl')))}) (else ${ZERO}))`)}
        ${outputTransform}
        ${store(add(L('ob'), L('hl')), L('o00'))}
        (if ${L('okx')} (then ${store(add(L('ob'), L('coutB'), L('hl')), L('o01'))}))
        (if ${L('oky')} (then ${store(add(L('ob'), L('orow'), L('hl')), L('o10'))}))
        (if (i32.and ${L('okx')} ${L('oky')}) (then ${store(add(L('ob'), L('orow'), L('coutB'), L('hl')), L('o11'))}))`,
        )}`,
      )}`,
    )}
    ${set('t0', add(L('t0'), L('tb')))}
    (br $blk_loop)))
)`;
}

export type WinogradExport = (
  x: number,
  u: number,
  bias: number,
  out: number,
  v: number,
  m: number,
  n: number,
  h: number,
  w: number,
  cin: number,
  cout: number,
  tb: number,
  flags: number,
) => void;

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

/** One Winograd F(m×m, 3×3): tiles of m×m outputs from (m+2)×(m+2) inputs. */
export interface WinogradSpec {
  m: number;
  /** Bᵀ (α×α, α = m + 2), G (α×3), Aᵀ (m×α) */
  BT: number[][];
  G: number[][];
  AT: number[][];
}

/** F(2×2, 3×3): 16 products per 4 outputs (2.25× fewer than direct); exact small coefficients. */
export const F2: WinogradSpec = {
  m: 2,
  BT: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  G: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
};

/** F(4×4, 3×3) (Lavin & Gray's points 0, ±1, ±2): 36 products per 16 outputs (4× fewer), larger rounding. */
export const F4: WinogradSpec = {
  m: 4,
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

const R4 = [0, 1, 2, 3];
/**
 * Bytes between V's ξ planes beyond the block itself. Unpadded, a plane is tb·cin·4 bytes: 4 KiB
 * for F(4,3) at tb 16, cin 64 (the fire2-3 gradient), so the input transform's 36 stores of one
 * tile and channel group all fell in one L1 set (and 4K-aliased the loads). One cache line more
 * spreads them: that gradient layer 1.39 → 0.72 ms (bench/winograd-kernel.ts, median of 40), the
 * 128 → 32 one 0.96 → 0.65, 256 → 64 0.91 → 0.74; the forward unchanged (0.68–0.71 ms at 55×55).
 */
const V_PAD = 64;
const ZERO = '(v128.const f32x4 0 0 0 0)';
const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** Σ coeffs[k]·terms[k] on 4 lanes, skipping zero coefficients, ±1 as add/sub. */
function lin(coeffs: number[], terms: string[]): string {
  let expr = '';
  coeffs.forEach((k, i) => {
    if (k === 0) return;
    const mag = Math.abs(k);
    const t = mag === 1 ? terms[i] : `(f32x4.mul ${terms[i]} (v128.const f32x4 ${mag} ${mag} ${mag} ${mag}))`;
    if (!expr) expr = k > 0 ? t : `(f32x4.neg ${t})`;
    else expr = `(f32x4.${k > 0 ? 'add' : 'sub'} ${expr} ${t})`;
  });
  return expr || ZERO;
}

/** X ← Tᵀ-style transform: out[i][j] = Σ_k Σ_l R[i][k] in[k][l] C[j][l], in locals named `${src}${k}_${l}`. */
function transform2d(R: number[][], C: number[][], src: string, mid: string, dst: string): string {
  const rows = R.length;
  const inner = R[0].length;
  const out: string[] = [];
  for (let l = 0; l < C[0].length; l++)
    for (let i = 0; i < rows; i++)
      out.push(
        set(
          `${mid}${i}_${l}`,
          lin(
            R[i],
            range(inner).map((k) => L(`${src}${k}_${l}`)),
          ),
        ),
      );
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < C.length; j++)
      out.push(
        set(
          `${dst}${i}_${j}`,
          lin(
            C[j],
            range(C[0].length).map((l) => L(`${mid}${i}_${l}`)),
          ),
        ),
      );
  return out.join('\n      ');
}

/**
 * What the output transform adds before storing: 'biasRelu' (flags: 1 bias, 2 ReLU; the forward
 * conv), or 'addMask' (the backward pass: + the tensor at $bias, then zero where the tensor at $mask
 * is ≤ 0 — the other branch's gradient and the ReLU below, fused; flags unused). $bias and $mask,
 * like $out, are [n,h,w,cout].
 */
export type WinogradEpilogue = 'biasRelu' | 'addMask';

export function winogradWat(spec: WinogradSpec, madd: Madd, epilogue: WinogradEpilogue = 'biasRelu'): string {
  const addMask = epilogue === 'addMask';
  const { m, BT, AT } = spec;
  const A = m + 2; // α
  const XI = range(A * A);
  const RA = range(A);
  const RM = range(m);
  const v128Locals = (prefix: string, rows: number, cols: number) =>
    range(rows)
      .flatMap((i) => range(cols).map((j) => `(local $${prefix}${i}_${j} v128)`))
      .join(' ');
  const accLocals = R4.map((r) => `(local $a${r}0 v128) (local $a${r}1 v128)`).join(' ');
  const i32Locals = (names: string[]) => names.map((n) => `(local $${n} i32)`).join(' ');
  const valid = (i: number, j: number) => `(i32.and ${L(`ry${i}`)} ${L(`cx${j}`)})`;
  const patchLoad = (i: number, j: number) =>
    set(
      `d${i}_${j}`,
      `(if (result v128) ${valid(i, j)} (then ${load(add(L('p'), L(`ro${i}`), L(`cb${j}`)))}) (else ${ZERO}))`,
    );
  // One input-channel step of the 4×8 micro-kernel, at constant offsets k·32 (U) and k·4 (V rows).
  // The loop runs one step per iteration: unrolled by 4, V8's TurboFan hoisted all 24 loads to the
  // top of the body and spilled the accumulators to the stack (seen with --print-wasm-code), and
  // one step was 20–30 % faster on every layer (e.g. 13×13 48 → 192 0.52 → 0.39 ms, 64 → 16 at
  // 55×55 0.93 → 0.70 ms, medians of 30, interleaved in one process; unrolled by 2 as slow as 4).
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
  const mStride = A * A * 32; // bytes per tile in M: [tile][ξ][8]
  const store8 = (i: number, j: number) => {
    const cond = [i > 0 ? L(`oky${i}`) : '', j > 0 ? L(`okx${j}`) : ''].filter(Boolean);
    const addr = add(L('ob'), mul(c(i), L('orow')), mul(c(j), L('coutB')), L('hl'));
    const value = addMask
      ? `(v128.and (f32x4.add ${L(`o${i}_${j}`)} ${load(add(addr, L('dA')))}) ` +
        `(f32x4.gt ${load(add(addr, L('dM')))} ${ZERO}))`
      : `(f32x4.pmax (f32x4.add ${L(`o${i}_${j}`)} ${L('bv')}) ${L('lo')})`;
    const st = store(addr, value);
    if (cond.length === 0) return st;
    return `(if ${cond.length === 2 ? `(i32.and ${cond[0]} ${cond[1]})` : cond[0]} (then ${st}))`;
  };

  return `
(func (export "winograd${m}x3${addMask ? 'AddMask' : ''}")
  (param $x i32) (param $u i32) (param $bias i32) (param $out i32) (param $v i32) (param $m i32)
  (param $n i32) (param $h i32) (param $w i32) (param $cin i32) (param $cout i32) (param $tb i32) (param $flags i32)
  (param $mask i32)
  (local $dA i32) (local $dM i32)
  ${i32Locals(['th', 'tw', 'per', 'tiles', 't0', 'nb', 'nq', 'tt', 'tile', 'b', 'rem', 'ty', 'tx'])}
  ${i32Locals(['cinB', 'coutB', 'rowB', 'vs', 'p', 'pv0', 'ci', 'pp', 'co', 'xi', 'q', 'pu', 'pm', 'ob', 'hl', 'orow'])}
  ${i32Locals(['pr0', 'pr1', 'pr2', 'pr3'])}
  ${i32Locals(RA.flatMap((i) => [`ry${i}`, `cx${i}`, `ro${i}`, `cb${i}`]))}
  ${i32Locals(RM.flatMap((i) => [`oky${i}`, `okx${i}`]))}
  ${v128Locals('d', A, A)} ${v128Locals('s', A, A)} ${v128Locals('o', m, m)} ${accLocals}
  (local $w0 v128) (local $w1 v128) (local $bv v128) (local $lo v128)
  ;; the addend and mask at the same offsets as the output (addMask)
  ${set('dA', `(i32.sub ${L('bias')} ${L('out')})`)}
  ${set('dM', `(i32.sub ${L('mask')} ${L('out')})`)}
  ${set('th', `(i32.div_u ${add(L('h'), c(m - 1))} ${c(m)})`)}
  ${set('tw', `(i32.div_u ${add(L('w'), c(m - 1))} ${c(m)})`)}
  ${set('per', mul(L('th'), L('tw')))}
  ${set('tiles', mul(L('n'), L('per')))}
  ${set('cinB', `(i32.shl ${L('cin')} ${c(2)})`)}
  ${set('coutB', `(i32.shl ${L('cout')} ${c(2)})`)}
  ${set('rowB', mul(L('w'), L('cinB')))}
  ${set('vs', add(mul(L('tb'), L('cinB')), c(V_PAD)))}
  ${set('orow', mul(L('w'), L('coutB')))}
  ${RA.map((i) => `${set(`ro${i}`, mul(c(i), L('rowB')))} ${set(`cb${i}`, mul(c(i), L('cinB')))}`).join('\n  ')}
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
      ${set('ty', `(i32.sub ${mul(`(i32.div_u ${L('rem')} ${L('tw')})`, c(m))} ${c(1)})`)}
      ${set('tx', `(i32.sub ${mul(`(i32.rem_u ${L('rem')} ${L('tw')})`, c(m))} ${c(1)})`)}
      ${RA.map((i) => set(`ry${i}`, `(i32.and (i32.lt_u ${add(L('ty'), c(i))} ${L('h')}) (i32.lt_u ${L('tile')} ${L('tiles')}))`)).join('\n      ')}
      ${RA.map((j) => set(`cx${j}`, `(i32.lt_u ${add(L('tx'), c(j))} ${L('w')})`)).join('\n      ')}
      ;; the patch's top-left address; wraps below 0 at the border, but is only read where valid
      ${set('p', add(L('x'), mul(add(mul(add(mul(L('b'), L('h')), L('ty')), L('w')), L('tx')), L('cinB'))))}
      ${set('pv0', add(L('v'), mul(L('tt'), L('cinB'))))}
      ${loop(
        'ci',
        L('cinB'),
        16,
        `
      ${RA.flatMap((i) => RA.map((j) => patchLoad(i, j))).join('\n      ')}
      ${transform2d(BT, BT, 'd', 's', 'd')}
      ${set('pp', add(L('pv0'), L('ci')))}
      ${XI.map((xi) => `${store(L('pp'), L(`d${Math.floor(xi / A)}_${xi % A}`))} ${set('pp', add(L('pp'), L('vs')))}`).join('\n      ')}
      ${set('p', add(L('p'), c(16)))}`,
      )}`,
    )}
    ;; 2.–3. per chunk of 8 output channels: the α² GEMMs, then the output transform
    ${loop(
      'co',
      L('coutB'),
      32,
      `
      ${loop(
        'xi',
        c(A * A),
        1,
        `
        ${loop(
          'q',
          L('nq'),
          1,
          `
          ${set('pu', add(L('u'), mul(add(mul(`(i32.shr_u ${L('co')} ${c(5)})`, c(A * A)), L('xi')), `(i32.shl ${L('cin')} ${c(5)})`)))}
          ${set('pr0', add(L('v'), mul(L('xi'), L('vs')), mul(L('q'), `(i32.shl ${L('cinB')} ${c(2)})`)))}
          ${[1, 2, 3].map((r) => set(`pr${r}`, add(L(`pr${r - 1}`), L('cinB')))).join(' ')}
          ${R4.map((r) => `${set(`a${r}0`, ZERO)} ${set(`a${r}1`, ZERO)}`).join(' ')}
          ${loop(
            'ci',
            L('cin'),
            1,
            `
          ${gemmStep(0)}
          ${set('pu', add(L('pu'), c(32)))}
          ${R4.map((r) => set(`pr${r}`, add(L(`pr${r}`), c(4)))).join(' ')}`,
          )}
          ${set('pm', add(L('m'), `(i32.shl ${add(mul(L('q'), c(4 * A * A)), L('xi'))} ${c(5)})`))}
          ${R4.map((r) => `(v128.store offset=${r * mStride} align=4 ${L('pm')} ${L(`a${r}0`)}) (v128.store offset=${r * mStride + 16} align=4 ${L('pm')} ${L(`a${r}1`)})`).join('\n          ')}`,
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
        ${set('ty', mul(`(i32.div_u ${L('rem')} ${L('tw')})`, c(m)))}
        ${set('tx', mul(`(i32.rem_u ${L('rem')} ${L('tw')})`, c(m)))}
        ${RM.slice(1)
          .map((i) => set(`oky${i}`, `(i32.lt_u ${add(L('ty'), c(i))} ${L('h')})`))
          .join(' ')}
        ${RM.slice(1)
          .map((j) => set(`okx${j}`, `(i32.lt_u ${add(L('tx'), c(j))} ${L('w')})`))
          .join(' ')}
        ${set('ob', add(L('out'), L('co'), mul(add(mul(add(mul(L('b'), L('h')), L('ty')), L('w')), L('tx')), L('coutB'))))}
        ${set('pm', add(L('m'), mul(L('tt'), c(mStride))))}
        ${loop(
          'hl',
          c(32),
          16,
          `
        ${XI.map((xi) => set(`d${Math.floor(xi / A)}_${xi % A}`, `(v128.load offset=${xi * 32} align=4 ${add(L('pm'), L('hl'))})`)).join('\n        ')}
        ${addMask ? '' : set('bv', `(if (result v128) (i32.and ${L('flags')} ${c(1)}) (then ${load(add(L('bias'), L('co'), L('hl')))}) (else ${ZERO}))`)}
        ${transform2d(AT, AT, 'd', 's', 'o')}
        ${RM.flatMap((i) => RM.map((j) => store8(i, j))).join('\n        ')}`,
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
  mask: number,
) => void;

/** Scratch floats one call needs for a block of tb tiles: the transformed inputs V, the GEMM results M. */
export function winogradScratch(spec: WinogradSpec, tb: number, cin: number, _cout: number): { v: number; m: number } {
  const a2 = (spec.m + 2) ** 2;
  return { v: a2 * (tb * cin + V_PAD / 4), m: tb * a2 * 8 };
}

/**
 * A 1×1 convolution whose output is a fire module's concatenated output gradient, stored already
 * ReLU-masked and split into its two branches (what reluMaskSplit did as a pass of its own), as
 * WebAssembly text: the squeeze input-gradient of one fire module feeding the expand gradients of
 * the one below.
 *   outA[p][j] = (Σ_k x[p][k] w[k][j]) where y[p][j] > 0,   j < e
 *   outB[p][j] = (Σ_k x[p][k] w[k][e + j]) where y[p][e + j] > 0
 * x: [pixels][k], y: [pixels][2e], w packed [2e/8][k][8]; 4 pixels × 8 outputs per step (the
 * Winograd GEMM's micro-kernel). Requirements (checked by the caller): e % 8 == 0.
 *
 * Against XNNPACK's conv2d + reluMaskSplit (interleaved, medians of 40, random data; equal outputs):
 * 55×55 16 → 128 1.13 → 0.85 ms, 27×27 32 → 256 0.57 → 0.42, 13×13 64 → 512 0.46 → 0.35,
 * 64 → 384 0.33 → 0.25, 48 → 384 0.38 → 0.20.
 */
import { add, c, L, loop, type Madd, mul, set } from './wat-helpers.js';

const R4 = [0, 1, 2, 3];
const ZERO = '(v128.const f32x4 0 0 0 0)';

/**
 * masked: conv1x1MaskSplit as above; else conv1x1(x, w, out, pixels, k, n): the plain 1×1 conv
 * (out [pixels][n], n = 2e % 16 == 0), for the gradients XNNPACK's conv2d gave.
 */
export function conv1x1SplitWat(madd: Madd, masked = true): string {
  const params = masked
    ? '(param $x i32) (param $w i32) (param $y i32) (param $outA i32) (param $outB i32) (param $pixels i32) (param $k i32) (param $e i32)'
    : '(param $x i32) (param $w i32) (param $outA i32) (param $pixels i32) (param $k i32) (param $n i32) (local $e i32) (local $outB i32) (local $y i32)';
  return `
(func (export "${masked ? 'conv1x1MaskSplit' : 'conv1x1'}")
  ${params}
  (local $kB i32) (local $eB i32) (local $p i32) (local $co i32) (local $ci i32) (local $pu i32) (local $dst i32)
  (local $cOff i32) (local $pe i32) (local $oPix i32) (local $w0 v128) (local $w1 v128) (local $bv v128)
  ${R4.map((r) => `(local $pr${r} i32) (local $row${r} i32) (local $a${r}0 v128) (local $a${r}1 v128)`).join(' ')}
  ${masked ? '' : set('e', `(i32.shr_u ${L('n')} ${c(1)})`)}
  ${set('kB', `(i32.shl ${L('k')} ${c(2)})`)}
  ${set('eB', `(i32.shl ${L('e')} ${c(2)})`)}
  ;; bytes per output pixel: one half (e) split, the whole row (2e) plain
  ${set('oPix', masked ? L('eB') : `(i32.shl ${L('eB')} ${c(1)})`)}
  ${loop(
    'p',
    L('pixels'),
    4,
    `
    ;; the quad's rows; past the last pixel, the last pixel again (computed, not stored)
    ${R4.map((r) => set(`row${r}`, `(select ${add(L('p'), c(r))} (i32.sub ${L('pixels')} ${c(1)}) (i32.lt_u ${add(L('p'), c(r))} ${L('pixels')}))`)).join('\n    ')}
    ${loop(
      'co',
      `(i32.shl ${L('eB')} ${c(1)})`,
      32,
      `
      ${R4.map((r) => set(`pr${r}`, add(L('x'), mul(L(`row${r}`), L('kB'))))).join(' ')}
      ${set('pu', add(L('w'), mul(`(i32.shr_u ${L('co')} ${c(5)})`, `(i32.shl ${L('kB')} ${c(3)})`)))}
      ${set('pe', add(L('pu'), `(i32.shl ${L('kB')} ${c(3)})`))}
      ${R4.map((r) => `${set(`a${r}0`, ZERO)} ${set(`a${r}1`, ZERO)}`).join(' ')}
      (loop $k_loop
        ${set('w0', `(v128.load align=4 ${L('pu')})`)}
        ${set('w1', `(v128.load offset=16 align=4 ${L('pu')})`)}
        ${R4.map((r) =>
          [
            set('bv', `(v128.load32_splat align=4 ${L(`pr${r}`)})`),
            set(`a${r}0`, madd(L('bv'), L('w0'), L(`a${r}0`))),
            set(`a${r}1`, madd(L('bv'), L('w1'), L(`a${r}1`))),
          ].join(' '),
        ).join('\n        ')}
        ${set('pu', add(L('pu'), c(32)))}
        ${R4.map((r) => set(`pr${r}`, add(L(`pr${r}`), c(4)))).join(' ')}
        (br_if $k_loop (i32.lt_u ${L('pu')} ${L('pe')})))
      ;; which half, and where in it
      ${set('dst', masked ? `(select ${L('outA')} ${L('outB')} (i32.lt_u ${L('co')} ${L('eB')}))` : L('outA'))}
      ${set('cOff', masked ? `(select ${L('co')} (i32.sub ${L('co')} ${L('eB')}) (i32.lt_u ${L('co')} ${L('eB')}))` : L('co'))}
      ${R4.map((r) => {
        const yAt = (h: number) =>
          `(v128.load offset=${h * 16} align=4 ${add(L('y'), mul(L(`row${r}`), `(i32.shl ${L('eB')} ${c(1)})`), L('co'))})`;
        const at = add(L('dst'), mul(L(`row${r}`), L('oPix')), L('cOff'));
        const st = [0, 1]
          .map(
            (h) =>
              `(v128.store offset=${h * 16} align=4 ${at} ${masked ? `(v128.and ${L(`a${r}${h}`)} (f32x4.gt ${yAt(h)} ${ZERO}))` : L(`a${r}${h}`)})`,
          )
          .join(' ');
        return r === 0 ? st : `(if (i32.lt_u ${add(L('p'), c(r))} ${L('pixels')}) (then ${st}))`;
      }).join('\n      ')}`,
    )}`,
  )}
)`;
}

/** HWIO [1,1,k,n] → [n/8][k][8] for conv1x1MaskSplit. */
export function conv1x1SplitWeights(hwio: Float32Array, k: number, n: number): Float32Array {
  const out = new Float32Array(k * n);
  for (let ci = 0; ci < k; ci++)
    for (let co = 0; co < n; co++) out[((co >> 3) * k + ci) * 8 + (co & 7)] = hwio[ci * n + co];
  return out;
}

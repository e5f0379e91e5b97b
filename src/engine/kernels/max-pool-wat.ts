/**
 * The max-pool gradient kernels of simd-wat.ts (3×3 stride-2 windows; our tie rule: a
 * window's gradient is shared equally between its tied maxima), in their own file so each kernel
 * source stays small. Same conventions as simd-wat.ts: byte offsets of float32 NHWC tensors,
 * channel counts multiples of 4.
 */

import { add, c, L, load, loop, mul, set, store } from './wat-helpers.js';

const TAPS = [0, 1, 2].flatMap((a) => [0, 1, 2].map((e) => ({ a, e, name: `t${a}${e}` })));

/**
 * The frame every max-pool kernel here shares: a function over each 3×3 stride-2 valid window of
 * x [n,h,w,c] (y = maxPool(x) [n,ho,wo,c], dy like y), channels 4 lanes at a time. In `body`: $q is
 * the window's byte offset in y / dy, $base (after `${set('base', …)}`) any tensor's address at the
 * window's top-left cell + $k, and each tap's local (TAPS) its offset from there.
 */
function poolWindows(name: string, out: string, locals: string, prologue: string, body: string): string {
  return `
(func (export "${name}")
  (param $x i32) (param $y i32) (param $dy i32) (param $${out} i32)
  (param $n i32) (param $h i32) (param $w i32) (param $c i32) (param $ho i32) (param $wo i32)
  (local $cb i32) (local $rs i32) (local $b i32) (local $oi i32) (local $oj i32) (local $k i32)
  (local $q i32) (local $p i32) (local $base i32)
  ${TAPS.map((t) => `(local $${t.name} i32)`).join(' ')}
  (local $yv v128) (local $cnt v128)
  ${locals}
  ${set('cb', `(i32.shl ${L('c')} ${c(2)})`)}
  ${set('rs', mul(L('w'), L('cb')))}
  ${TAPS.map((t) => set(t.name, add(mul(c(t.a), L('rs')), mul(c(t.e), L('cb'))))).join('\n  ')}
  ${prologue}
  ${loop(
    'b',
    L('n'),
    1,
    loop(
      'oi',
      L('ho'),
      1,
      loop(
        'oj',
        L('wo'),
        1,
        `
    ${set('q', mul(add(mul(add(mul(L('b'), L('ho')), L('oi')), L('wo')), L('oj')), L('cb')))}
    ${set(
      'p',
      add(
        mul(add(mul(L('b'), L('h')), `(i32.shl ${L('oi')} ${c(1)})`), L('rs')),
        mul(`(i32.shl ${L('oj')} ${c(1)})`, L('cb')),
      ),
    )}
    ${loop(
      'k',
      L('cb'),
      16,
      `
      ${set('yv', load(add(L('y'), L('q'), L('k'))))}
      ${set('base', add(L('x'), L('p'), L('k')))}
      ${body}
    `,
    )}
  `,
      ),
    ),
  )}
)`;
}

/** Each tap's tie mask (x == the window's max): all ones (-NaN as f32) or zeros. */
const tieMask = (t: (typeof TAPS)[number]) => `(f32x4.eq ${load(add(L('base'), L(t.name)))} ${L('yv')})`;
/** dy / the window's ties: the count is minus the sum of the masks reinterpreted as integers (-1 each). */
const sharePerTie = `(f32x4.div ${load(add(L('dy'), L('q'), L('k')))} (f32x4.convert_i32x4_s (i32x4.neg ${L('cnt')})))`;

/**
 * Gradient of the 3×3 stride-2 valid max-pool; tied maxima share a window's gradient equally.
 * out like x (zeroed here).
 */
export const maxPoolBackward = poolWindows(
  'maxPoolBackward',
  'out',
  `(local $share v128) ${TAPS.map((t) => `(local $e${t.name} v128)`).join(' ')}`,
  `(memory.fill ${L('out')} ${c(0)} ${mul(mul(L('n'), L('h')), L('rs'))})`,
  `;; each tap's tie mask, read once
      ${TAPS.map((t) => set(`e${t.name}`, tieMask(t))).join('\n      ')}
      ${set(
        'cnt',
        TAPS.map((t) => L(`e${t.name}`)).reduce((a, b) => `(i32x4.add ${a} ${b})`),
      )}
      ${set('share', sharePerTie)}
      ${set('base', add(L('out'), L('p'), L('k')))}
      ${TAPS.map((t) =>
        store(
          add(L('base'), L(t.name)),
          `(f32x4.add ${load(add(L('base'), L(t.name)))} (v128.and ${L(`e${t.name}`)} ${L('share')}))`,
        ),
      ).join('\n      ')}`,
);

/**
 * The share of each max-pool window's gradient that maxPoolBackward gives each of its tied maxima
 * (dy / ties, computed as there), zero where the window's maximum is ≤ 0 (a ReLU below it would
 * mask it): s like y. For conv0-backward-wat.ts's pooled form, which gathers instead of scattering.
 */
export const maxPoolShare = poolWindows(
  'maxPoolShare',
  's',
  '',
  '',
  `${set(
    'cnt',
    TAPS.map(tieMask).reduce((a, b) => `(i32x4.add ${a} ${b})`),
  )}
      ${store(
        add(L('s'), L('q'), L('k')),
        `(v128.and ${sharePerTie} (f32x4.gt ${L('yv')} (v128.const f32x4 0 0 0 0)))`,
      )}`,
);

/** maxPoolBackwardSplit's channel loop for one cell, over the listed windows (in order). */
function gatherSplit(windows: string[]): string {
  const at = (base: string, wnd: string) => load(add(L(base), L(wnd), L('k')));
  const sum = windows
    .map((wnd) => `(v128.and (f32x4.eq ${L('xv')} ${at('y', wnd)}) ${at('s', wnd)})`)
    .reduce((acc, t) => `(f32x4.add ${acc} ${t})`, '(v128.const f32x4 0 0 0 0)');
  // k runs over the cell's 2e channels (bytes); below eb to outA, from eb on to outB
  return loop(
    'k',
    L('cb'),
    16,
    `
        ${set('xv', load(add(L('x'), L('px'), L('k'))))}
        ${set('g', sum)}
        (if (i32.lt_u ${L('k')} ${L('eb')})
          (then ${store(add(L('outA'), L('ph'), L('k')), L('g'))})
          (else ${store(add(L('outB'), L('ph'), `(i32.sub ${L('k')} ${L('eb')})`), L('g'))}))`,
  );
}

/**
 * maxPoolBackward followed by reluMaskSplit(·, x) in one pass, gathering: each cell of x [n,h,w,2e]
 * (h = 2·ho + 1, w = 2·wo + 1) adds the shares (maxPoolShare's s, zero where the window max ≤ 0)
 * of the ≤ 4 windows holding it where it equals their maximum, in the scatter's window order (the
 * same sums), and stores channels [0, e) to outA, [e, 2e) to outB ([n,h,w,e] each; e % 4 == 0).
 * A cell that is ≤ 0 equals no positive maximum, so the ReLU mask comes with the shares.
 */
export const maxPoolBackwardSplit = `
(func (export "maxPoolBackwardSplit")
  (param $x i32) (param $y i32) (param $s i32) (param $outA i32) (param $outB i32)
  (param $n i32) (param $h i32) (param $w i32) (param $e i32) (param $ho i32) (param $wo i32)
  (local $cb i32) (local $eb i32) (local $b i32) (local $r i32) (local $col i32) (local $k i32)
  (local $oi i32) (local $oj i32) (local $nr i32) (local $nc i32) (local $px i32) (local $ph i32)
  (local $wn0 i32) (local $wn1 i32) (local $wn2 i32) (local $wn3 i32) (local $xv v128) (local $g v128)
  ${set('eb', `(i32.shl ${L('e')} ${c(2)})`)}
  ${set('cb', `(i32.shl ${L('eb')} ${c(1)})`)}
  ${loop(
    'b',
    L('n'),
    1,
    loop(
      'r',
      L('h'),
      1,
      `
    ${set('oi', `(select ${c(0)} (i32.shr_s (i32.sub ${L('r')} ${c(1)}) ${c(1)}) (i32.eqz ${L('r')}))`)}
    ${set('nr', add(`(i32.sub (select (i32.sub ${L('ho')} ${c(1)}) (i32.shr_u ${L('r')} ${c(1)}) (i32.ge_u (i32.shr_u ${L('r')} ${c(1)}) ${L('ho')})) ${L('oi')})`, c(1)))}
    ${loop(
      'col',
      L('w'),
      1,
      `
      ${set('oj', `(select ${c(0)} (i32.shr_s (i32.sub ${L('col')} ${c(1)}) ${c(1)}) (i32.eqz ${L('col')}))`)}
      ${set('nc', add(`(i32.sub (select (i32.sub ${L('wo')} ${c(1)}) (i32.shr_u ${L('col')} ${c(1)}) (i32.ge_u (i32.shr_u ${L('col')} ${c(1)}) ${L('wo')})) ${L('oj')})`, c(1)))}
      ${set('wn0', mul(add(mul(add(mul(L('b'), L('ho')), L('oi')), L('wo')), L('oj')), L('cb')))}
      ${set('wn1', add(L('wn0'), L('cb')))}
      ${set('wn2', add(L('wn0'), mul(L('wo'), L('cb'))))}
      ${set('wn3', add(L('wn2'), L('cb')))}
      ${set('ph', mul(add(mul(add(mul(L('b'), L('h')), L('r')), L('w')), L('col')), L('eb')))}
      ${set('px', `(i32.shl ${L('ph')} ${c(1)})`)}
      (if (i32.eq ${L('nr')} ${c(1)})
        (then (if (i32.eq ${L('nc')} ${c(1)})
          (then ${gatherSplit(['wn0'])})
          (else ${gatherSplit(['wn0', 'wn1'])})))
        (else (if (i32.eq ${L('nc')} ${c(1)})
          (then ${gatherSplit(['wn0', 'wn2'])})
          (else ${gatherSplit(['wn0', 'wn1', 'wn2', 'wn3'])}))))`,
    )}`,
    ),
  )}
)`;

/**
 * Source of SqueezeLens's WebAssembly SIMD kernels, as WebAssembly text generated here (so the
 * 3×3 taps can be unrolled by a loop instead of by hand), assembled by wabt at build time
 * (scripts/build-kernels.ts → build/kernels/simd-kernels.wasm).
 *
 * Why hand-written kernels: TF.js's WASM backend runs these steps either in generic JavaScript
 * (StridedSlice, Concat, DepthToSpace: ~3 ns per element on our machines) or not at all (the
 * max-pool gradient with our tie rule). These run 4 lanes at a time, in place on TF.js's own heap.
 *
 * Memory: the module imports TF.js's WebAssembly.Memory and touches only the tensors whose byte
 * offsets it is given. It has no data segments, no globals and no stack, so it can never write
 * anywhere else in the heap.
 *
 * Conventions: every pointer is a byte offset of a float32 NHWC tensor; channel counts passed to
 * the SIMD loops are multiples of 4 (the TypeScript wrappers check this).
 */

import { conv0BackwardWat } from './conv0-backward-wat.js';
import { conv1x1SplitWat } from './conv1x1-split-wat.js';
import {
  countKeptWat,
  countNonzeroWat,
  type FireBackwardSparseExport,
  fireBackwardSparseWat,
} from './fire-backward-wat.js';
import { add, c, L, load, loop, type Madd, mul, plainMadd, set, store } from './wat-helpers.js';
import { F2, F4, type WinogradExport, winogradWat } from './winograd-wat.js';

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
const maxPoolBackward = poolWindows(
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
const maxPoolShare = poolWindows(
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
const maxPoolBackwardSplit = `
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

/** out[i] = d[i] where ref[i] > 0 else 0, for count floats (count % 4 == 0). The ReLU backward. */
const reluMask = `
(func (export "reluMask") (param $d i32) (param $ref i32) (param $out i32) (param $count i32)
  (local $i i32) (local $bytes i32)
  ${set('bytes', `(i32.shl ${L('count')} ${c(2)})`)}
  ${loop(
    'i',
    L('bytes'),
    16,
    store(
      add(L('out'), L('i')),
      `(v128.and ${load(add(L('d'), L('i')))} (f32x4.gt ${load(add(L('ref'), L('i')))} (v128.const f32x4 0 0 0 0)))`,
    ),
  )}
)`;

/**
 * The ReLU backward of a fire module's concatenated output, split back into its two branches:
 * d, ref: [pixels, 2e]; outA = masked d[:, :e], outB = masked d[:, e:] (e % 4 == 0).
 */
const reluMaskSplit = `
(func (export "reluMaskSplit")
  (param $d i32) (param $ref i32) (param $outA i32) (param $outB i32) (param $pixels i32) (param $e i32)
  (local $px i32) (local $k i32) (local $eb i32) (local $src i32) (local $dst i32)
  ${set('eb', `(i32.shl ${L('e')} ${c(2)})`)}
  ${loop(
    'px',
    L('pixels'),
    1,
    `
    ${set('src', mul(L('px'), `(i32.shl ${L('eb')} ${c(1)})`))}
    ${set('dst', mul(L('px'), L('eb')))}
    ${loop(
      'k',
      L('eb'),
      16,
      `
      ${store(
        add(L('outA'), L('dst'), L('k')),
        `(v128.and ${load(add(L('d'), L('src'), L('k')))} ` +
          `(f32x4.gt ${load(add(L('ref'), L('src'), L('k')))} (v128.const f32x4 0 0 0 0)))`,
      )}
      ${store(
        add(L('outB'), L('dst'), L('k')),
        `(v128.and ${load(add(L('d'), L('src'), L('eb'), L('k')))} ` +
          `(f32x4.gt ${load(add(L('ref'), L('src'), L('eb'), L('k')))} (v128.const f32x4 0 0 0 0)))`,
      )}
    `,
    )}
  `,
  )}
)`;

/** out[p] = a[p] ‖ b[p] along channels: a: [pixels, ca], b: [pixels, cb]. Any channel counts. */
const concatChannels = `
(func (export "concatChannels")
  (param $a i32) (param $b i32) (param $out i32) (param $pixels i32) (param $ca i32) (param $cb i32)
  (local $px i32) (local $ab i32) (local $bb i32) (local $dst i32)
  ${set('ab', `(i32.shl ${L('ca')} ${c(2)})`)}
  ${set('bb', `(i32.shl ${L('cb')} ${c(2)})`)}
  ${loop(
    'px',
    L('pixels'),
    1,
    `
    ${set('dst', add(L('out'), mul(L('px'), add(L('ab'), L('bb')))))}
    (memory.copy ${L('dst')} ${add(L('a'), mul(L('px'), L('ab')))} ${L('ab')})
    (memory.copy ${add(L('dst'), L('ab'))} ${add(L('b'), mul(L('px'), L('bb')))} ${L('bb')})
  `,
  )}
)`;

/** NHWC depth-to-space with block 2: inp [n,h,w,4c] → out [n,2h,2w,c], channel block (p·2+q). */
const depthToSpace2 = `
(func (export "depthToSpace2")
  (param $inp i32) (param $out i32) (param $n i32) (param $h i32) (param $w i32) (param $c i32)
  (local $rows i32) (local $r i32) (local $j i32) (local $p i32) (local $q i32) (local $cb i32) (local $src i32)
  ${set('cb', `(i32.shl ${L('c')} ${c(2)})`)}
  ${set('rows', mul(L('n'), L('h')))}
  ${loop(
    'r',
    L('rows'),
    1,
    loop(
      'j',
      L('w'),
      1,
      `
    ${set('src', add(L('inp'), mul(add(mul(L('r'), L('w')), L('j')), `(i32.shl ${L('cb')} ${c(2)})`)))}
    ${loop(
      'p',
      c(2),
      1,
      loop(
        'q',
        c(2),
        1,
        `
      (memory.copy
        ${add(
          L('out'),
          mul(
            add(
              mul(add(`(i32.shl ${L('r')} ${c(1)})`, L('p')), `(i32.shl ${L('w')} ${c(1)})`),
              add(`(i32.shl ${L('j')} ${c(1)})`, L('q')),
            ),
            L('cb'),
          ),
        )}
        ${add(L('src'), mul(add(`(i32.shl ${L('p')} ${c(1)})`, L('q')), L('cb')))}
        ${L('cb')})
    `,
      ),
    )}
  `,
    ),
  )}
)`;

/**
 * Both class-score heads from the class map z: [n, cells, k] (k % 4 == 0):
 * pre[b, j] = mean over cells of z, post[b, j] = mean over cells of max(z, 0).
 */
const classHeads = `
(func (export "classHeads")
  (param $z i32) (param $pre i32) (param $post i32) (param $n i32) (param $cells i32) (param $k i32)
  (local $b i32) (local $j i32) (local $cell i32) (local $kb i32) (local $row i32)
  (local $v v128) (local $s v128) (local $sr v128) (local $inv v128)
  ${set('kb', `(i32.shl ${L('k')} ${c(2)})`)}
  ${set('inv', `(f32x4.splat (f32.div (f32.const 1) (f32.convert_i32_u ${L('cells')})))`)}
  ${loop(
    'b',
    L('n'),
    1,
    loop(
      'j',
      L('kb'),
      16,
      `
    ${set('s', '(v128.const f32x4 0 0 0 0)')}
    ${set('sr', '(v128.const f32x4 0 0 0 0)')}
    ${set('row', add(L('z'), mul(mul(L('b'), L('cells')), L('kb')), L('j')))}
    ${loop(
      'cell',
      L('cells'),
      1,
      `
      ${set('v', load(add(L('row'), mul(L('cell'), L('kb')))))}
      ${set('s', `(f32x4.add ${L('s')} ${L('v')})`)}
      ${set('sr', `(f32x4.add ${L('sr')} (f32x4.max ${L('v')} (v128.const f32x4 0 0 0 0)))`)}
    `,
    )}
    ${store(add(L('pre'), mul(L('b'), L('kb')), L('j')), `(f32x4.mul ${L('s')} ${L('inv')})`)}
    ${store(add(L('post'), mul(L('b'), L('kb')), L('j')), `(f32x4.mul ${L('sr')} ${L('inv')})`)}
  `,
    ),
  )}
)`;

/**
 * A 1×1 convolution that skips zero inputs: out[p, :] = bias + Σ_{c: x[p,c] ≠ 0} x[p,c] · w[c, :].
 * x: [cells, cin], w: [cin, cout] (HWIO of a 1×1 kernel), bias: [cout],
 * out: [cells, cout], cout % 4 == 0.
 *
 * Why: the classifier's input (fire9's output, after its ReLU) is ~90 % zeros on photos (measured
 * 89–92 % on the 12 test photos), so the 512 → 1000 classifier — a quarter of SqueezeNet's
 * multiply-adds — does a tenth of its work. Nonzero inputs are taken four at a time, so each
 * output vector is loaded and stored once per four weight rows.
 */
const AXPY_SLOTS = [0, 1, 2, 3];
const axpy = (k: number) =>
  loop(
    'j',
    L('ob'),
    16,
    store(
      add(L('row'), L('j')),
      AXPY_SLOTS.slice(0, k).reduce(
        (acc, s) => `(f32x4.add ${acc} (f32x4.mul ${L(`a${s}`)} ${load(add(L(`w${s}`), L('j')))}))`,
        load(add(L('row'), L('j'))),
      ),
    ),
  ).replace(/\$j_(done|loop)/g, `$j${k}_$1`);
const sparseConv1x1 = `
(func (export "sparseConv1x1")
  (param $x i32) (param $w i32) (param $bias i32) (param $out i32) (param $cells i32) (param $cin i32) (param $cout i32)
  (local $p i32) (local $ch i32) (local $j i32) (local $v f32)
  (local $cnt i32) (local $ob i32) (local $row i32) (local $xrow i32)
  ${AXPY_SLOTS.map((s) => `(local $w${s} i32) (local $a${s} v128)`).join(' ')}
  ${set('ob', `(i32.shl ${L('cout')} ${c(2)})`)}
  ${loop(
    'p',
    L('cells'),
    1,
    `
    ${set('row', add(L('out'), mul(L('p'), L('ob'))))}
    ${set('xrow', add(L('x'), mul(L('p'), `(i32.shl ${L('cin')} ${c(2)})`)))}
    (memory.copy ${L('row')} ${L('bias')} ${L('ob')})
    ${set('cnt', c(0))}
    ${loop(
      'ch',
      L('cin'),
      1,
      `
      ${set('v', `(f32.load align=4 ${add(L('xrow'), `(i32.shl ${L('ch')} ${c(2)})`)})`)}
      (if (f32.ne ${L('v')} (f32.const 0)) (then
        ${AXPY_SLOTS.map(
          (s) =>
            `(if (i32.eq ${L('cnt')} ${c(s)}) (then ${set(`w${s}`, add(L('w'), mul(L('ch'), L('ob'))))} ` +
            `${set(`a${s}`, `(f32x4.splat ${L('v')})`)}))`,
        ).join('\n        ')}
        ${set('cnt', add(L('cnt'), c(1)))}
        (if (i32.eq ${L('cnt')} ${c(4)}) (then
          ${axpy(4)}
          ${set('cnt', c(0))}))))
    `,
    )}
    (if (i32.eq ${L('cnt')} ${c(1)}) (then ${axpy(1)}))
    (if (i32.eq ${L('cnt')} ${c(2)}) (then ${axpy(2)}))
    (if (i32.eq ${L('cnt')} ${c(3)}) (then ${axpy(3)}))
  `,
  )}
)`;

/** The module's text; `madd` chooses the plain or the relaxed-SIMD (fused multiply-add) build. */
export function simdKernelsWat(madd: Madd = plainMadd): string {
  return `(module
  (import "env" "memory" (memory 0))
  ${maxPoolBackward}
  ${maxPoolShare}
  ${maxPoolBackwardSplit}
  ${reluMask}
  ${reluMaskSplit}
  ${concatChannels}
  ${depthToSpace2}
  ${classHeads}
  ${sparseConv1x1}
  ${winogradWat(F2, madd)}
  ${winogradWat(F4, madd)}
  ${winogradWat(F2, madd, 'addMask')}
  ${winogradWat(F4, madd, 'addMask')}
  ${conv0BackwardWat(madd)}
  ${conv0BackwardWat(madd, true)}
  ${fireBackwardSparseWat(madd)}
  ${countKeptWat}
  ${countNonzeroWat}
  ${conv1x1SplitWat(madd)}
  ${conv1x1SplitWat(madd, false)}
)`;
}

export interface SimdKernelExports {
  maxPoolBackward(
    x: number,
    y: number,
    dy: number,
    out: number,
    n: number,
    h: number,
    w: number,
    c: number,
    ho: number,
    wo: number,
  ): void;
  reluMask(d: number, ref: number, out: number, count: number): void;
  reluMaskSplit(d: number, ref: number, outA: number, outB: number, pixels: number, e: number): void;
  concatChannels(a: number, b: number, out: number, pixels: number, ca: number, cb: number): void;
  depthToSpace2(inp: number, out: number, n: number, h: number, w: number, c: number): void;
  classHeads(z: number, pre: number, post: number, n: number, cells: number, k: number): void;
  sparseConv1x1(x: number, w: number, bias: number, out: number, cells: number, cin: number, cout: number): void;
  winograd2x3: WinogradExport;
  winograd4x3: WinogradExport;
  winograd2x3AddMask: WinogradExport;
  winograd4x3AddMask: WinogradExport;
  fireBackwardSparse: FireBackwardSparseExport;
  countKept(d: number, y: number, count: number): number;
  countNonzero(d: number, count: number): number;
  conv1x1MaskSplit(
    x: number,
    w: number,
    y: number,
    outA: number,
    outB: number,
    pixels: number,
    k: number,
    e: number,
  ): void;
  conv1x1(x: number, w: number, out: number, pixels: number, k: number, n: number): void;
  conv0Backward(
    d: number,
    w: number,
    out: number,
    n: number,
    h: number,
    wd: number,
    c: number,
    scratch: number,
    mask: number,
  ): void;
  /** conv0Backward of maxPoolBackward's output masked by x > 0, gathered from the pool (d = x, mask 0) */
  conv0BackwardPooled(
    x: number,
    w: number,
    out: number,
    n: number,
    h: number,
    wd: number,
    c: number,
    scratch: number,
    mask: number,
    y: number,
    share: number,
    ho: number,
    wo: number,
  ): void;
  maxPoolBackwardSplit(
    x: number,
    y: number,
    s: number,
    outA: number,
    outB: number,
    n: number,
    h: number,
    w: number,
    e: number,
    ho: number,
    wo: number,
  ): void;
  maxPoolShare(
    x: number,
    y: number,
    dy: number,
    s: number,
    n: number,
    h: number,
    w: number,
    c: number,
    ho: number,
    wo: number,
  ): void;
}

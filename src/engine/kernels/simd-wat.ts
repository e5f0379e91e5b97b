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
import { maxPoolBackward, maxPoolBackwardSplit, maxPoolShare } from './max-pool-wat.js';
import { add, c, L, load, loop, type Madd, mul, plainMadd, set, store } from './wat-helpers.js';
import { F2, F4, type WinogradExport, winogradWat } from './winograd-wat.js';

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

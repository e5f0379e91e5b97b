/** Small WebAssembly-text builders shared by the kernel generators (simd-wat.ts, winograd-wat.ts). */

export const L = (name: string) => `(local.get $${name})`;
export const set = (name: string, value: string) => `(local.set $${name} ${value})`;
export const add = (...xs: string[]) => xs.reduce((a, b) => `(i32.add ${a} ${b})`);
export const mul = (a: string, b: string) => `(i32.mul ${a} ${b})`;
export const c = (n: number) => `(i32.const ${n})`;
export const load = (addr: string) => `(v128.load align=4 ${addr})`;
export const store = (addr: string, v: string) => `(v128.store align=4 ${addr} ${v})`;

/** for (i = 0; i < end; i += step) body */
export function loop(i: string, end: string, step: number, body: string): string {
  return `${set(i, c(0))}
  (block $${i}_done (loop $${i}_loop
    (br_if $${i}_done (i32.ge_u ${L(i)} ${end}))
    ${body}
    ${set(i, add(L(i), c(step)))}
    (br $${i}_loop)))`;
}

/**
 * acc + a·b on 4 lanes. The plain build multiplies then adds (two roundings); the relaxed-SIMD
 * build emits f32x4.relaxed_madd, which is one fused instruction where the CPU has FMA.
 */
export type Madd = (a: string, b: string, acc: string) => string;
export const plainMadd: Madd = (a, b, acc) => `(f32x4.add ${acc} (f32x4.mul ${a} ${b}))`;
export const relaxedMadd: Madd = (a, b, acc) => `(f32x4.relaxed_madd ${a} ${b} ${acc})`;

/**
 * For each 4-bit lane mask, the i8x16.swizzle indices that move the set lanes' 4 bytes to the front
 * in order (the rest 0x80: zero): 16 × 16 bytes.
 */
export function compactTable(): Uint8Array {
  const table = new Uint8Array(256).fill(0x80);
  for (let mask = 0; mask < 16; mask++) {
    let at = 0;
    for (let lane = 0; lane < 4; lane++)
      if (mask & (1 << lane)) for (let b = 0; b < 4; b++) table[mask * 16 + at++] = lane * 4 + b;
  }
  return table;
}

/**
 * The F(4×4, 3×3) Winograd kernel alone (no TF.js), forward and addMask (gradient) shapes of the
 * four fire-layer sizes, on its own WebAssembly memory: for tuning the generator (winograd-wat.ts).
 * Median and min ms over the runs, interleaved layer by layer.
 *   npx tsx bench/winograd-kernel.ts [--runs 40] [--tb 16] [--relaxed]
 */
import { parseArgs } from 'node:util';
import { plainMadd, relaxedMadd } from '../src/engine/kernels/wat-helpers.js';
import { tileBlock } from '../src/engine/kernels/winograd.js';
import { F4, type WinogradExport, winogradScratch, winogradWat } from '../src/engine/kernels/winograd-wat.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    tb: { type: 'string', default: '0' },
    relaxed: { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
    // experiments: generator environments to compare in one process, e.g. "UNROLL=1|UNROLL=4"
    variants: { type: 'string', default: '' },
  },
});
const runs = Number(values.runs);

async function main(): Promise<void> {
  const wabt = await (await import('wabt')).default();
  const madd = values.relaxed ? relaxedMadd : plainMadd;
  const memory = new WebAssembly.Memory({ initial: 1024 });
  const variants = values.variants ? values.variants.split('|') : [''];
  const kernels = variants.map((variant) => {
    for (const kv of variant.split(',').filter(Boolean)) {
      const [k, v] = kv.split('=');
      process.env[k] = v;
    }
    const text = `(module (import "env" "memory" (memory 0)) ${winogradWat(F4, madd)} ${winogradWat(F4, madd, 'addMask')})`;
    const mod = wabt.parseWat('w.wat', text, { simd: true, relaxed_simd: values.relaxed });
    mod.validate();
    const bytes = new Uint8Array(mod.toBinary({}).buffer);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return {
      variant,
      fwd: inst.exports.winograd4x3 as unknown as WinogradExport,
      bwd: inst.exports.winograd4x3AddMask as unknown as WinogradExport,
    };
  });
  const layers = [
    { name: '55', size: 55, s: 16, e: 64 },
    { name: '27', size: 27, s: 32, e: 128 },
    { name: '13a', size: 13, s: 48, e: 192 },
    { name: '13b', size: 13, s: 64, e: 256 },
  ].filter((l) => !values.only || values.only.split(',').includes(l.name));
  const f32 = new Float32Array(memory.buffer);
  let top = 0;
  const alloc = (floats: number, fill: () => number) => {
    const p = top;
    for (let i = 0; i < floats; i++) f32[p / 4 + i] = fill();
    top += Math.ceil((floats * 4 + 64) / 64) * 64;
    return p;
  };
  const rows: string[] = [];
  const timings: Record<string, number[]> = {};
  const cases = layers.flatMap((l) =>
    (['forward', 'gradient'] as const).flatMap((dir) =>
      kernels.map(({ variant, fwd, bwd }) => {
        const [cin, cout] = dir === 'forward' ? [l.s, l.e] : [l.e, l.s];
        const tb = Number(values.tb) || tileBlock(cin, 'f4');
        const { v: vFloats, m: mFloats } = winogradScratch(F4, tb, cin, cout);
        const hw = l.size * l.size;
        const x = alloc(hw * cin, () => Math.max(0, Math.random() - 0.4));
        const u = alloc(36 * cin * cout, () => Math.random() - 0.5);
        const bias = alloc(hw * cout, () => Math.random() - 0.5);
        const mask = alloc(hw * cout, () => Math.random() - 0.5);
        const out = alloc(hw * cout, () => 0);
        const v = alloc(vFloats, () => 0);
        const m = alloc(mFloats, () => 0);
        const key = `${l.name} ${dir} ${cin}>${cout} tb${tb} ${variant}`;
        timings[key] = [];
        return () => {
          const t0 = performance.now();
          if (dir === 'forward') fwd(x, u, bias, out, v, m, 1, l.size, l.size, cin, cout, tb, 3, 0);
          else bwd(x, u, bias, out, v, m, 1, l.size, l.size, cin, cout, tb, 0, mask);
          timings[key].push(performance.now() - t0);
        };
      }),
    ),
  );
  for (let i = 0; i < 10; i++) for (const run of cases) run();
  for (const k of Object.keys(timings)) timings[k] = [];
  for (let i = 0; i < runs; i++) for (const run of cases) run();
  for (const [key, t] of Object.entries(timings)) {
    const s = [...t].sort((a, b) => a - b);
    rows.push(`${key.padEnd(40)} median ${s[s.length >> 1].toFixed(3)}  min ${s[0].toFixed(3)}`);
  }
  console.log(rows.join('\n'));
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});

/**
 * Per-layer benchmark for the 3×3 expand convolutions: our Winograd F(2×2, 3×3) and F(4×4, 3×3) kernels vs TF.js's
 * XNNPACK conv2d, interleaved run by run, batch 1 (and 8 with --batch 8), forward (with bias and
 * ReLU, as in the forward pass) and input gradient (no bias) shapes. One JSON object on stdout;
 * `ratioF2`, `ratioF4` = XNNPACK median / Winograd median (> 1: Winograd faster). Decides FASTEST in
 * src/engine/kernels/winograd.ts.
 *   npx tsx bench/winograd-layers.ts [--runs 40] [--batch 1] [--tb 0]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Conv3x3, setTileBlock, setWinogradMode, tileBlock } from '../src/engine/kernels/winograd.js';
import { loadEngineNode } from '../src/engine/node.js';
import { stats } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    batch: { type: 'string', default: '1' },
    tb: { type: 'string', default: '0' },
  },
});
const runs = Number(values.runs);
const batch = Number(values.batch);
setTileBlock(Number(values.tb));

async function main(): Promise<void> {
  const engine = await loadEngineNode({ backend: 'wasm' });
  const layers = [
    { name: 'fire2-3', size: 55, s: 16, e: 64 },
    { name: 'fire4-5', size: 27, s: 32, e: 128 },
    { name: 'fire6-7', size: 13, s: 48, e: 192 },
    { name: 'fire8-9', size: 13, s: 64, e: 256 },
  ];
  const results = [];
  for (const layer of layers) {
    for (const dir of ['forward', 'gradient'] as const) {
      const [cin, cout] = dir === 'forward' ? [layer.s, layer.e] : [layer.e, layer.s];
      const hwio = Float32Array.from({ length: 9 * cin * cout }, () => Math.random() - 0.5);
      const conv = new Conv3x3(hwio, cin, cout);
      const kernel = tf.tensor4d(hwio, [3, 3, cin, cout]);
      const bias = dir === 'forward' ? tf.tensor1d(new Float32Array(cout).fill(0.1)) : null;
      // ReLU-like input: the real inputs are after a ReLU (forward) or ReLU-masked (gradient)
      const x = tf.tensor4d(
        Float32Array.from({ length: batch * layer.size * layer.size * cin }, () => Math.max(0, Math.random() - 0.4)),
        [batch, layer.size, layer.size, cin],
      );
      const time = (m: 'f2' | 'f4' | 'never') => {
        setWinogradMode(m);
        const t0 = performance.now();
        const y = conv.apply(x, kernel, bias, dir === 'forward');
        y.dataSync();
        const ms = performance.now() - t0;
        y.dispose();
        return ms;
      };
      for (let i = 0; i < 6; i++) time((['f2', 'f4', 'never'] as const)[i % 3]);
      const f2: number[] = [];
      const f4: number[] = [];
      const xnn: number[] = [];
      for (let i = 0; i < runs; i++) {
        f2.push(time('f2'));
        f4.push(time('f4'));
        xnn.push(time('never'));
      }
      const w = stats(f2);
      const w4 = stats(f4);
      const x2 = stats(xnn);
      results.push({
        layer: layer.name,
        dir,
        size: layer.size,
        cin,
        cout,
        tileBlock: { f2: tileBlock(cin, 'f2'), f4: tileBlock(cin, 'f4') },
        f2Ms: w,
        f4Ms: w4,
        xnnpackMs: x2,
        ratioF2: Number((x2.median / w.median).toFixed(2)),
        ratioF4: Number((x2.median / w4.median).toFixed(2)),
      });
      conv.dispose();
      tf.dispose([x, kernel, bias ?? []]);
    }
  }
  engine.model.dispose();
  process.stdout.write(`${JSON.stringify({ batch, runs, results }, null, 1)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});

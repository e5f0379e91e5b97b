/**
 * Where one forward + input gradient spends its time, kernel by kernel (issue 11 §2): `tf.profile`
 * of the engine on the golf-ball photo, batch 1, WASM; prints each kernel call over 0.08 ms
 * (median over the runs, by name, input shapes and call number) and the totals per kernel name.
 * TF.js's WASM kernels run synchronously, so a kernel's time is its own. Not part of `npm run bench`.
 *   npx tsx bench/gradient-profile.ts [--runs 10] [--forward]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage } from '../src/engine/decode-node.js';
import { projectRoot } from '../src/engine/model-data-node.js';
import { loadEngineNode } from '../src/engine/node.js';
import { preprocess } from '../src/engine/preprocess.js';
import { classScore } from '../src/engine/scores.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, forward: { type: 'boolean', default: false } },
});

async function main(): Promise<void> {
  const engine = await loadEngineNode({ backend: 'wasm' });
  const photo = join(projectRoot(), '..', 'shared', 'testdata', 'photos', 'kennysong_574_golf_ball.jpg');
  const x = tf.tensor4d(preprocess(decodeImage(readFileSync(photo), photo)).input, [1, 224, 224, 3]);
  const step = () => {
    tf.tidy(() => {
      if (values.forward) engine.model.run(x).logits.dataSync();
      else engine.model.run(x, { score: classScore([574]), heads: 'score' }).gradients.input!.dataSync();
    });
  };
  const calls: Record<string, number[]> = {};
  for (let run = 0; run < Number(values.runs) + 2; run++) {
    const info = await tf.profile(step);
    if (run < 2) continue; // warm-up
    const seen: Record<string, number> = {};
    for (const k of info.kernels) {
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      seen[key] = (seen[key] ?? 0) + 1;
      (calls[`${key}#${seen[key]}`] ??= []).push(k.kernelTimeMs as number);
    }
  }
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const byName: Record<string, number> = {};
  for (const [key, ms] of Object.entries(calls)) {
    const m = median(ms);
    if (m > 0.08) console.log(`${m.toFixed(3).padStart(7)} ms  ${key}`);
    const name = key.split(' ')[0];
    byName[name] = (byName[name] ?? 0) + m;
  }
  // fusedConv2d__op is the op around FusedConv2D (the same time, counted twice): left out
  delete byName.fusedConv2d__op;
  console.log('\nper kernel (ms):');
  for (const [name, ms] of Object.entries(byName).sort((a, b) => b[1] - a[1]))
    console.log(`${ms.toFixed(3).padStart(7)}  ${name}`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});

/**
 * Render pipeline on a real photo: a plain gradient saliency map of the top class (computed here
 * only as test data) drawn as heat map, overlay and mask on the 224 input, and over the
 * full-size original through the preprocessing geometry. Writes PNGs to test-results/.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/decode-node.js';
import { preprocess } from '../../src/engine/preprocess.js';
import { classScore } from '../../src/engine/scores.js';
import { heatmap, legend, mapToSource, maskImage, overlay, overlayOnSource } from '../../src/render/overlay.js';
import { encodePng } from '../../src/render/png.js';
import { contactSheet } from '../../src/render/sheet.js';
import { photos } from '../helpers/data.js';
import { engineFor } from '../helpers/engine.js';

describe('saliency rendering on a photo', () => {
  it('draws heat map, overlay, mask and the map over the full-size original', async () => {
    const engine = await engineFor('wasm');
    const p = photos().find((x) => x.label === 207)!; // golden retriever, full-size JPEG
    const source = decodeImage(readFileSync(p.path), p.path);
    const { pixels, input, geometry } = preprocess(source, 'crop');
    // |∂ logit / ∂ input|, max over RGB (Simonyan et al.): test data only
    const saliency = tf.tidy(() => {
      const r = engine.model.run(tf.tensor4d(input, [1, 224, 224, 3]), { score: classScore([207]) });
      return tf.max(tf.abs(r.gradients.input!), 3).dataSync() as Float32Array;
    });
    const map = { width: 224, height: 224, data: saliency };
    const image = { width: 224, height: 224, data: pixels }; // the network's 8-bit RGB view
    const heat = heatmap(map, { normalize: 'percentile', percentile: 99 });
    const over = overlay(image, heat, { opacity: 0.6 });
    const mask = maskImage(image, map, { keep: 0.15 });
    const onSource = overlayOnSource(source, map, geometry, { normalize: 'percentile', opacity: 0.6, dimOutside: 0.5 });
    expect([onSource.width, onSource.height]).toEqual([source.width, source.height]);

    // resampled onto the original, the map keeps its mean over the region it came from
    const back = mapToSource(map, geometry);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < back.data.length; i++) {
      if (!back.inside[i]) continue;
      sum += back.data[i];
      n++;
    }
    const mean224 = saliency.reduce((a, b) => a + b, 0) / saliency.length;
    console.log(
      `${p.file} ${source.width}×${source.height}, region ${JSON.stringify(geometry.region)}: ` +
        `map mean 224 ${mean224.toExponential(3)}, on source ${(sum / n).toExponential(3)}`,
    );
    expect(Math.abs(sum / n - mean224) / mean224).toBeLessThan(0.02);
    expect(n / back.data.length).toBeCloseTo(
      (geometry.region.width * geometry.region.height) / (source.width * source.height),
      2,
    );

    mkdirSync('test-results', { recursive: true });
    writeFileSync(
      'test-results/saliency-sheet.png',
      await encodePng(
        contactSheet([image, heat, over, mask], { columns: 4, labels: ['input', 'heat', 'overlay', 'mask 15%'] }),
      ),
    );
    writeFileSync('test-results/saliency-on-original.png', await encodePng(onSource));
    writeFileSync(
      'test-results/legend-inferno.png',
      await encodePng(legend('inferno', { width: 256, height: 16, ticks: [0, 0.5, 1] })),
    );
  });
});

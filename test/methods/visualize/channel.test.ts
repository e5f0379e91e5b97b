/**
 * Channel and neuron visualization: the objective's input gradient against central finite
 * differences of the float64 oracle, the parameterization (Fourier synthesis against a direct
 * inverse DFT, adjoints against their forward maps, the 1/f scaling), the transforms, and the
 * method itself (the channel rises far above where it starts and above what other images give it,
 * previews, cancel, no leaks).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadWeightsNode } from '../../../src/engine/node-weights.js';
import { CancelledError, type Progress } from '../../../src/methods/common.js';
import {
  channelAtlas,
  channelObjective,
  channelValue,
  layerResponses,
  visualizeChannel,
} from '../../../src/methods/visualize/channel.js';
import {
  COLOR_MATRIX,
  FREQS_X,
  fourierBasis,
  fourierPlanes,
  fourierPlanesAdjoint,
  planesToRgb,
  randomSpectrum,
  renderAdjoint,
  renderSpectrum,
  spectrumScale,
} from '../../../src/methods/visualize/fourier.js';
import { IDENTITY, makeWarp, randomAffine, warpAdjoint, warpImage } from '../../../src/methods/visualize/transforms.js';
import { CHANNEL_SIZE } from '../../../src/shared/catalog.js';
import { photos, rng } from '../../helpers/data.js';
import { engineFor, photoInput } from '../../helpers/engine.js';
import { referenceForward } from '../../helpers/reference-forward.js';

const N = 224;
/** the channel picture's default side (Lucid's 128) */
const S = CHANNEL_SIZE.default;

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Off exact max-pool ties, as gradients.test.ts does (±1/30 of a pixel level). */
function offTies(x: Float32Array, seed: number): Float32Array {
  const random = rng(1000 + seed);
  return x.map((v) => v + (random() - 0.5) * 1.5e-3);
}

describe('channel objective: input gradient vs float64 finite differences (before the ReLU)', () => {
  const cases = [
    { layer: 'fire6' as const, channel: 17, neuron: false, size: 13, channels: 384, photo: 2 },
    // (photo 5 is a bad point for this check: along one direction even the engine's long-tested
    // ½‖fire6‖² after the ReLU is off by 1.5 % there, converged in h — a near-tie, not the objective)
    { layer: 'fire6' as const, channel: 3, neuron: false, size: 13, channels: 384, photo: 3 },
    { layer: 'fire4' as const, channel: 100, neuron: true, size: 27, channels: 256, photo: 8 },
    { layer: 'conv1' as const, channel: 5, neuron: true, size: 111, channels: 64, photo: 0 },
  ];
  for (const c of cases) {
    it(`${c.layer} channel ${c.channel}${c.neuron ? ' (centre neuron)' : ' (mean)'}`, async () => {
      const engine = await engineFor('wasm');
      const weights = await loadWeightsNode(engine.data);
      const x = offTies(photoInput(photos()[c.photo].path).input, c.photo);
      const layerScore = { layer: c.layer, fn: channelObjective(c.channel, c.neuron), preRelu: true };
      const { value, g } = tf.tidy(() => {
        const r = engine.model.run(tf.tensor4d(x, [1, N, N, 3]), { layerScore });
        return { value: r.score!.dataSync()[0], g: r.gradients.input!.dataSync() as Float32Array };
      });
      const mid = (Math.floor(c.size / 2) * c.size + Math.floor(c.size / 2)) * c.channels + c.channel;
      const f64 = (xv: Float64Array) => {
        const a = referenceForward(weights, xv).preRelu[c.layer];
        if (c.neuron) return a[mid];
        let s = 0;
        for (let p = 0; p < c.size * c.size; p++) s += a[p * c.channels + c.channel];
        return s / (c.size * c.size);
      };
      const exact = f64(Float64Array.from(x));
      expect(Math.abs(value - exact)).toBeLessThan(1e-4 * Math.max(1, Math.abs(exact)));
      const typical = Math.sqrt(dot(g, g));
      expect(typical).toBeGreaterThan(0);
      const random = rng(40 + c.photo);
      const h = 1e-7;
      for (let k = 0; k < 2; k++) {
        const v = Float64Array.from(x, () => (random() < 0.5 ? -1 : 1));
        const analytic = dot(g, v);
        const numeric =
          (f64(Float64Array.from(x, (xi, i) => xi + h * v[i])) - f64(Float64Array.from(x, (xi, i) => xi - h * v[i]))) /
          (2 * h);
        const error = Math.abs(numeric - analytic) / typical;
        console.log(
          `${c.layer}:${c.channel}${c.neuron ? ' neuron' : ''} value ${value.toFixed(4)} direction ${k}: ` +
            `analytic ${analytic.toPrecision(7)} numeric ${numeric.toPrecision(7)} error/‖g‖ ${error.toExponential(2)}`,
        );
        expect(error).toBeLessThan(1e-2);
      }
    });
  }

  it('is the post-ReLU channel where it is positive, and refuses a channel the layer lacks', async () => {
    const engine = await engineFor('wasm');
    const x = photoInput(photos()[2].path);
    const post = await layerResponses(engine.model, x.pixels, 'fire6');
    const pre = await channelValue(engine.model, x.pixels, 'fire6', 17, true);
    if (post.centre[17] > 0) expect(pre).toBeCloseTo(post.centre[17], 4);
    else expect(pre).toBeLessThanOrEqual(0);
    const input = tf.zeros([1, N, N, 3]) as tf.Tensor4D;
    expect(() =>
      engine.model.run(input, { layerScore: { layer: 'fire6', fn: channelObjective(384), preRelu: true } }),
    ).toThrow(/channel 384 out of range: this layer has 384 channels/);
    input.dispose();
  });
});

describe('Fourier parameterization', () => {
  it('synthesizes the image numpy.fft.irfft2 gives (a direct float64 sum at sampled pixels)', async () => {
    await engineFor('wasm');
    const basis = fourierBasis();
    const spectrum = randomSpectrum(3, 1);
    const scaled = Float64Array.from(tf.tidy(() => tf.mul(spectrum, basis.scale).dataSync()));
    const img = tf.tidy(() => fourierPlanes(basis, spectrum).dataSync()); // row y·3 + c
    const K = FREQS_X;
    const random = rng(9);
    let worst = 0;
    let size = 0;
    for (let k = 0; k < 12; k++) {
      const [y, x, c] = [Math.floor(random() * N), Math.floor(random() * N), Math.floor(random() * 3)];
      let s = 0;
      for (let ky = 0; ky < N; ky++)
        for (let kx = 0; kx < K; kx++) {
          const a = scaled[ky * 3 * K + c * K + kx];
          const b = scaled[(N + ky) * 3 * K + c * K + kx];
          const phase = 2 * Math.PI * ((ky * y) / N + (kx * x) / N);
          const weight = kx === 0 || kx === N / 2 ? 1 : 2;
          s += weight * (a * Math.cos(phase) - b * Math.sin(phase));
        }
      s /= N * N;
      worst = Math.max(worst, Math.abs(img[(y * 3 + c) * N + x] - s));
      size = Math.max(size, Math.abs(s));
    }
    console.log(`Fourier synthesis: largest error ${worst.toExponential(2)} on values up to ${size.toFixed(3)}`);
    expect(worst).toBeLessThan(1e-4 * size);
    tf.dispose(spectrum);
    basis.dispose();
  });

  it('does the colour step as Lucid: sigmoid(colour matrix · decorrelated value)', () => {
    const planes = Float32Array.from({ length: 3 * N * N }, rng(21)).map((v) => 4 * v - 2);
    const rgb = planesToRgb(planes);
    const [y, x] = [17, 200];
    const v = [0, 1, 2].map((c) => planes[(y * 3 + c) * N + x]);
    for (let c = 0; c < 3; c++) {
      const z = COLOR_MATRIX[c][0] * v[0] + COLOR_MATRIX[c][1] * v[1] + COLOR_MATRIX[c][2] * v[2];
      expect(rgb[(y * N + x) * 3 + c]).toBeCloseTo(1 / (1 + Math.exp(-z)), 6);
    }
  });

  it('has adjoints equal to the transposed maps: ⟨R p, g⟩ = ⟨p, Rᵀ g⟩', async () => {
    await engineFor('wasm');
    const basis = fourierBasis();
    const p = randomSpectrum(4, 1);
    const g = tf.tensor2d(
      Float32Array.from({ length: N * N * 3 }, rng(5)).map((v) => v - 0.5),
      [3 * N, N],
    );
    const [lhs, rhs] = tf.tidy(() => [
      dot(fourierPlanes(basis, p).dataSync(), g.dataSync()),
      dot(p.dataSync(), fourierPlanesAdjoint(basis, g).dataSync()),
    ]);
    console.log(`Fourier adjoint: ⟨Rp,g⟩ ${lhs.toPrecision(8)} ⟨p,Rᵀg⟩ ${rhs.toPrecision(8)}`);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.abs(lhs));
    tf.dispose([p, g]);
    basis.dispose();
  });

  it('takes the RGB gradient back to the coefficients (renderAdjoint = finite differences of renderSpectrum)', async () => {
    await engineFor('wasm');
    const basis = fourierBasis();
    const p = randomSpectrum(6, 0.05);
    const w = Float32Array.from({ length: N * N * 3 }, rng(7)).map((v) => v - 0.5);
    // sums in float64 (JS): a float32 sum of 150,528 terms is off by more than the difference
    const f = async (q: tf.Tensor2D) => dot(await renderSpectrum(basis, q), w);
    const rgb = await renderSpectrum(basis, p);
    const grad = tf.tidy(() => renderAdjoint(basis, rgb, w).dataSync());
    const random = rng(8);
    const v = Float32Array.from(grad, () => (random() < 0.5 ? -1 : 1));
    const h = 1e-2;
    const vt = tf.tensor2d(v, p.shape as [number, number]);
    const [plus, minus] = [tf.add(p, tf.mul(vt, h)), tf.sub(p, tf.mul(vt, h))] as tf.Tensor2D[];
    const numeric = ((await f(plus)) - (await f(minus))) / (2 * h);
    const analytic = dot(grad, v);
    console.log(`render adjoint: analytic ${analytic.toPrecision(6)} numeric ${numeric.toPrecision(6)}`);
    expect(Math.abs(numeric - analytic)).toBeLessThan(1e-2 * Math.sqrt(dot(grad, grad)));
    tf.dispose([p, vt, plus, minus]);
    basis.dispose();
  });

  it('scales each coefficient by 1/frequency, so image energy per coefficient falls as 1/f²', async () => {
    await engineFor('wasm');
    const basis = fourierBasis();
    const energyOf = (ky: number, kx: number) => {
      const a = new Float32Array(2 * N * 3 * FREQS_X);
      a[ky * 3 * FREQS_X + kx] = 1; // red-channel real part
      return tf.tidy(() => {
        const img = fourierPlanes(basis, tf.tensor2d(a, [2 * N, 3 * FREQS_X])).dataSync();
        return dot(img, img);
      });
    };
    const s = spectrumScale();
    // f = 2/224 vs 8/224 along x, and along y: 4× the frequency, 1/16 the energy
    expect(energyOf(0, 8) / energyOf(0, 2)).toBeCloseTo(1 / 16, 4);
    expect(energyOf(8, 0) / energyOf(2, 0)).toBeCloseTo(1 / 16, 4);
    expect(s[0]).toBe(s[1]); // the DC term is scaled as the lowest frequency (1/224)
    expect(s[3 * FREQS_X + 4] / s[0]).toBeCloseTo(1 / 5, 6); // f = 5/224
    basis.dispose();
  });

  it('decorrelates colours with Lucid matrix (largest column norm 1) and stays in (0,1)', async () => {
    await engineFor('wasm');
    const norms = [0, 1, 2].map((j) => Math.hypot(...COLOR_MATRIX.map((r) => r[j])));
    expect(Math.max(...norms)).toBeCloseTo(1, 12);
    const basis = fourierBasis();
    const p = randomSpectrum(1, 0.5);
    const rgb = await renderSpectrum(basis, p);
    expect(rgb.reduce((m, v) => Math.min(m, v), 1)).toBeGreaterThan(0);
    expect(rgb.reduce((m, v) => Math.max(m, v), 0)).toBeLessThan(1);
    tf.dispose(p);
    basis.dispose();
  });
});

describe('robustness transforms', () => {
  const image = Float32Array.from({ length: N * N * 3 }, rng(11));

  it('the identity warp returns the image; an integer shift moves it and pads with grey', () => {
    expect(warpImage(image, makeWarp(IDENTITY), 0.5)).toEqual(image);
    const shifted = warpImage(image, makeWarp({ ...IDENTITY, t1: [3, -2] }), 0.5);
    // content moves 3 right, 2 up: view (y, x) shows image (y + 2, x − 3)
    expect(shifted[(10 * N + 20) * 3 + 1]).toBeCloseTo(image[(12 * N + 17) * 3 + 1], 6);
    expect(shifted[(10 * N + 1) * 3]).toBe(0.5);
    expect(shifted[((N - 1) * N + 100) * 3 + 2]).toBe(0.5);
  });

  it('has the transposed sampling as its adjoint', () => {
    const random = rng(12);
    const g = Float32Array.from({ length: N * N * 3 }, () => random() - 0.5);
    for (let k = 0; k < 3; k++) {
      const warp = makeWarp(randomAffine(random));
      // the linear part (pad 0)
      const lhs = dot(warpImage(image, warp, 0), g);
      const rhs = dot(image, warpAdjoint(g, warp));
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-5 * Math.abs(lhs));
    }
  });

  it('draws Lucid-like transforms: shifts within ±8/±4 px, scale 0.9–1.1, rotation ±10°', () => {
    const random = rng(13);
    for (let k = 0; k < 200; k++) {
      const a = randomAffine(random);
      expect(Math.max(...a.t1.map(Math.abs))).toBeLessThanOrEqual(8);
      expect(Math.max(...a.t2.map(Math.abs))).toBeLessThanOrEqual(4);
      expect(a.scale).toBeGreaterThanOrEqual(0.9);
      expect(a.scale).toBeLessThanOrEqual(1.1);
      expect(Math.abs(a.rotation)).toBeLessThanOrEqual(10);
    }
  });
});

describe('visualizeChannel', () => {
  it('raises its channel far above the start, other images and another channel’s image; no leaks', async () => {
    const engine = await engineFor('wasm');
    const steps = 48;
    const before = tf.memory().numTensors;
    const a = await visualizeChannel(engine.model, { layer: 'fire6', channel: 17, steps });
    const b = await visualizeChannel(engine.model, { layer: 'fire6', channel: 3, steps, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    console.log(
      `fire6:17 ${a.objectiveStart.toFixed(2)} → ${a.objectiveEnd.toFixed(2)}, fire6:3 ` +
        `${b.objectiveStart.toFixed(2)} → ${b.objectiveEnd.toFixed(2)} (${a.msPerStep.toFixed(0)} ms/step)`,
    );
    // after the ReLU, what the channel does: on its image, on the other channel's, photos, noise
    const responses = async (pixels: ArrayLike<number>) => (await layerResponses(engine.model, pixels, 'fire6')).mean;
    const [ra, rb] = [await responses(a.pixels), await responses(b.pixels)];
    const others: Float32Array[] = [];
    for (const p of photos()) others.push(await responses(photoInput(p.path).pixels));
    const noise = rng(99);
    for (let k = 0; k < 3; k++)
      others.push(await responses(Float32Array.from({ length: N * N * 3 }, () => 255 * noise())));
    const best17 = Math.max(rb[17], ...others.map((r) => r[17]));
    const best3 = Math.max(ra[3], ...others.map((r) => r[3]));
    console.log(`fire6:17 on its image ${ra[17].toFixed(2)}, best elsewhere ${best17.toFixed(2)}`);
    console.log(`fire6:3 on its image ${rb[3].toFixed(2)}, best elsewhere ${best3.toFixed(2)}`);
    expect(a.objectiveEnd).toBeGreaterThan(a.objectiveStart + 50);
    expect(ra[17]).toBeGreaterThan(2 * best17);
    // channel 3 is dead (0 after the ReLU) on the grey start: only the pre-ReLU objective moves it
    expect(b.objectiveStart).toBeLessThan(0);
    expect(rb[3]).toBeGreaterThan(2 * best3);
    expect(a.history).toHaveLength(steps);
    expect(a.pixels).toHaveLength(S * S * 3);
    expect([a.image.width, a.image.height]).toEqual([S, S]);
  });

  it('a centre neuron: the centre rises above the channel’s mean over the map', async () => {
    const engine = await engineFor('wasm');
    const r = await visualizeChannel(engine.model, { layer: 'fire6', channel: 17, neuron: true, steps: 32 });
    const resp = await layerResponses(engine.model, r.pixels, 'fire6');
    console.log(
      `fire6:17 neuron ${r.objectiveStart.toFixed(2)} → ${r.objectiveEnd.toFixed(2)}, mean ${resp.mean[17].toFixed(2)}`,
    );
    expect(r.objectiveEnd).toBeGreaterThan(r.objectiveStart + 50);
    expect(resp.centre[17]).toBeGreaterThan(1.5 * resp.mean[17]);
  });

  it('streams previews, cancels at once without leaking, refuses bad layers and channels', async () => {
    const engine = await engineFor('wasm');
    const seen: Progress[] = [];
    await channelAtlas(engine.model, {
      layer: 'fire2',
      count: 2,
      steps: 4,
      previewEvery: 2,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.every((p) => p.total === 8)).toBe(true);
    expect(seen.filter((p) => p.preview).length).toBe(4);
    expect(seen[1].preview!.data.length).toBe(S * S * 3);

    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let steps = 0;
    const run = visualizeChannel(engine.model, {
      channel: 0,
      steps: 100,
      signal: controller.signal,
      onProgress: () => {
        steps++;
        controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(steps).toBe(1);
    expect(tf.memory().numTensors).toBe(before);

    await expect(visualizeChannel(engine.model, { layer: 'fire6', channel: 384 })).rejects.toThrow(
      /channel 384 out of range: fire6 has 384 channels/,
    );
    await expect(visualizeChannel(engine.model, { layer: 'pool1' as 'fire6', channel: 0 })).rejects.toThrow(
      /unknown layer pool1/,
    );
    await expect(visualizeChannel(engine.model, { channel: 0, size: 63 })).rejects.toThrow(
      /size must be an integer from 64 to 224 pixels, got 63/,
    );
  });

  it('at the network’s own 224×224 (size option) as at the default size', async () => {
    const engine = await engineFor('wasm');
    const r = await visualizeChannel(engine.model, { layer: 'fire6', channel: 17, steps: 24, size: N });
    expect([r.image.width, r.image.height]).toEqual([N, N]);
    expect(r.pixels).toHaveLength(N * N * 3);
    expect(r.objectiveEnd).toBeGreaterThan(r.objectiveStart + 20);
  });
});

/**
 * Issue 9's four timed "images from features" methods, with the settings their goals name:
 * style transfer (composition-vii, 200 iterations), feature inversion (fire2, 200 iterations),
 * channel visualization (fire6 channel 17, 256 steps) and occlusion (16 px patch, stride 8, grey).
 * Model-agnostic: the Node methods benchmark (bench/methods.ts) runs it on its engine.
 *
 * On a shared machine wall time depends on the load, so each timing also carries the process's
 * CPU time (`cpuMs`, Node's process.cpuUsage, user + system; null where there is none): on one
 * thread, the wall time an idle core would take.
 *
 * `stepScale` < 1 runs fewer steps (a quick look); totals are then extrapolated from ms/step and
 * flagged `extrapolated`, since a step costs the same all through a run (no step depends on the
 * loss's value) except the first, which warms the kernels.
 */

import * as tf from '@tensorflow/tfjs-core';
import { disposeResult } from '../src/engine/squeezenet.js';
import { type Model, type PixelImage, pixelsToInput, pixelTensor } from '../src/methods/common.js';
import { occlusion } from '../src/methods/explain/occlusion.js';
import { invertFeatures } from '../src/methods/synthesize/invert.js';
import { stylize } from '../src/methods/synthesize/stylize.js';
import { visualizeChannel } from '../src/methods/visualize/channel.js';

export interface FeatureImages {
  /** 224×224 network views: occlusion and the forward reference */
  content: PixelImage;
  style: PixelImage;
  /**
   * Style transfer and inversion at the goals' size: the whole pictures with their smallest side at
   * 192 (catalog SYNTHESIS_SIZES, as the CLI and CS231n); without them, the 224×224 views.
   */
  synthesis?: { content: PixelImage; style: PixelImage };
}

export const FEATURE_GOALS = {
  stylize: { steps: 200, goalMs: 15_000 },
  invert: { steps: 200, goalMs: 10_000 },
  channel: { steps: 256, goalMs: 10_000 },
  occlusion: { goalMs: 2_000 },
} as const;

export interface FeatureTiming {
  settings: string;
  steps: number;
  ms: number;
  msPerStep: number;
  /** CPU time of the process over the same span (null outside Node) */
  cpuMs: number | null;
  cpuMsPerStep: number | null;
  /** ms for the goal's step count (= ms unless the run was shortened) */
  msAtGoalSteps: number;
  cpuMsAtGoalSteps: number | null;
  extrapolated: boolean;
}

function cpuNow(): number | null {
  const p = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  if (!p?.cpuUsage) return null;
  const u = p.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timing(settings: string, goalSteps: number, steps: number, ms: number, cpu0: number | null): FeatureTiming {
  const msPerStep = ms / steps;
  const cpu1 = cpuNow();
  const cpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  return {
    settings,
    steps,
    ms: Math.round(ms),
    msPerStep: Number(msPerStep.toFixed(2)),
    cpuMs: cpuMs === null ? null : Math.round(cpuMs),
    cpuMsPerStep: cpuMs === null ? null : Number((cpuMs / steps).toFixed(2)),
    msAtGoalSteps: Math.round(steps === goalSteps ? ms : msPerStep * goalSteps),
    cpuMsAtGoalSteps: cpuMs === null ? null : Math.round((cpuMs / steps) * goalSteps),
    extrapolated: steps !== goalSteps,
  };
}

export async function benchFeatures(
  model: Model,
  images: FeatureImages,
  options: { stepScale?: number; log?: (m: string) => void; only?: readonly string[] } = {},
): Promise<Record<string, FeatureTiming>> {
  const scale = options.stepScale ?? 1;
  const log = options.log ?? (() => {});
  const want = (k: string) => !options.only || options.only.includes(k);
  const steps = (n: number) => Math.max(8, Math.round(n * scale));
  const out: Record<string, FeatureTiming> = {};
  out.forwardReference = forwardReference(model, images.content);
  const synth = images.synthesis ?? { content: images.content, style: images.style };
  const size = (p: PixelImage) => `${p.width}×${p.height}`;
  if (want('stylize')) {
    const n = steps(FEATURE_GOALS.stylize.steps);
    log(`style transfer, ${n} iterations…`);
    const cpu0 = cpuNow();
    const r = await stylize(model, synth.content, synth.style, { iterations: n, previewEvery: 0 });
    out.stylize = timing(
      `composition-vii, content fire2, style conv1/fire3/fire4/fire5, TV; content ${size(synth.content)}, style ${size(synth.style)}`,
      FEATURE_GOALS.stylize.steps,
      n,
      r.ms,
      cpu0,
    );
  }
  if (want('invert')) {
    const n = steps(FEATURE_GOALS.invert.steps);
    log(`inversion, ${n} iterations…`);
    const cpu0 = cpuNow();
    const r = await invertFeatures(model, synth.content, { layer: 'fire2', iterations: n, previewEvery: 0 });
    out.invert = timing(
      `fire2 from noise, content 6e-2, TV 2e-2; ${size(synth.content)}`,
      FEATURE_GOALS.invert.steps,
      n,
      r.ms,
      cpu0,
    );
  }
  if (want('channel')) {
    const n = steps(FEATURE_GOALS.channel.steps);
    log(`channel visualization, ${n} steps…`);
    const cpu0 = cpuNow();
    const r = await visualizeChannel(model, { layer: 'fire6', channel: 17, steps: n, previewEvery: 0 });
    out.channel = timing(
      'fire6 channel 17 (mean), Fourier + decorrelated colours, Lucid transforms',
      FEATURE_GOALS.channel.steps,
      n,
      r.ms,
      cpu0,
    );
  }
  if (want('occlusion')) {
    log('occlusion 16/8…');
    const cpu0 = cpuNow();
    const t0 = performance.now();
    const r = await occlusion(model, images.content, { patch: 16, stride: 8, baseline: 'grey' });
    const ms = performance.now() - t0;
    out.occlusion = timing(`16 px patch, stride 8, grey; ${r.patches} occluded copies`, r.patches, r.patches, ms, cpu0);
  }
  return out;
}

/**
 * A yardstick measured in the same process: one batch-1 forward pass (median of 20 after 3 warm-up
 * runs). Under load even CPU time is inflated (the other jobs share the core's caches and its
 * sibling hyperthread): compare it with the quiet benchmark's forward pass (README, Benchmark) to
 * scale the figures above to an idle machine.
 */
function forwardReference(model: Model, image: PixelImage): FeatureTiming {
  const x = tf.tidy(() => pixelsToInput(pixelTensor(image)));
  const wall: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < 23; i++) {
    const [t0, c0] = [performance.now(), cpuNow()];
    const r = model.run(x);
    r.probs.dataSync();
    disposeResult(r);
    const c1 = cpuNow();
    if (i >= 3) {
      wall.push(performance.now() - t0);
      if (c0 !== null && c1 !== null) cpuTimes.push(c1 - c0);
    }
  }
  x.dispose();
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const ms = median(wall);
  const cpuMs = cpuTimes.length ? median(cpuTimes) : null;
  return {
    settings: 'one forward pass, batch 1 (median of 20): the yardstick for the load',
    steps: 1,
    ms: Number(ms.toFixed(2)),
    msPerStep: Number(ms.toFixed(2)),
    cpuMs: cpuMs === null ? null : Number(cpuMs.toFixed(2)),
    cpuMsPerStep: cpuMs === null ? null : Number(cpuMs.toFixed(2)),
    msAtGoalSteps: Number(ms.toFixed(2)),
    cpuMsAtGoalSteps: cpuMs === null ? null : Number(cpuMs.toFixed(2)),
    extrapolated: false,
  };
}

/** Goal verdicts for a `benchFeatures` result (null where the method was not run). */
export function featureGoals(r: Record<string, FeatureTiming> | undefined) {
  const verdict = (key: keyof typeof FEATURE_GOALS) => {
    const t = r?.[key];
    const goalMs = FEATURE_GOALS[key].goalMs;
    return {
      goalMs,
      ms: t?.msAtGoalSteps ?? null,
      cpuMs: t?.cpuMsAtGoalSteps ?? null,
      extrapolated: t?.extrapolated ?? null,
      met: t ? t.msAtGoalSteps <= goalMs : null,
    };
  };
  return {
    styleTransfer200: verdict('stylize'),
    inversion200: verdict('invert'),
    channel256: verdict('channel'),
    occlusion16x8: verdict('occlusion'),
  };
}

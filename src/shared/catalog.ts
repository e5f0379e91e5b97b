/**
 * What SqueezeLens offers, with its names, titles, budgets and defaults — one source for the CLI,
 * the service worker and the popup, so the same method has the same defaults everywhere. Free of
 * TF.js (the popup imports it): the methods themselves live in src/methods and read their
 * defaults from here.
 */
import { t } from './i18n.js';

// ---- saliency ----------------------------------------------------------------------------------

export const SALIENCY_METHOD_NAMES = ['vanilla', 'gradxinput', 'smoothgrad', 'ig', 'gradcam', 'occlusion'] as const;
export type SaliencyMethodName = (typeof SALIENCY_METHOD_NAMES)[number];

export const SALIENCY_METHODS: Record<SaliencyMethodName, { title: string; description: string }> = {
  vanilla: {
    title: t('mVanilla'),
    description: t('mVanillaAbout'),
  },
  gradxinput: {
    title: t('mGradInput'),
    description: t('mGradInputAbout'),
  },
  smoothgrad: {
    title: t('mSmoothGrad'),
    description: t('mSmoothGradAbout'),
  },
  ig: {
    title: t('mIg'),
    description: t('mIgAbout'),
  },
  gradcam: {
    title: t('mGradCam'),
    description: t('mGradCamAbout'),
  },
  occlusion: {
    title: t('mOcclusion'),
    description: t('mOcclusionAbout'),
  },
};

/** The methods the popup's picker offers, in its order. */
export const PICKER_METHODS: readonly SaliencyMethodName[] = [
  'vanilla',
  'gradxinput',
  'gradcam',
  'smoothgrad',
  'ig',
  'occlusion',
];

export const OCCLUSION_BASELINES = ['grey', 'black', 'blur'] as const;
export type OcclusionBaseline = (typeof OCCLUSION_BASELINES)[number];

/**
 * Occlusion (Zeiler & Fergus 2014): 16 px patches at stride 8 are 27 × 27 = 729 forward passes
 * (each pixel under 4 patches); grey is the ImageNet mean colour, 0 after normalization. Copies per
 * model.run: on WASM (Node, 2 busy cores) 729 patches took 21.7 s at batch 8, 22.1 s at 32, 24.8 s
 * at 16 and 28.1 s at 64 — the forward pass costs ~21 ms an image at any batch (README, Benchmark:
 * 22.7 ms at batch 1, 172 ms at 8), so batching buys nothing past 8, and 8 keeps cancel and
 * progress at ~0.2 s. So 16/8 costs ≥ 15 s even on idle cores; 32/32 (49 passes) takes ~1–2 s.
 */
export const OCCLUSION_DEFAULTS = {
  patch: 16,
  stride: 8,
  baseline: 'grey' as OcclusionBaseline,
  blurSigma: 16,
  batchSize: 8,
} as const;

/** The map a "Show saliency map" job computes first. */
export const DEFAULT_SALIENCY_METHOD: SaliencyMethodName = 'vanilla';

/** The share of the most salient pixels a "top k %" mask keeps (popup's "Top 20 %"; CLI --keep default). */
export const DEFAULT_MASK_KEEP = 0.2;

// ---- fooling images ----------------------------------------------------------------------------

export const ATTACK_METHODS = ['cs231n', 'pgd', 'fgsm'] as const;
export type AttackMethod = (typeof ATTACK_METHODS)[number];

/** The one number each attack is given: at most this many steps (cs231n), or ε in /255 (pgd, fgsm). */
export interface BudgetSpec {
  min: number;
  max: number;
  default: number;
  integer: boolean;
  unit: string;
}

export const ATTACKS: Record<AttackMethod, { title: string; short: string; description: string; budget: BudgetSpec }> =
  {
    cs231n: {
      title: t('aCs231n'),
      short: t('aCs231n'),
      description: t('aCs231nAbout'),
      budget: { min: 1, max: 500, default: 100, integer: true, unit: t('aCs231nUnit') },
    },
    pgd: {
      title: t('aPgd'),
      short: 'PGD',
      description: t('aPgdAbout'),
      budget: { min: 0.5, max: 32, default: 2, integer: false, unit: t('aLinfUnit') },
    },
    fgsm: {
      title: t('aFgsm'),
      short: 'FGSM',
      description: t('aFgsmAbout'),
      budget: { min: 0.5, max: 32, default: 8, integer: false, unit: t('aLinfUnit') },
    },
  };

/**
 * Every attack parameter's default. PGD: ε 2 with α = ε/4 fooled 12/12 test photos with random
 * targets in 40 steps (src/methods/attack/pgd.ts); FGSM ε 8 flips 11/12 untargeted; CS231n steps
 * of 50 px (L2) reach the target in a median 12.5 steps.
 */
export const ATTACK_DEFAULTS = {
  cs231n: { lr: 50, maxIterations: ATTACKS.cs231n.budget.default },
  pgd: { epsilon: ATTACKS.pgd.budget.default, iterations: 40 },
  fgsm: { epsilon: ATTACKS.fgsm.budget.default },
} as const;

/** PGD's step for a budget ε: ε/4, at least 0.25 (a quarter of a pixel level). */
export const pgdStepSize = (epsilon: number): number => Math.max(0.25, epsilon / 4);

/**
 * Logit margin a fooling image keeps over every other class, so that it still fools on another
 * backend (logits differ by ~1e-4 between WASM and CPU).
 */
export const FOOL_MARGIN = 0.05;

/**
 * "Confidently wrong" costs little: on the 12 photos with random targets (CS231n, WASM), asking for
 * p ≥ 0.9 instead of top-1 took a median 15 instead of 13 steps and the same median L∞ (17/255),
 * 12/12 fooled either way. So the popup asks for 90 % by default; 0 means top-1 is enough.
 */
export const FOOL_CONFIDENCES = [0, 0.5, 0.9] as const;
export const DEFAULT_FOOL_CONFIDENCE = 0.9;

export function validBudget(method: AttackMethod, budget: unknown): budget is number {
  const b = ATTACKS[method].budget;
  return (
    typeof budget === 'number' &&
    Number.isFinite(budget) &&
    budget >= b.min &&
    budget <= b.max &&
    (!b.integer || Number.isInteger(budget))
  );
}

/** An attack's options for the popup's one-number budget (the CLI sets each option itself). */
export function budgetOptions(
  method: AttackMethod,
  budget: number,
): { maxIterations?: number; epsilon?: number; stepSize?: number } {
  if (method === 'cs231n') return { maxIterations: budget };
  if (method === 'pgd') return { epsilon: budget, stepSize: pgdStepSize(budget) };
  return { epsilon: budget };
}

// ---- visualization -----------------------------------------------------------------------------

export const VISUALIZE_ITERATIONS = { min: 10, max: 1000, default: 200 } as const;

/** DeepDream of a job's image in the popup: fire5, on the stored copy (long side ≤ 400 px). */
export const DREAM_DEFAULTS = { layer: 'fire5', maxSide: 400 } as const;

// ---- trust -------------------------------------------------------------------------------------

/**
 * The popup's model-randomization check: the classifier, fire9 and fire8 are re-drawn; fewer
 * samples / steps / occlusion patches than the panel's own map (it compares rank structure, not detail;
 * occlusion at 32/32 is 49 passes instead of 729).
 */
export const SANITY_DEFAULTS = { after: 'fire8', samples: 16, steps: 32, patch: 32, stride: 32 } as const;

// ---- images from features (synthesize) ---------------------------------------------------------

/** Layers whose activations an image can be inverted from (CS231n: conv1, fire2 … fire9). */
export const INVERT_LAYERS = ['conv1', 'fire2', 'fire3', 'fire4', 'fire5', 'fire6', 'fire7', 'fire8', 'fire9'] as const;
export type InvertLayer = (typeof INVERT_LAYERS)[number];

/**
 * CS231n's optimizer for every synthesis (StyleTransfer notebook): Adam at lr 3.0 on the
 * normalized image, a fresh Adam at lr 0.1 from iteration 180, 200 iterations, the image clamped to
 * [−1.5, 1.5] (normalized units) before each of the first 190 forward passes. For other iteration
 * counts the schedule scales: the rate drops after 90 % of them, the last 5 % run unclamped.
 */
export const SYNTHESIS_OPTIMIZER = {
  iterations: 200,
  learningRate: 3.0,
  decayedLearningRate: 0.1,
  decayFraction: 0.9,
  clamp: 1.5,
  unclampedFraction: 0.05,
} as const;

/**
 * "What does each layer keep?": the layers inverted side by side (issue 9: every other block from
 * conv1 to fire8, from nearly the photo itself to parts and textures), each from the same noise.
 */
export const COMPARE_LAYERS = ['conv1', 'fire2', 'fire4', 'fire6', 'fire8'] as const satisfies readonly InvertLayer[];

/** Feature inversion (Mahendran & Vedaldi 2015), CS231n's weights. */
export const INVERT_DEFAULTS = { layer: 'fire2' as InvertLayer, contentWeight: 6e-2, tvWeight: 2e-2 } as const;

/**
 * Picture sizes of the synthesis methods (issue 9, CS231n): the whole picture at its aspect ratio
 * with its smallest side at `default` (engine/preprocess.ts preprocessWhole); the CLI's `--size`
 * and the extension use these. Inversion 192; texture 192 (the texture has the style picture's
 * size); style transfer: content 192 (up to 384), style picture 192 (192–512).
 */
export const SYNTHESIS_SIZES = {
  invert: { default: 192, min: 64, max: 512 },
  texture: { default: 192, min: 64, max: 512 },
  stylize: { default: 192, min: 64, max: 384 },
  style: { default: 192, min: 192, max: 512 },
} as const;

/** The Gram layers of texture synthesis and style transfer (CS231n: features 1, 4, 6, 7). */
export const STYLE_LAYERS = ['conv1', 'fire3', 'fire4', 'fire5'] as const;

/** Texture synthesis (Gatys et al. 2015): Gram matching only, CS231n's style weights. */
export const TEXTURE_DEFAULTS = { styleWeights: [20000, 500, 12, 1], tvWeight: 0 } as const;

export const STYLE_PRESETS = ['composition-vii', 'scream', 'starry-night'] as const;
export type StylePreset = (typeof STYLE_PRESETS)[number];

/** Style transfer (Gatys et al. 2016), CS231n's three settings; content at fire2. */
export const STYLIZE_PRESETS: Record<
  StylePreset,
  { title: string; contentWeight: number; styleWeights: readonly number[]; tvWeight: number }
> = {
  'composition-vii': {
    title: t('presetComposition'),
    contentWeight: 5e-2,
    styleWeights: [20000, 500, 12, 1],
    tvWeight: 5e-2,
  },
  scream: { title: t('presetScream'), contentWeight: 3e-2, styleWeights: [200000, 800, 12, 1], tvWeight: 2e-2 },
  'starry-night': {
    title: t('presetStarry'),
    contentWeight: 6e-2,
    styleWeights: [300000, 1000, 15, 3],
    tvWeight: 2e-2,
  },
};

/** Style transfer defaults: the first preset, content at fire2, style weights × strength. */
export const STYLIZE_DEFAULTS = {
  preset: 'composition-vii' as StylePreset,
  contentLayer: 'fire2',
  strength: 1,
  strengthRange: { min: 0, max: 10 },
} as const;

// ---- channel visualization and fooling from noise (issue 9) ------------------------------------

/** Layers whose channels can be visualized: conv1, the fire modules, the class map before its ReLU. */
export const CHANNEL_LAYERS = [
  'conv1',
  'fire2',
  'fire3',
  'fire4',
  'fire5',
  'fire6',
  'fire7',
  'fire8',
  'fire9',
  'classifier',
] as const;
export type ChannelLayer = (typeof CHANNEL_LAYERS)[number];

/**
 * Channel / neuron visualization (activation maximization: Yosinski et al. 2015; Olah et al. 2017,
 * "Feature Visualization"). Lucid's defaults: Adam lr 0.05 on Fourier coefficients scaled by
 * 1/frequency (decay 1), initial sd 0.01, decorrelated colours, and its standard transforms (see
 * src/methods/visualize/transforms.ts); Lucid runs 512 steps, issue 9 budgets 256. The atlas is the
 * first 16 channels of a layer.
 */
export const CHANNEL_DEFAULTS = {
  layer: 'fire6' as ChannelLayer,
  steps: 256,
  learningRate: 0.05,
  decay: 1,
  initSd: 0.01,
  atlas: 16,
  previewEvery: 32,
} as const;

/**
 * Fooling images from noise (Nguyen et al. 2015, the gradient-ascent variant): from seeded uniform
 * noise, steps of L2 length lr (pixels) up the target's log-probability, no regularizer, until the
 * 8-bit image is the target with ≥ 99 %.
 */
/**
 * Side of the channel picture (square, pixels). Default 128, Lucid's (`param.image(128)`), whose
 * transforms (jitter 8 and 4 px, ±10 % scale, ±10°) were tuned at that size; and a step at 128 costs
 * ~a third of one at 224 (the network ∝ pixels, the Fourier products ∝ side³), which is what puts
 * 256 steps within the 10 s. 224 (the network's own view) stays available.
 */
export const CHANNEL_SIZE = { min: 64, max: 224, default: 128 } as const;

/** Steps the popup's channel tool offers (each ~160 ms of CPU here: 256 take ~40 s on an idle core). */
export const CHANNEL_STEPS = { min: 16, max: 512, default: 128 } as const;

export const FROM_NOISE_DEFAULTS = { minProb: 0.99, lr: 50, maxIterations: 300 } as const;
// ---- saliency segmentation ---------------------------------------------------------------------

export interface SegmentDefaults {
  /** Gaussian blur σ of the saliency map (in map pixels) before the percentiles; 0: none */
  blur: number;
  /** saliency percentile above which pixels seed the object */
  foregroundPercentile: number;
  /** saliency percentile below which pixels seed the background */
  backgroundPercentile: number;
  /** Gaussians per colour model */
  components: number;
  /** at most this many GrabCut rounds (fit the colour models, cut); fewer when a cut changes nothing */
  iterations: number;
  /** γ, the weight of the contrast-sensitive Potts term (colours in 0–255 units) */
  smoothness: number;
  neighbours: 4 | 8;
  /** the cut runs on the image shrunk to this long side (the mask is scaled back to the image) */
  maxSide: number;
  /** keep only the largest connected part of the object, as the paper does */
  largestComponent: boolean;
}

/**
 * Saliency segmentation (Simonyan, Vedaldi & Zisserman 2013, "Deep Inside Convolutional Networks",
 * weakly supervised object localisation): object seeds above the 95th percentile of the saliency
 * map, background seeds below the 30th, the largest connected component of the cut; GrabCut's
 * colour models and cut (Rother, Kolmogorov & Blake 2004: 5 Gaussians a side, γ = 50, 8 neighbours)
 * iterated up to 5 times; the cut on a grid of ≤ 320 px a side keeps it bounded on large photos.
 * The map is blurred first (σ 8 of its 224 pixels), which the paper does not do: SqueezeNet's
 * vanilla maps are speckled, and unblurred their top 5 % were scattered dots — masks of 1.5–17.6 %
 * of the 12 test photos, mostly fragments; blurred, 10.7–50 %, most of them the object (README).
 * Rounds: on the photos the mask after 3 rounds overlaps the 10-round one by IoU ≥ 0.96 but for
 * the monarch (0.92) and the horn (0.48, which changes late); 5 keeps the cost ≤ ~1.7 s CPU.
 */
export const SEGMENT_DEFAULTS: Readonly<SegmentDefaults> = {
  blur: 8,
  foregroundPercentile: 95,
  backgroundPercentile: 30,
  components: 5,
  iterations: 5,
  smoothness: 50,
  neighbours: 8,
  maxSide: 320,
  largestComponent: true,
};

/** The saliency map a segmentation starts from (the paper's: vanilla gradients). */
export const SEGMENT_SALIENCY_METHOD: SaliencyMethodName = DEFAULT_SALIENCY_METHOD;

/**
 * SqueezeNet 1.1 as a table, so the forward pass, the hand-written backward pass, the weight
 * packer and the tests all agree on one description (see ../shared/models/README.md).
 * Source tensors are named squeezenet0_conv{i}_{weight,bias}; we keep "conv{i}".
 */
/** The network's native input size: classification, saliency, fooling images and class visualization use it. */
export const INPUT_SIZE = 224;
/**
 * Input sizes the engine accepts (each of H and W): the synthesis methods run on the picture's own
 * aspect ratio (smallest side 192 by default, up to 512 for a style image). At 64 the class map is
 * 3×3 (64 → 31 → 15 → 7 → 3); sizes other than 224 pool in ceil mode as the reference network.
 */
export const MIN_INPUT_SIZE = 64;
export const MAX_INPUT_SIZE = 512;
export const NUM_CLASSES = 1000;

export interface FireSpec {
  name: FireName;
  inChannels: number;
  squeeze: number;
  expand: number; // width of each expand branch; the module outputs 2 × expand channels
  /** index i of the squeeze conv; the expand 1×1 is i+1, the expand 3×3 is i+2 */
  conv: number;
  /** a 3×3 stride-2 max-pool follows this module */
  poolAfter: boolean;
}

export type FireName = 'fire2' | 'fire3' | 'fire4' | 'fire5' | 'fire6' | 'fire7' | 'fire8' | 'fire9';

const squeezes = [16, 16, 32, 32, 48, 48, 64, 64];
export const FIRES: readonly FireSpec[] = squeezes.map((squeeze, k) => {
  const expand = squeeze * 4;
  const inChannels = k === 0 ? 64 : squeezes[k - 1] * 8;
  return {
    name: `fire${k + 2}` as FireName,
    inChannels,
    squeeze,
    expand,
    conv: 1 + 3 * k,
    poolAfter: k === 1 || k === 3,
  };
});

/** Named activations the engine can return (and differentiate with respect to). */
export const LAYER_NAMES = [
  'conv1', // first conv after its ReLU, 111×111×64 (before the first max-pool)
  ...FIRES.map((f) => f.name),
  'classifier', // 13×13×1000 class map before the final ReLU
  'classifier_relu', // the same after the ReLU
] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

export function isLayerName(name: string): name is LayerName {
  return (LAYER_NAMES as readonly string[]).includes(name);
}

export interface ConvShape {
  name: string; // conv{i}
  kernel: number;
  inChannels: number;
  outChannels: number;
}

/** Every conv in source order (conv0 … conv25). */
export const CONVS: readonly ConvShape[] = [
  { name: 'conv0', kernel: 3, inChannels: 3, outChannels: 64 },
  ...FIRES.flatMap((f) => [
    { name: `conv${f.conv}`, kernel: 1, inChannels: f.inChannels, outChannels: f.squeeze },
    { name: `conv${f.conv + 1}`, kernel: 1, inChannels: f.squeeze, outChannels: f.expand },
    { name: `conv${f.conv + 2}`, kernel: 3, inChannels: f.squeeze, outChannels: f.expand },
  ]),
  { name: 'conv25', kernel: 1, inChannels: 512, outChannels: NUM_CLASSES },
];

export const PARAMETER_COUNT = CONVS.reduce(
  (sum, c) => sum + c.kernel * c.kernel * c.inChannels * c.outChannels + c.outChannels,
  0,
);

/** Channels of a named activation: conv1 64, a fire module 2 × expand, the class map 1000. */
export function layerChannels(name: LayerName): number {
  if (name === 'conv1') return 64;
  if (name === 'classifier' || name === 'classifier_relu') return NUM_CLASSES;
  return 2 * FIRES.find((f) => f.name === name)!.expand;
}

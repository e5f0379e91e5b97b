// The ESM-only side-effect module that registers tfjs-core's gradients (used by the stock comparison).
declare module '@tensorflow/tfjs-core/dist/register_all_gradients';

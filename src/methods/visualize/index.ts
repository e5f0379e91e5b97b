/** Feature visualization: class visualization from noise, DeepDream. */
export * from './class-visualization.js';
export * from './deepdream.js';
export { gaussianBlur, gaussianTaps, quantizePixels, roll } from './image-ops.js';

/** Rendering for the CLI, the popup and tests: pure TypeScript on RGBA buffers, no DOM. */
export * from './colormap.js';
export * from './difference.js';
export * from './image.js';
export * from './overlay.js';
export * from './png.js';
export * from './resample.js';
export * from './sheet.js';

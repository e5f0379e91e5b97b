/**
 * The service worker's first statement. index.ts imports this module before anything else, and
 * ES modules evaluate in import order, so this reading is taken before TF.js's module bodies
 * run: performance.now() here is the time from the worker's time origin to the start of our
 * script (fetch and compile of background.js), and later readings minus this one are "since
 * our script started".
 */
export const scriptStartedAt = performance.now();

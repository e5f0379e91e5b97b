/**
 * Service-worker entry (bundled to dist/chrome/background.js, a module worker): the context
 * menu, capture, the job queue and the popup's requests, wired by ./product.ts. Listeners must be
 * registered synchronously at startup, and startup must stay instant: nothing here loads the
 * engine, which loads lazily on the first job (docs/platform.md, "Module service workers").
 *
 * Tests and benchmarks use another entry, ./test-hook/index.ts, which adds a hook to this one.
 */
// First import: its timestamp is taken before TF.js's module bodies evaluate (see started-at.ts).
import './started-at.js';
import { installProduct } from './product.js';

installProduct();

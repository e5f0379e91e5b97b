/**
 * `npm run build:cli`: bundles the command line (src/cli/bin.ts) into one Node 20 ES module at the
 * path package.json's `bin.squeezelens` names (dist/cli/squeezelens.mjs), so that the packed
 * package runs on plain Node, without the dev dependencies tsx and wabt:
 *
 * - The WebAssembly SIMD kernels are assembled here, at build time (wabt, a dev dependency), and
 *   embedded in the bundle, the plain and the relaxed-SIMD build: the import of
 *   src/engine/kernels/assemble-node.ts is replaced by a module that returns those bytes, so wabt
 *   is never imported at run time (the engine uses the relaxed build where Node validates it).
 * - npm packages stay external (`import` statements resolved from the installed package's
 *   node_modules): TF.js's WASM backend and the jSquash decoders find their .wasm files next to
 *   their own JavaScript (emscripten's __dirname; `require.resolve` in src/engine/decode/wasm.ts),
 *   which only works where those files are in their packages, not inlined into a bundle.
 *   Every external package must therefore be a `dependencies` entry, and every `dependencies` entry
 *   must be imported by the bundle (else it belongs in devDependencies): the build fails otherwise,
 *   so `npm install --omit=dev` of the tarball always gets exactly what the command needs.
 * - The model data is not in the package: it is found at run time as in a checkout (src/engine/
 *   model-data-node.ts; models/squeezenet1_1.sources.json ships for the checksummed download).
 *
 * `npm pack` runs this first (the `prepack` script), so a tarball never holds a stale bundle.
 * `buildCli()` is exported for the package test; running this file builds once.
 */
import { chmod, readFile, rm, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { assembleSimdKernels } from '../src/engine/kernels/assemble-node.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'src', 'cli', 'bin.ts');
/** The only module that may import wabt; the bundle gets ./prebuilt kernels in its place. */
const KERNELS_MODULE = join(ROOT, 'src', 'engine', 'kernels', 'assemble-node.ts');
/** Dev-only packages that must never be reached from the bundle (named in the failure). */
const FORBIDDEN = ['tsx', 'wabt'];

interface PackageJson {
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

export async function readPackageJson(): Promise<PackageJson> {
  return JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/** The bundle's path, from package.json's `bin` (one place). */
export async function cliBundlePath(): Promise<string> {
  return join(ROOT, (await readPackageJson()).bin.squeezelens);
}

export interface CliBuildResult {
  file: string;
  bytes: number;
  kernelBytes: number;
  /** the npm packages the bundle imports at run time */
  packages: string[];
  ms: number;
}

/** '@scope/name/deep/path.js' → '@scope/name'; 'name/x' → 'name'. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export async function buildCli(options: { log?: (message: string) => void } = {}): Promise<CliBuildResult> {
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  const pkg = await readPackageJson();
  const outfile = await cliBundlePath();
  const kernels = await assembleSimdKernels();
  if (!WebAssembly.validate(new Uint8Array(kernels))) throw new Error('the assembled SIMD kernels do not validate');
  const kernelsBase64 = Buffer.from(kernels).toString('base64');
  // the relaxed-SIMD build too: the engine picks it where the Node running the CLI validates it (22+)
  const relaxedBase64 = Buffer.from(await assembleSimdKernels('relaxed-simd')).toString('base64');

  const prebuiltKernels: esbuild.Plugin = {
    name: 'squeezelens-prebuilt-kernels',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (FORBIDDEN.includes(packageName(args.path)))
          return { errors: [{ text: `${args.path} is a dev dependency and must not be imported by the CLI` }] };
        return undefined;
      });
      build.onResolve({ filter: /assemble-node(\.js|\.ts)?$/ }, (args) => {
        const resolved = join(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        return resolved === KERNELS_MODULE ? { path: 'prebuilt-kernels', namespace: 'squeezelens' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'squeezelens' }, () => ({
        loader: 'js',
        // Same export as src/engine/kernels/assemble-node.ts, which the engine imports; any other
        // export of that module used from the CLI fails the build as a missing export.
        contents:
          '// The SIMD kernels, assembled by scripts/build-cli.ts at build time (wabt is not shipped).\n' +
          `const KERNELS = ${JSON.stringify(kernelsBase64)};\n` +
          `const RELAXED = ${JSON.stringify(relaxedBase64)};\n` +
          "export async function loadSimdKernelsNode(build = 'simd128') {\n" +
          "  return new Uint8Array(Buffer.from(build === 'relaxed-simd' ? RELAXED : KERNELS, 'base64'));\n" +
          '}\n',
      }));
    },
  };

  await rm(dirname(outfile), { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20', // = engines.node
    packages: 'external',
    banner: { js: '#!/usr/bin/env node' },
    // Not minified: a user's stack trace or a bug report should point at readable code.
    minify: false,
    legalComments: 'none', // our own code only: every package stays external
    metafile: true,
    logLevel: 'warning',
    plugins: [prebuiltKernels],
  });
  if (result.errors.length) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join('; ')}`);

  const builtins = new Set(builtinModules);
  const output = result.metafile.outputs[relative(ROOT, outfile)];
  const packages = [
    ...new Set(
      output.imports
        .filter((i) => i.external && !i.path.startsWith('node:') && !builtins.has(i.path))
        .map((i) => packageName(i.path)),
    ),
  ].sort();
  const notDependencies = packages.filter((p) => !(p in pkg.dependencies));
  if (notDependencies.length)
    throw new Error(
      `the CLI imports ${notDependencies.join(', ')} at run time, but package.json does not list ` +
        'them under dependencies (npm install --omit=dev would leave them out)',
    );
  const unused = Object.keys(pkg.dependencies).filter((d) => !packages.includes(d));
  if (unused.length)
    throw new Error(
      `package.json dependencies ${unused.join(', ')} are not used by the CLI bundle: move them to ` +
        'devDependencies (the extension bundles what it needs)',
    );
  const inlined = Object.keys(result.metafile.inputs).filter((f) => f.includes('node_modules/'));
  if (inlined.length) throw new Error(`the CLI bundle inlines packages (e.g. ${inlined[0]}): keep them external`);

  await chmod(outfile, 0o755); // runnable as ./dist/cli/squeezelens.mjs too (npm sets this on install anyway)
  const bytes = (await stat(outfile)).size;
  const ms = performance.now() - t0;
  log(
    `built ${relative(ROOT, outfile)} in ${ms.toFixed(0)} ms (${(bytes / 1024).toFixed(0)} KB, ` +
      `kernels ${kernels.length} bytes; run-time packages: ${packages.join(', ')})`,
  );
  return { file: outfile, bytes, kernelBytes: kernels.length, packages, ms };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // stderr: `npm pack --json` runs this as its prepack script and its stdout must stay JSON.
  await buildCli({ log: (m) => console.error(m) });
}

/**
 * The WebAssembly decoders (jSquash's builds of MozJPEG, libwebp and libavif), loaded synchronously
 * so decodeImage stays a plain function: the module is compiled with `new WebAssembly.Module` and
 * instantiated through Emscripten's `instantiateWasm` hook, after which the embind `decode` is on
 * the options object at once (checked below; it does not wait for the factory's promise).
 * Each codec is compiled on first use, once per process: the first JPEG costs ~17 ms more (166 KB
 * module), the first WebP ~12 ms, the first AVIF ~120 ms (1.17 MB; up to 0.8 s on a loaded machine).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import avifFactory from '@jsquash/avif/codec/dec/avif_dec.js';
import jpegFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import webpFactory from '@jsquash/webp/codec/dec/webp_dec.js';
import { FormatError } from './common.js';

export type Codec = 'jpeg' | 'webp' | 'avif';

export interface WasmImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface WasmResult {
  image: WasmImage | null;
  messages: string[];
}

interface CodecModule {
  decode(data: Uint8Array, arg?: boolean | number): WasmImage | null;
  HEAPU8?: Uint8Array;
}

type Factory = (options: object) => Promise<unknown>;

const SPECS: Record<Codec, { wasm: string; factory: Factory }> = {
  jpeg: { wasm: '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm', factory: jpegFactory as unknown as Factory },
  webp: { wasm: '@jsquash/webp/codec/dec/webp_dec.wasm', factory: webpFactory as unknown as Factory },
  avif: { wasm: '@jsquash/avif/codec/dec/avif_dec.wasm', factory: avifFactory as unknown as Factory },
};

/**
 * A WebAssembly memory never shrinks: after decoding a large image (a 100 MP JPEG grows MozJPEG's
 * heap past 400 MB) the instance is dropped so the heap can be collected. Below this it is kept.
 */
const KEEP_HEAP_BYTES = 64 * 1024 * 1024;

const require = createRequire(import.meta.url);
const compiled = new Map<Codec, WebAssembly.Module>();
const live = new Map<Codec, CodecModule>();
/** What the C code printed during the current call (libjpeg's warnings and errors, for example). */
let messages: string[] = [];

function instance(codec: Codec): CodecModule {
  const existing = live.get(codec);
  if (existing) return existing;
  const spec = SPECS[codec];
  let wasm = compiled.get(codec);
  if (!wasm) {
    wasm = new WebAssembly.Module(readFileSync(require.resolve(spec.wasm)));
    compiled.set(codec, wasm);
  }
  const module = wasm;
  const options = {
    noInitialRun: true,
    print: (text: string) => messages.push(text),
    printErr: (text: string) => messages.push(text),
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
      const created = new WebAssembly.Instance(module, imports);
      done(created);
      return created.exports;
    },
  };
  // The promise resolves to `options` itself; a later abort must not become an unhandled rejection.
  spec.factory(options).catch(() => {});
  const ready = options as unknown as CodecModule;
  if (typeof ready.decode !== 'function') throw new Error(`the ${codec} WebAssembly decoder did not initialize`);
  live.set(codec, ready);
  return ready;
}

/**
 * Decodes with one of the WebAssembly codecs. Returns the image (null when the codec refused the
 * data) and what the codec printed. A codec that aborts (libjpeg's error_exit calls exit()) throws
 * a FormatError with its own message, and its instance is discarded: its heap may be inconsistent.
 */
export function wasmDecode(codec: Codec, bytes: Uint8Array, arg?: boolean | number): WasmResult {
  const module = instance(codec);
  messages = [];
  let image: WasmImage | null;
  try {
    // embind checks the argument count: WebP's decode takes the data alone.
    image = arg === undefined ? module.decode(bytes) : module.decode(bytes, arg);
  } catch (error) {
    live.delete(codec);
    const said = messages.filter((m) => m.trim()).join('; ');
    const label = { jpeg: 'JPEG', webp: 'WebP', avif: 'AVIF' }[codec];
    throw new FormatError(`cannot decode ${label} data: ${said || (error as Error).message || String(error)}`);
  } finally {
    if ((module.HEAPU8?.byteLength ?? 0) > KEEP_HEAP_BYTES) live.delete(codec);
  }
  return { image, messages };
}

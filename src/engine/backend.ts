/**
 * Backend choice with every step checked. `tf.setBackend` answers false rather than throwing
 * when a backend fails to initialize, and TF.js would otherwise quietly carry on with whatever
 * it had: we record why each candidate was refused and report the backend that actually runs.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, BackendReport } from '../shared/backend.js';
import { t } from '../shared/i18n.js';

export type { BackendName, BackendReport };

export class BackendError extends Error {}

export interface SelectOptions {
  /** in order of preference */
  candidates: readonly BackendName[];
  /** allow WebGPU on a software (fallback) adapter, e.g. for tests; such adapters are ~50× slower than WASM */
  allowFallbackAdapter?: boolean;
  /** registers the named backend's factory (imports are the caller's: bundles differ) */
  register?: Partial<Record<BackendName, () => void | Promise<void>>>;
}

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

async function probeWebGpu(
  allowFallback: boolean,
): Promise<{ ok: true; adapter: NonNullable<BackendReport['adapter']> } | { ok: false; reason: string }> {
  const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (!gpu) return { ok: false, reason: 'WebGPU is not available here (navigator.gpu is missing)' };
  const adapter = (await gpu.requestAdapter()) as { info?: GpuAdapterInfoLike; isFallbackAdapter?: boolean } | null;
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter (requestAdapter returned null)' };
  const info = adapter.info ?? {};
  const isFallbackAdapter = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  const description = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    isFallbackAdapter,
  };
  if (isFallbackAdapter && !allowFallback) {
    return {
      ok: false,
      reason:
        'the WebGPU adapter is a software fallback ' +
        `(${description.vendor || 'unknown vendor'} ${description.architecture}); WASM is faster`,
    };
  }
  return { ok: true, adapter: description };
}

export async function selectBackend(options: SelectOptions): Promise<BackendReport> {
  const fallbacks: BackendReport['fallbacks'] = [];
  for (const name of options.candidates) {
    let adapter: BackendReport['adapter'];
    try {
      if (name === 'webgpu') {
        const probe = await probeWebGpu(options.allowFallbackAdapter ?? false);
        if (!probe.ok) {
          fallbacks.push({ backend: name, reason: probe.reason });
          continue;
        }
        adapter = probe.adapter;
      }
      if (name === 'wasm') {
        // Extension contexts expose SharedArrayBuffer without cross-origin isolation: TF.js would
        // pick the threaded build and fail. One thread, deliberately.
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      }
      await options.register?.[name]?.();
      if (!tf.findBackendFactory(name)) {
        fallbacks.push({ backend: name, reason: `the ${name} backend is not bundled here` });
        continue;
      }
      const ok = await tf.setBackend(name);
      if (!ok || tf.getBackend() !== name) {
        fallbacks.push({ backend: name, reason: `tf.setBackend('${name}') failed to initialize` });
        continue;
      }
      await tf.ready();
    } catch (error) {
      fallbacks.push({ backend: name, reason: `${name} failed: ${(error as Error).message}` });
      continue;
    }
    const report: BackendReport = { backend: name, fallbacks };
    if (name === 'wasm') {
      report.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      report.threads = 1;
    }
    if (adapter) report.adapter = adapter;
    return report;
  }
  throw new BackendError(`no usable backend: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

export function describeBackend(report: BackendReport): string {
  let text: string = report.backend;
  if (report.backend === 'wasm') text = t(report.simd ? 'backendWasm' : 'backendWasmNoSimd', text);
  if (report.adapter)
    text = report.adapter.isFallbackAdapter
      ? t('backendSoftware', text)
      : `${text} (${report.adapter.vendor} ${report.adapter.architecture})`.replace(/\s+\)/, ')');
  return text;
}

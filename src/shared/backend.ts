/** Which backend ran, as every layer reports it (the engine fills it in; TF-free so pages can show it). */
export type BackendName = 'webgpu' | 'wasm' | 'cpu';

export interface BackendReport {
  backend: BackendName;
  /** wasm: SIMD build in use; threads always 1 here */
  simd?: boolean;
  threads?: number;
  /** webgpu: adapter description; software adapters are flagged */
  adapter?: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean };
  /** wasm: SqueezeLens's own SIMD kernels (max-pool gradient, masks, concat, heads) are in use */
  simdKernels?: boolean;
  /** wasm: which build of those kernels runs ('relaxed-simd': with fused multiply-add) */
  kernelBuild?: 'simd128' | 'relaxed-simd';
  /** candidates tried before this one, with the reason each was not used */
  fallbacks: { backend: BackendName; reason: string }[];
}

import type { DescriptorKernels } from './descriptors.js';
import { KERNELS_WASM_BASE64 } from './kernelsWasm.js';

/**
 * poseloss's SIMD WebAssembly kernels (AssemblyScript source in ./assembly, compiled by
 * `npm run build:wasm` into ./kernels.wasm and embedded as base64 in ./kernelsWasm.ts, both
 * committed; a test checks that they are the build of the source). Embedded, the bytes travel
 * with the code: Node and browser bundles need no file access and no asset configuration.
 * The module imports its memory and has no data segments, so one instance runs directly on
 * the tfjs wasm backend's heap. Pointers are byte offsets.
 *
 * The module's exports: every entry point takes one argument, the address of its descriptor in
 * the memory: the fields declared in ./descriptors.ts (written by `callKernel`), or for `expr`
 * an expression's register program (see src/kernels/expr.ts and simd/assembly/expr.ts).
 */
export type SimdKernels = DescriptorKernels & {
  expr(descriptor: number): void;
};

export const HEATMAP_KIND = { heatmap_mse: 0, heatmap_kl: 1, heatmap_js: 2 } as const;

/** The module's bytes, decoded from the embedded base64 (`atob`: Node ≥ 16 and browsers). */
export const kernelsWasmBytes = (): Uint8Array => Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** The kernels, instantiated on `memory` (once per memory). */
export const simdKernels = (memory: WebAssembly.Memory): SimdKernels => {
  let k = instances.get(memory);
  if (!k) {
    compiled ??= new WebAssembly.Module(kernelsWasmBytes());
    k = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, k);
  }
  return k;
};

import { KERNELS_WASM_BASE64 } from './kernelsWasm.js';

/**
 * poseloss's SIMD WebAssembly kernels (AssemblyScript source in ./assembly, compiled by
 * `npm run build:wasm` into ./kernels.wasm and embedded as base64 in ./kernelsWasm.ts, both
 * committed; a test checks that they are the build of the source). Embedded, the bytes travel
 * with the code: Node and browser bundles need no file access and no asset configuration.
 * The module imports its memory and has no data segments, so one instance runs directly on
 * the tfjs wasm backend's heap. Pointers are byte offsets.
 */
export interface SimdKernels {
  /** kind 0 mse, 1 kl, 2 js; g = 0: no gradient; flags: `maps` bytes of scratch. */
  heatmap(kind: number, t: number, p: number, g: number, maps: number, pixels: number, masked: boolean, flags: number, sum: boolean): number;
  /** valid: a byte per frame pair and keypoint; eps: a float64 per keypoint. */
  /** masks: f64 pairs (threshold, drop); returns the pairs left in the mean. */
  pairValidity(conf: number, frames: number, k: number, masks: number, nMasks: number, valid: number): number;
  temporal(x: number, g: number, frames: number, k: number, valid: number, eps: number, scale: number): number;
  /** As `temporal`, over (B, K, H, W) maps; kl: false for the per-pixel mean squared change. */
  temporalHeatmap(kl: boolean, p: number, g: number, frames: number, k: number, pixels: number, valid: number, eps: number, scale: number): number;
  /** centering 0 none, 1 mean, 2 median; see simd/assembly/pca.ts. */
  /** Gaussian maps rendered at keypoints kp against targets t, fused; see simd/assembly/reprojection.ts. */
  reprojection(
    t: number,
    kp: number,
    gkp: number,
    maps: number,
    H: number,
    W: number,
    sx: number,
    sy: number,
    sigma: number,
    flags: number,
    work: number,
    sum: boolean,
  ): number;
  /** code −1: per-keypoint norm, 0..3: squared, absolute, huber, smooth_l1; see simd/assembly/keypoints.ts. */
  keypoints(
    t: number,
    p: number,
    conf: number,
    gt: number,
    gp: number,
    frames: number,
    pairs: number,
    k: number,
    c: number,
    broadcast: boolean,
    code: number,
    param: number,
    scale: number,
    eps: number,
    rectified: boolean,
    masks: number,
    nMasks: number,
    state: number,
    sum: boolean,
  ): number;
  /** An expression's register program, all in one descriptor; see simd/assembly/expr.ts. */
  expr(descriptor: number): void;
  /** Multi-camera reprojection (and its distance loss), all in one descriptor; see simd/assembly/multiview.ts. */
  multiview(descriptor: number): void;
  /** Work-area bytes `multiview` needs for this many views. */
  multiviewWorkBytes(views: number): number;
  pcaReprojection(
    x: number,
    g: number,
    frames: number,
    width: number,
    src: number,
    perFrame: number,
    d: number,
    dPad: number,
    mean: number,
    P: number,
    centering: number,
    eps: number,
    work: number,
    sum: boolean,
  ): number;
}

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

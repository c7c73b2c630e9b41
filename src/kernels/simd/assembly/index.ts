// AssemblyScript entry: the kernels poseloss calls. Every pointer is a byte offset into the
// imported memory (the tfjs wasm backend's heap, or poseloss's own memory on the cpu backend).
// The module has no data segments and no allocator: it never writes outside the buffers it is given.
// Each entry point takes one argument, the address of its descriptor: the fields declared in
// src/kernels/simd/descriptors.ts, read through ./descriptors.ts (generated from that table).
export { heatmap } from './heatmap';
export { temporalHeatmap } from './temporalHeatmap';
export { pcaReprojection } from './pca';
export { keypoints } from './keypoints';
export { pairValidity, temporal } from './temporal';
export { reprojection } from './reprojection';
export { expr } from './expr';
export { multiview, multiviewWorkBytes } from './multiview';

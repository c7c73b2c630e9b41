/**
 * The layers of the source tree (docs: README "Layout"): a folder may import its own layer and
 * those below, never one above; tests/unit/layers.test.ts checks every import against this
 * table and that the import graph has no cycles.
 */
export const LAYERS: Readonly<Record<string, number>> = {
  ops: 0,
  config: 0,
  pca: 0,
  io: 0,
  backend: 0,
  expr: 0,
  pipeline: 1,
  steps: 2,
  kernels: 2,
  // camera math on tensors (imports ops and config only); multi-camera steps use it
  geometry: 2,
  losses: 3,
  lp: 4,
  metrics: 4,
  verify: 4,
  example: 4,
  cli: 5,
  demo: 5,
  report: 5,
  // the package root re-exports the library
  'index.ts': 6,
  'node.ts': 6,
  'layers.ts': 0,
};

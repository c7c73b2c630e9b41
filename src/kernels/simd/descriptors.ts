/**
 * The wasm entry points' arguments, declared once as data. Each kernel in simd/assembly takes
 * ONE argument: the byte address of its descriptor, a record in wasm memory whose fields are the
 * ones listed here, in this order, each at its natural alignment (`layout`). The TypeScript side
 * writes a descriptor by field name through `callKernel`; the AssemblyScript side reads it
 * through simd/assembly/descriptors.ts, generated from this table by `npm run build:wasm`
 * (scripts/descriptors.ts; a test checks that the generated file is current).
 *
 * Field types: `f64`, `f32`, `i32` (written from a number), `ptr` (a byte offset in the
 * memory, u32), `bool` (an i32, 0 or 1). The kernel's result is its return value.
 */
export type FieldType = 'f64' | 'f32' | 'i32' | 'ptr' | 'bool';

export const DESCRIPTORS = {
  /** simd/assembly/heatmap.ts: kind 0 mse, 1 kl, 2 js; g = 0: no gradient; flags: `maps` bytes of scratch. */
  heatmap: { kind: 'i32', t: 'ptr', p: 'ptr', g: 'ptr', maps: 'i32', pixels: 'i32', masked: 'bool', flags: 'ptr', sum: 'bool' },
  /** simd/assembly/temporal.ts: masks are f64 pairs (threshold, drop); `valid` a byte per frame pair and keypoint; returns the pairs left in the mean. */
  pairValidity: { conf: 'ptr', frames: 'i32', k: 'i32', masks: 'ptr', nMasks: 'i32', valid: 'ptr' },
  /** simd/assembly/temporal.ts: eps is a float64 per keypoint. */
  temporal: { x: 'ptr', g: 'ptr', frames: 'i32', k: 'i32', valid: 'ptr', eps: 'ptr', scale: 'f64' },
  /** simd/assembly/temporalHeatmap.ts: as `temporal`, over (B, K, H, W) maps; kl: false for the per-pixel mean squared change. */
  temporalHeatmap: { kl: 'bool', p: 'ptr', g: 'ptr', frames: 'i32', k: 'i32', pixels: 'i32', valid: 'ptr', eps: 'ptr', scale: 'f64' },
  /** simd/assembly/reprojection.ts: Gaussian maps rendered at keypoints kp against targets t. */
  reprojection: {
    t: 'ptr',
    kp: 'ptr',
    gkp: 'ptr',
    maps: 'i32',
    H: 'i32',
    W: 'i32',
    sx: 'f32',
    sy: 'f32',
    sigma: 'f32',
    flags: 'ptr',
    work: 'ptr',
    sum: 'bool',
  },
  /** simd/assembly/keypoints.ts: code −1 per-keypoint norm, 0..3 squared, absolute, huber, smooth_l1. */
  keypoints: {
    t: 'ptr',
    p: 'ptr',
    conf: 'ptr',
    gt: 'ptr',
    gp: 'ptr',
    frames: 'i32',
    pairs: 'i32',
    k: 'i32',
    c: 'i32',
    broadcast: 'bool',
    code: 'i32',
    param: 'f64',
    scale: 'f64',
    eps: 'ptr',
    rectified: 'bool',
    masks: 'ptr',
    nMasks: 'i32',
    state: 'ptr',
    sum: 'bool',
  },
  /** simd/assembly/pca.ts: centering 0 none, 1 mean, 2 median; floor: errorFloorScale(d) (pca/reproject.ts). */
  pcaReprojection: {
    x: 'ptr',
    g: 'ptr',
    frames: 'i32',
    width: 'i32',
    src: 'ptr',
    perFrame: 'i32',
    d: 'i32',
    dPad: 'i32',
    mean: 'ptr',
    P: 'ptr',
    centering: 'i32',
    eps: 'f64',
    floor: 'f64',
    work: 'ptr',
    sum: 'bool',
  },
  /** simd/assembly/multiview.ts: reproject_views (out, or its gradient from dy) and, with `loss`, the distance loss; returns the loss. */
  multiview: {
    B: 'i32',
    V: 'i32',
    K: 'i32',
    pts: 'ptr',
    tconf: 'ptr',
    below: 'f64',
    cam: 'ptr',
    pairwise: 'bool',
    out: 'ptr',
    dy: 'ptr',
    grad: 'ptr',
    work: 'ptr',
    loss: 'bool',
    masks: 'ptr',
    nMasks: 'i32',
    nanPred: 'bool',
    nanReprojected: 'bool',
    eps: 'ptr',
    sum: 'bool',
    /** triangulate_pairs: out gets every camera pair's point (B, P, K, 3) (NaN where a view is missing), dy is its upstream gradient */
    pairs: 'bool',
  },
  /** simd/assembly/multiview.ts: the work-area bytes `multiview` needs for this many views. */
  multiviewWorkBytes: { views: 'i32' },
} as const satisfies Record<string, Record<string, FieldType>>;

export type KernelName = keyof typeof DESCRIPTORS;

type Value<T extends FieldType> = T extends 'bool' ? boolean : number;

/** A descriptor's values by field name: every declared field, and only those. */
export type KernelArgs<K extends KernelName> = { readonly [F in keyof (typeof DESCRIPTORS)[K]]: Value<(typeof DESCRIPTORS)[K][F] & FieldType> };

export const FIELD_BYTES: Record<FieldType, number> = { f64: 8, f32: 4, i32: 4, ptr: 4, bool: 4 };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
}

/** The fields in declaration order at their byte offsets (each aligned to its size), and the record's size (a multiple of 8). */
export const layout = (fields: Readonly<Record<string, FieldType>>): { fields: Field[]; bytes: number } => {
  let end = 0;
  const out = Object.entries(fields).map(([name, type]) => {
    const size = FIELD_BYTES[type];
    const offset = Math.ceil(end / size) * size;
    end = offset + size;
    return { name, type, offset };
  });
  return { fields: out, bytes: Math.ceil(end / 8) * 8 };
};

const CODE: Record<FieldType, number> = { f64: 0, f32: 1, i32: 2, ptr: 3, bool: 4 };

/** Per kernel: its fields' names, offsets and type codes, as flat arrays for the writer. */
const WRITERS = Object.fromEntries(
  Object.entries(DESCRIPTORS).map(([k, f]) => {
    const { fields } = layout(f);
    return [k, { names: fields.map((x) => x.name), offsets: fields.map((x) => x.offset), codes: fields.map((x) => CODE[x.type]) }];
  }),
) as Record<KernelName, { names: string[]; offsets: number[]; codes: number[] }>;

/** Bytes reserved for a descriptor next to every kernel's scratch (the largest, 16-aligned so the scratch after it stays aligned). */
export const DESCRIPTOR_BYTES = Math.ceil(Math.max(...Object.values(DESCRIPTORS).map((f) => layout(f).bytes)) / 16) * 16;

/** The exported wasm functions: each takes its descriptor's address. */
export type DescriptorKernels = { readonly [K in KernelName]: (descriptor: number) => number };

let view: DataView | null = null;

/**
 * Write kernel `name`'s descriptor at `at` (DESCRIPTOR_BYTES free bytes, 8-aligned) from `args`,
 * field by declared name, and run the kernel on it; its return value.
 */
export const callKernel = <K extends KernelName>(memory: WebAssembly.Memory, kernels: DescriptorKernels, at: number, name: K, args: KernelArgs<K>): number => {
  if (view?.buffer !== memory.buffer) view = new DataView(memory.buffer); // a grown memory has a new buffer
  const { names, offsets, codes } = WRITERS[name];
  const values = args as unknown as Record<string, number | boolean>;
  for (let i = 0; i < names.length; i++) {
    const v = values[names[i]];
    if (v === undefined) throw new Error(`kernel ${name}: descriptor field '${names[i]}' missing`);
    const o = at + offsets[i];
    const code = codes[i];
    if (code === 0) view.setFloat64(o, v as number, true);
    else if (code === 1) view.setFloat32(o, v as number, true);
    else if (code === 3) view.setUint32(o, v as number, true);
    else view.setInt32(o, code === 4 ? (v ? 1 : 0) : (v as number), true);
  }
  return kernels[name](at);
};

/**
 * A loss's value in plain JS (float64), composed from the references its steps declare next to
 * their code: transforms, then the compute's values, the masks' validity placed on the compute's
 * output, rectify, and the reduce over what is left. Nothing here restates a step's formula; what
 * it adds is how a pipeline combines its steps (README "How a pipeline runs"), placed by shapes and
 * the kind table: an output of an input's shape is on that input's keypoint grid; any other output
 * is a keypoint grid itself; a mask's grid is the output's, the output's with one more leading row
 * (frame pairs: valid when both frames are), or the output's less one axis (broadcast along it).
 */
import { either } from 'fp-ts';
import { formatIssues } from '../../src/config/issues.js';
import { gridShape, INPUT_KEYS, INPUT_KINDS, INPUT_TABLE, isInputKey, type KeyKind, KIND_TABLE } from '../../src/pipeline/keys.js';
import type { AnyStepDef, BuiltCompute, BuiltStep, Kinks, Plain, StepSpec } from '../../src/pipeline/step.js';
import { decodeStep } from '../../src/steps/registry.js';
import type { Inputs } from './arbitraries.js';
import type { PipelineCase } from './registryCases.js';

interface Step {
  readonly def: AnyStepDef;
  readonly params: Record<string, unknown>;
  readonly built: BuiltStep;
}

/** Decode and build every step as a pipeline would (in order; a transform's key known to what follows; the case's labels and rig). */
const buildSteps = (specs: readonly StepSpec[], c: PipelineCase): Step[] => {
  const kinds: Record<string, KeyKind> = { ...INPUT_KINDS };
  let compute: BuiltCompute | undefined;
  return specs.map((spec, i) => {
    const path = `pipeline[${i}]`;
    const d = decodeStep(spec, path);
    if (either.isLeft(d)) throw new Error(formatIssues(d.left));
    if (!d.right.def.reference) throw new Error(`${path}: ${d.right.def.phase} step '${d.right.def.name}' declares no reference`);
    const b = d.right.def.build(d.right.params, { kinds, labels: c.labels, cameras: c.cameras, path, loss: 'reference' }, { compute });
    if (either.isLeft(b)) throw new Error(formatIssues(b.left));
    if (b.right.phase === 'transform') kinds[b.right.as] = b.right.kind;
    if (b.right.phase === 'compute') compute = b.right;
    return { def: d.right.def, params: d.right.params as Record<string, unknown>, built: b.right };
  });
};

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((n, i) => n === b[i]);

/** Element i of a tensor of `kind` and `shape` → its index on the tensor's keypoint grid (the kind table). */
const gridIndex = (kind: KeyKind, shape: readonly number[]): ((i: number) => number) => {
  const { inner, packed } = KIND_TABLE[kind];
  const per = sizeOf(shape.slice(shape.length - inner)) * packed;
  return (i) => Math.floor(i / per);
};

/** Index j of `from` (row-major) with axis `axis` removed, in `to`. */
const dropAxis = (from: readonly number[], axis: number): ((j: number) => number) => {
  const inner = sizeOf(from.slice(axis + 1));
  return (j) => Math.floor(j / (inner * from[axis])) * inner + (j % inner);
};

/**
 * Validity of each output element from a keypoint-grid weight `w` of shape `grid`: the output's
 * grid, its frame pairs, or the output's grid less one axis.
 */
const placeOnOutput = (
  w: ArrayLike<number>,
  grid: readonly number[],
  out: readonly number[],
  at: (j: number) => number,
  what: string,
): ((j: number) => boolean) => {
  if (same(grid, out)) return (j) => w[at(j)] === 1;
  if (grid.length === out.length && grid[0] === out[0] + 1 && same(grid.slice(1), out.slice(1))) {
    const row = sizeOf(grid.slice(1));
    return (j) => w[at(j)] === 1 && w[at(j) + row] === 1;
  }
  // never the batch (every tensor's first axis): the first later axis whose removal leaves the mask's grid
  const axis = out.findIndex((_, a) => a > 0 && same([...out.slice(0, a), ...out.slice(a + 1)], grid));
  if (grid.length + 1 === out.length && axis > 0) {
    const to = dropAxis(out, axis);
    return (j) => w[to(at(j))] === 1;
  }
  throw new Error(`${what}: a mask on a (${grid.join(',')}) grid cannot be placed on an output grid (${out.join(',')})`);
};

export interface PipelineReference {
  /** The reduced loss. */
  readonly loss: number;
  /** The compute's output shape and values before rectify (NaN where a mask makes them invalid). */
  readonly shape: readonly number[];
  readonly values: readonly number[];
  /** Branch points of the composed formula (the steps' own, and each rectify's ε), for finite differences. */
  readonly kinks: Kinks;
  /** The largest magnitude a transform made (0 without one): the step suite holds a transform to 1e-4 of its values, and so a loss. */
  readonly scale: number;
}

/** The loss of a pipeline (its step specs) on a case, from its steps' declared references. */
export const pipelineReference = (specs: readonly StepSpec[], c: PipelineCase): PipelineReference => {
  const steps = buildSteps(specs, c);
  const env = new Map<string, Plain>(Object.entries(c.inputs));
  const kinds: Record<string, KeyKind> = { ...INPUT_KINDS };
  const kinks: (readonly [number, number])[] = [];
  let scale = 0;
  for (const { def, params, built } of steps) {
    if (built.phase !== 'transform' || def.reference?.phase !== 'transform') continue;
    const unmodelled = built.with?.find((k) => env.has(k));
    if (unmodelled) throw new Error(`${built.name} reads ${unmodelled}, which its reference does not take: leave it out of the case (modelledInputs)`);
    const r = def.reference.apply(params, env.get(built.of)!, c.cameras);
    env.set(built.as, r.out);
    for (const v of Array.from(r.out.data)) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    kinds[built.as] = built.kind;
    kinks.push(...r.kinks);
  }

  const compute = steps.find((s) => s.built.phase === 'compute')!;
  const built = compute.built as BuiltCompute;
  if (compute.def.reference?.phase !== 'compute') throw new Error(`${built.name}: not a compute reference`);
  const r = compute.def.reference.values(
    compute.params,
    built.of.map((k) => env.get(k)!),
    built.fitted,
  );
  const out = r.out.shape;
  const n = sizeOf(out);
  for (const [q, t] of r.kinks) if (Number.isFinite(q)) kinks.push([q, t]);

  // the output's keypoint grid: its inputs' when they all have its shape (elementwise computes), else the output is a grid
  const like = built.of.every((k) => same(env.get(k)!.shape, out)) ? built.of[0] : undefined;
  const outGrid = like ? gridShape(kinds[like], out) : [...out];
  const outAt = like ? gridIndex(kinds[like], out) : (j: number) => j;
  const K = outGrid[outGrid.length - 1];

  const valid = new Array<boolean>(n).fill(true);
  const kept = new Array<boolean>(n).fill(true); // what drop masks leave in the mean's count
  let drops = false;
  for (const { def, params, built: m } of steps) {
    if (m.phase !== 'mask' || def.reference?.phase !== 'mask') continue;
    const x = env.get(m.of);
    if (!x) {
      if (m.optional) continue;
      throw new Error(`mask ${m.name}: no ${m.of} in the case`);
    }
    // a key a transform made is not in the input-key table the mask references read: they see it as the table's key of its kind and rank
    const alias = isInputKey(m.of) ? m.of : INPUT_KEYS.find((k) => INPUT_TABLE[k].kind === kinds[m.of] && INPUT_TABLE[k].axes.length === x.shape.length);
    const w = def.reference.weight({ ...params, of: alias }, x);
    let ok: (j: number) => boolean;
    if (m.level === 'element' && like && same(w.shape, out)) ok = (j) => w.data[j] === 1;
    else {
      // keypoint level: a keypoint is valid iff every element of it is
      let grid = [...w.shape];
      let wk: ArrayLike<number> = w.data;
      if (m.level === 'element') {
        grid = gridShape(kinds[m.of], x.shape);
        const at = gridIndex(kinds[m.of], x.shape);
        const g = new Float64Array(sizeOf(grid)).fill(1);
        for (let i = 0; i < w.data.length; i++) if (w.data[i] !== 1) g[at(i)] = 0;
        wk = g;
      }
      ok = placeOnOutput(wk, grid, outGrid, outAt, `mask ${m.name} of ${m.of}`);
    }
    if (m.mode === 'drop') drops = true;
    for (let j = 0; j < n; j++)
      if (!ok(j)) {
        valid[j] = false;
        if (m.mode === 'drop') kept[j] = false;
      }
  }

  const values = Array.from(r.out.data, (v, j) => (valid[j] ? v : NaN));
  const reduced = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    if (!valid[j]) continue;
    let v = r.out.data[j];
    const k = outAt(j) % K;
    for (const { def, params, built: s } of steps) {
      if (s.phase !== 'rectify' || def.reference?.phase !== 'rectify') continue;
      const eps = typeof s.epsilon === 'number' ? s.epsilon : s.epsilon[k];
      kinks.push([v, eps]);
      // a fitted epsilon is the compute's (the built step holds it): the step's formula with that number
      v = def.reference.apply(params.epsilon === 'fitted' ? { ...params, epsilon: s.epsilon, multiplier: 1 } : params, v, k, K);
    }
    reduced[j] = v;
  }
  const count = drops ? kept.filter(Boolean).length : n;
  const reduce = steps.find((s) => s.built.phase === 'reduce')!;
  if (reduce.def.reference?.phase !== 'reduce') throw new Error('not a reduce reference');
  return { loss: reduce.def.reference.reduce(reduce.params, reduced, count), shape: out, values, kinks, scale };
};

/** The case's inputs less those a transform reads besides its own key (`with`: per-view confidences), which its reference does not take. */
export const modelledInputs = (specs: readonly StepSpec[], c: PipelineCase): Inputs => {
  const extra = new Set(buildSteps(specs, c).flatMap(({ built }) => (built.phase === 'transform' ? (built.with ?? []) : [])));
  return Object.fromEntries(Object.entries(c.inputs).filter(([k]) => !extra.has(k)));
};

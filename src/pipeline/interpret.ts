import * as tf from '@tensorflow/tfjs';
import '../ops/zeroGradients.js';
import { LossInputError, shapeStr } from '../config/issues.js';
import { guardInput, markLoss, type NaNGuard } from '../ops/nanGradient.js';
import { recordingGradients } from '../ops/recording.js';
import { reluKeepNaN } from '../ops/relu.js';
import { safeSum } from '../ops/safeSum.js';
import { keepValid } from '../ops/select.js';
import type { Inputs, Stage } from './inputs.js';
import { stageName } from './inputs.js';
import { axesOf, expectedRank, gridShape, INPUT_DTYPE, isPredictionKey, type KeyKind, KIND_TABLE, keypointCount } from './keys.js';
import type { LossResult } from './loss.js';
import type { BuiltCompute, BuiltMask, BuiltRectify, BuiltReduce, BuiltStep, BuiltTransform } from './step.js';

/** Computes the reduced loss of a plan from its inputs (transforms applied, unless the kernel consumes them). */
export type FusedRunner = (env: ReadonlyMap<string, tf.Tensor>) => tf.Scalar;

/** A plan's fused kernel: its name (the wasm export) and runner. */
export interface Fused {
  readonly kernel: string;
  readonly run: FusedRunner;
  /** The kernel does the plan's last transform itself: its runner gets that transform's input (the transforms before it run ahead as usual). */
  readonly consumesLastTransform: boolean;
  /** Whether it can run on the current backend (else the plan runs as tfjs ops). */
  available(): boolean;
}

/** The kernel implementing a plan exactly, or null: handed to the builder (src/kernels/ registers them). */
export type KernelMatcher = (plan: Plan) => Fused | null;

export interface Plan {
  readonly name: string;
  readonly weight: number;
  readonly transforms: readonly BuiltTransform[];
  readonly masks: readonly BuiltMask[];
  readonly compute: BuiltCompute;
  readonly rectify: readonly BuiltRectify[];
  readonly reduce: BuiltReduce;
  readonly kinds: Readonly<Record<string, KeyKind>>;
  /** Keys the caller must supply, and keys that are used only when present. */
  readonly required: readonly string[];
  readonly optional: readonly string[];
  /** Keys gradients flow to: prediction inputs (the input-key table), and what transforms make from them. */
  readonly differentiable: ReadonlySet<string>;
  /** A fused kernel implementing this plan on the cpu/wasm backends, if one matches. */
  readonly fused: Fused | null;
}

export const planOf = (
  name: string,
  weight: number,
  steps: readonly BuiltStep[],
  kinds: Readonly<Record<string, KeyKind>>,
  match: KernelMatcher | null,
): Plan => {
  const transforms = steps.filter((s): s is BuiltTransform => s.phase === 'transform');
  const masks = steps.filter((s): s is BuiltMask => s.phase === 'mask');
  const compute = steps.find((s): s is BuiltCompute => s.phase === 'compute')!;
  const rectify = steps.filter((s): s is BuiltRectify => s.phase === 'rectify');
  const reduce = steps.find((s): s is BuiltReduce => s.phase === 'reduce')!;
  const produced = new Set(transforms.map((t) => t.as));
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const t of transforms) if (!produced.has(t.of)) required.add(t.of); // a transform may read what an earlier one made
  for (const t of transforms) for (const k of t.with ?? []) if (!produced.has(k)) optional.add(k);
  for (const k of compute.of) if (!produced.has(k)) required.add(k);
  for (const m of masks) if (!produced.has(m.of)) (m.optional ? optional : required).add(m.of);
  for (const k of required) optional.delete(k);
  const differentiable = new Set([...required, ...optional].filter(isPredictionKey));
  for (const t of transforms) if (differentiable.has(t.of)) differentiable.add(t.as);
  const plan: Plan = {
    name,
    weight,
    transforms,
    masks,
    compute,
    rectify,
    reduce,
    kinds,
    required: [...required],
    optional: [...optional],
    differentiable,
    fused: null,
  };
  return match ? { ...plan, fused: match(plan) } : plan;
};

/** The plan's fused kernel if it runs on the current backend, else null (the tfjs-ops path runs). */
export const activeFused = (p: Plan): Fused | null => (p.fused?.available() ? p.fused : null);

/**
 * Check presence, dtypes, ranks and shapes of the inputs up front, before any tensor is made
 * (an error thrown later inside tf.grad would leave the tape's saved tensors behind); messages
 * name the loss, the keys and both shapes.
 */
export const checkInputs = (p: Plan, inputs: Inputs<string, string>): Map<string, readonly number[]> => {
  const shapes = new Map<string, readonly number[]>();
  const fail = (msg: string): never => {
    throw new LossInputError(`${p.name}: ${msg}`);
  };
  for (const key of [...p.required, ...p.optional]) {
    const x = inputs[key];
    if (x === undefined || x === null) {
      if (p.optional.includes(key)) continue;
      fail(`missing input '${key}' (it reads ${p.required.map((k) => `'${k}'`).join(', ')})`);
    }
    if (!(x instanceof tf.Tensor)) fail(`input '${key}' is not a tensor`);
    if (x!.isDisposed) fail(`input '${key}' is a disposed tensor (it was disposed before this call)`);
    if (x!.dtype !== INPUT_DTYPE) fail(`${key} ${shapeStr(x!.shape)}: expected dtype ${INPUT_DTYPE}, got ${x!.dtype} (cast it with .toFloat())`);
    const kind = p.kinds[key];
    const rank = expectedRank(key);
    if (rank !== null && x!.rank !== rank) fail(`${key} ${shapeStr(x!.shape)}: expected rank ${rank}`);
    const { inner, packed } = KIND_TABLE[kind];
    const kAxis = x!.rank - 1 - inner;
    if (packed > 1 && (x!.shape[kAxis] as number) % packed !== 0)
      fail(`${key} ${shapeStr(x!.shape)}: expected an even number of columns (x, y per keypoint), got ${x!.shape[kAxis]}`);
    // one rule for every path: a zero-size axis other than the batch is rejected here, before any
    // tensor is made; a batch of 0 frames is an empty reduction (D1: 0, zero gradients; see `run`)
    const zero = x!.shape.indexOf(0, 1);
    if (zero >= 0) fail(`${key} ${shapeStr(x!.shape)}: axis ${axesOf(key)?.[zero] ?? zero} has size 0 (every axis needs at least 1 element)`);
    shapes.set(key, x!.shape);
  }
  // every input's first axis is the batch: they must agree (the one with fewer frames is named first)
  const batches = [...shapes].sort((a, b) => (a[1][0] as number) - (b[1][0] as number));
  const [least, most] = [batches[0], batches[batches.length - 1]];
  if (least && most && least[1][0] !== most[1][0])
    fail(`${least[0]} ${shapeStr(least[1])}: ${least[1][0]} frames, but ${most[0]} ${shapeStr(most[1])} has ${most[1][0]} (every input needs the same batch)`);
  for (const t of p.transforms) {
    const msg = t.check(
      shapes.get(t.of)!,
      t.with?.map((k) => shapes.get(k)),
    );
    if (msg) fail(msg);
    shapes.set(t.as, t.outShape(shapes.get(t.of)!));
  }
  const computeShapes = p.compute.of.map((k) => shapes.get(k)!);
  let msg = p.compute.check(computeShapes);
  // name what the caller passed, not only the tensor a transform made from it
  for (const t of p.transforms)
    msg = msg?.replace(`${t.as} ${shapeStr(shapes.get(t.as)!)}`, `${t.of} ${shapeStr(shapes.get(t.of)!)} (as ${t.as} ${shapeStr(shapes.get(t.as)!)})`) ?? null;
  if (msg) fail(msg);
  const grids = p.compute.of.map((k) => shapeStr(gridShape(p.kinds[k], shapes.get(k)!)));
  for (const m of p.masks) {
    const s = shapes.get(m.of);
    if (!s) continue; // optional mask, key absent
    const own = m.level === 'keypoint' ? shapeStr(gridShape(p.kinds[m.of], s)) : shapeStr(s);
    const targets = m.level === 'keypoint' ? grids : p.compute.of.map((k) => shapeStr(shapes.get(k)!));
    if (!targets.includes(own)) {
      const first = p.compute.of[0];
      fail(`mask ${m.name}: ${m.of} ${shapeStr(s)} does not match ${first} ${shapeStr(shapes.get(first)!)}`);
    }
  }
  for (const r of p.rectify) {
    if (typeof r.epsilon !== 'number') {
      const key = p.compute.of[p.compute.of.length - 1];
      const k = keypointCount(p.kinds[key], shapes.get(key)!);
      if (r.epsilon.length !== k)
        fail(`epsilon has ${r.epsilon.length} values (one per keypoint), but ${key} ${shapeStr(shapes.get(key)!)} has ${k} keypoints`);
    }
  }
  return shapes;
};

/** Multiply optional weights. */
const product = (ws: tf.Tensor[]): tf.Tensor | null => (ws.length === 0 ? null : ws.reduce((a, b) => a.mul(b)));

/**
 * Run a plan: transforms → masks (validity weights) → inputs made safe where nothing valid
 * reads them → compute → rectify → masked values zeroed → reduce. Shapes stay static.
 */
export const run = (p: Plan, inputs: Inputs<string, string>, stage: Stage): LossResult => {
  checkInputs(p, inputs);
  return tf.tidy(() => {
    const env = new Map<string, tf.Tensor>();
    for (const k of [...p.required, ...p.optional]) if (inputs[k]) env.set(k, inputs[k]!);
    const empty = emptyBatch(p, env);
    if (empty) return results(p, empty, stage);
    const fused = activeFused(p);
    // the non-finite rule on the tfjs-ops path: a non-finite loss gives an all-NaN gradient (the kernels do it from their value)
    const guard: NaNGuard | null = !fused && recordingGradients() ? {} : null;
    if (guard) for (const k of p.differentiable) if (env.has(k)) env.set(k, guardInput(env.get(k)!, guard));
    for (const t of fused?.consumesLastTransform ? p.transforms.slice(0, -1) : p.transforms)
      env.set(
        t.as,
        t.apply(
          env.get(t.of)!,
          t.with?.map((k) => env.get(k)),
        ),
      );

    const loss = fused ? fused.run(env) : guard ? (markLoss(reference(p, env), guard) as tf.Scalar) : reference(p, env);
    reportOutsideDomain(p, loss);
    return results(p, loss, stage);
  });
};

const results = (p: Plan, loss: tf.Scalar, stage: Stage) => {
  const weight = tf.scalar(p.weight);
  const weighted = loss.mul(weight) as tf.Scalar;
  const s = stageName(stage);
  return {
    loss,
    weight,
    weighted,
    logs: [
      { name: `${s}_${p.name}_loss`, value: loss },
      { name: `${p.name}_weight`, value: weight },
    ],
  };
};

/**
 * D1 for a batch of 0 frames: nothing to reduce, so the loss is exactly 0 and its gradient
 * w.r.t. every prediction input is zeros (of that input's empty shape); null when no input is empty.
 */
const emptyBatch = (p: Plan, env: ReadonlyMap<string, tf.Tensor>): tf.Scalar | null => {
  if (![...env.values()].some((x) => x.shape[0] === 0)) return null;
  const read = [...env].filter(([k]) => p.differentiable.has(k)).map(([, x]) => x.sum().mul(0) as tf.Scalar);
  return read.length ? (tf.addN(read) as tf.Scalar) : tf.scalar(0);
};

/** Plans (built losses) already warned that their loss was NaN: once each. */
const warnedNaN = new WeakSet<Plan>();

/**
 * A compute that declares what its inputs must hold (logs of maps: non-negative, finite) says
 * so once when its loss comes out NaN, on either path. The scalar is read asynchronously (a
 * 4-byte read on cpu/wasm, no stall on a GPU backend), and no more after the warning.
 */
const reportOutsideDomain = (p: Plan, loss: tf.Scalar): void => {
  const { domain } = p.compute;
  if (!domain || warnedNaN.has(p)) return;
  const preds = p.compute.of.filter((_, i) => p.compute.roles[i] === 'prediction');
  loss.data().then(
    (v) => {
      if (!Number.isNaN(v[0]) || warnedNaN.has(p)) return;
      warnedNaN.add(p);
      console.warn(`poseloss: ${p.name} is NaN: ${p.compute.name} needs ${preds.join(', ')} to hold ${domain} (this warning is shown once)`);
    },
    () => undefined,
  );
};

/** The tfjs-ops interpretation of a plan (differentiable by autodiff); fused kernels are checked against it. */
const reference = (p: Plan, env: ReadonlyMap<string, tf.Tensor>): tf.Scalar => {
  const { layout } = p.compute;
  const drops: tf.Tensor[] = [];
  const zeros: tf.Tensor[] = [];
  for (const m of p.masks) {
    const x = env.get(m.of);
    if (!x) continue;
    const w = m.weight(x);
    const kind = p.kinds[m.of];
    const lifted = m.level === 'element' && layout.elementwise ? w : layout.liftKeypoint(m.level === 'element' ? layout.elementToKeypoint(w, kind) : w, kind);
    (m.mode === 'drop' ? drops : zeros).push(lifted);
  }
  const drop = product(drops);
  const valid = product(drop && zeros.length ? [drop, ...zeros] : drops.length ? drops : zeros);

  const xs = p.compute.of.map((k) => {
    const x = env.get(k)!;
    if (!valid) return x;
    const used = layout.feeds(valid, p.kinds[k], x.shape);
    return keepValid(used, x);
  });
  let v = p.compute.apply(xs);
  for (const r of p.rectify) {
    const eps = typeof r.epsilon === 'number' ? tf.scalar(r.epsilon) : layout.keypointVector(tf.tensor1d([...r.epsilon]));
    v = reluKeepNaN(v.sub(eps));
  }
  if (valid) v = keepValid(valid, v);
  const count = drop && drop.size > 0 ? safeSum(drop).mul(v.size / drop.size) : tf.scalar(drop ? 0 : v.size);
  return p.reduce.reduce(v, count) as tf.Scalar;
};

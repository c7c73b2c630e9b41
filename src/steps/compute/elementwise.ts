import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type * as t from 'io-ts';
import { positive } from '../../config/codecs.js';
import { elementwiseLayout } from '../../pipeline/layout.js';
import type { BuiltCompute, Kinks, StepDef } from '../../pipeline/step.js';
import { Of, resolveKeys, sameShapes, stepCodec } from '../common.js';
import { num, pairCases, plain } from '../reference.js';

type Params<P extends t.Props> = t.TypeOf<t.TypeC<P>>;

/** One member of the family: its formula on d = target − prediction, as tfjs ops and in plain JS (with its branch point). */
interface Formula<P extends t.Props> {
  readonly ops: (d: tf.Tensor, p: Params<P>) => tf.Tensor;
  readonly plain: (d: number, p: Params<P>) => { v: number; kink?: readonly [number, number] };
}

/**
 * Elementwise distances between a target and a prediction of the same shape. One builder
 * for the family; each member is its formula on the difference d = target − prediction.
 */
const elementwise = <P extends t.Props>(name: string, doc: string, props: P, defaults: { [K in keyof P]?: t.TypeOf<P[K]> }, f: Formula<P>) => {
  const codec = stepCodec('compute', name, { of: Of, ...props }, defaults as never);
  const def: StepDef<t.TypeOf<typeof codec>> = {
    phase: 'compute',
    name,
    doc,
    codec,
    build: (p, ctx) =>
      either.map(
        (of: string[]): BuiltCompute => ({
          phase: 'compute',
          name,
          of,
          roles: ['target', 'prediction'],
          layout: elementwiseLayout(ctx.kinds[of[0]]),
          check: sameShapes(name, of),
          fusion: { op: name, params: Object.fromEntries(Object.entries(p).filter((e): e is [string, number] => typeof e[1] === 'number')) },
          apply: ([targ, pred]) => f.ops(targ.sub(pred), p as Params<P>),
        }),
      )(resolveKeys(p.of, ctx, name, 2, ['flat', 'points', 'heatmaps'])),
    reference: {
      phase: 'compute',
      cases: (fc, opts) =>
        pairCases(fc, name, ['flat', 'points', 'heatmaps'], fc.record(Object.fromEntries(Object.keys(props).map((k) => [k, num(fc, 0.25, 4)]))), opts),
      values: (p, [targ, pred]) => {
        const kinks: Kinks = [];
        const out = Float64Array.from(targ.data, (tv, i) => {
          const r = f.plain(tv - pred.data[i], p as Params<P>);
          if (r.kink) kinks.push(r.kink);
          return r.v;
        });
        return { out: plain(targ.shape, out), kinks };
      },
    },
  };
  return def;
};

export const squaredError = elementwise('squared_error', '(t − p)² per element', {}, {}, { ops: (d) => d.square(), plain: (d) => ({ v: d * d }) });

export const absoluteError = elementwise(
  'absolute_error',
  '|t − p| per element',
  {},
  {},
  { ops: (d) => d.abs(), plain: (d) => ({ v: Math.abs(d), kink: [Math.abs(d), 0] }) },
);

/** Huber: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond. */
export const huber = elementwise(
  'huber',
  'Huber loss with threshold `delta` (default 1)',
  { delta: positive },
  { delta: 1 },
  {
    ops: (d, { delta }) => {
      const a = d.abs();
      return tf.where(a.lessEqual(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta));
    },
    plain: (d, { delta }) => {
      const a = Math.abs(d);
      return { v: a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta), kink: [a, delta] };
    },
  },
);

/** Smooth L1: ½d²/β for |d| < β, |d| − ½β beyond. */
export const smoothL1 = elementwise(
  'smooth_l1',
  'smooth L1 with threshold `beta` (default 1)',
  { beta: positive },
  { beta: 1 },
  {
    ops: (d, { beta }) => {
      const a = d.abs();
      return tf.where(a.less(beta), d.square().mul(0.5 / beta), a.sub(0.5 * beta));
    },
    plain: (d, { beta }) => {
      const a = Math.abs(d);
      return { v: a < beta ? (0.5 * d * d) / beta : a - 0.5 * beta, kink: [a, beta] };
    },
  },
);

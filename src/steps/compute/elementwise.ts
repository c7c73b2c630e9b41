import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { either } from 'fp-ts';
import type { BuiltCompute, StepDef } from '../../pipeline/step.js';
import { elementwiseLayout } from '../../pipeline/layout.js';
import { positive } from '../../config/codecs.js';
import { Of, stepCodec, resolveKeys, sameShapes } from '../common.js';

/**
 * Elementwise distances between a target and a prediction of the same shape. One builder
 * for the family; each member is its formula on the difference d = target − prediction.
 */
const elementwise = <P extends t.Props>(
  name: string,
  doc: string,
  props: P,
  defaults: { [K in keyof P]?: t.TypeOf<P[K]> },
  formula: (d: tf.Tensor, p: t.TypeOf<t.TypeC<P>>) => tf.Tensor,
): StepDef => ({
  phase: 'compute',
  name,
  doc,
  codec: stepCodec('compute', name, { of: Of, ...props }, defaults as never),
  build: (p, ctx) =>
    either.map(
      (of: string[]): BuiltCompute => ({
        phase: 'compute',
        name,
        of,
        roles: ['target', 'prediction'],
        layout: elementwiseLayout(ctx.kinds[of[0]]),
        check: sameShapes(name, of),
        fusion: { op: name, params: Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v === 'number')) as Record<string, number> },
        apply: ([targ, pred]) => formula(targ.sub(pred), p),
      }),
    )(resolveKeys(p.of, ctx, name, 2, ['flat', 'points', 'heatmaps'])),
});

export const squaredError = elementwise('squared_error', '(t − p)² per element', {}, {}, (d) => d.square());

export const absoluteError = elementwise('absolute_error', '|t − p| per element', {}, {}, (d) => d.abs());

/** Huber: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond. */
export const huber = elementwise('huber', 'Huber loss with threshold `delta` (default 1)', { delta: positive }, { delta: 1 }, (d, p) => {
  const a = d.abs();
  const delta = p.delta as number;
  return tf.where(a.lessEqual(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta));
});

/** Smooth L1: ½d²/β for |d| < β, |d| − ½β beyond. */
export const smoothL1 = elementwise('smooth_l1', 'smooth L1 with threshold `beta` (default 1)', { beta: positive }, { beta: 1 }, (d, p) => {
  const a = d.abs();
  const beta = p.beta as number;
  return tf.where(a.less(beta), d.square().mul(0.5 / beta), a.sub(0.5 * beta));
});

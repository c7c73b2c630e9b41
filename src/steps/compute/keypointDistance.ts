import type * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type * as t from 'io-ts';
import { safeNorm } from '../../ops/safeNorm.js';
import { type KeyKind, unpackedShape } from '../../pipeline/keys.js';
import { keypointLayout } from '../../pipeline/layout.js';
import type { BuiltCompute, Kinks, StepDef } from '../../pipeline/step.js';
import { Of, resolveKeys, sameShapes, stepCodec } from '../common.js';
import { pairCases, tabulate } from '../reference.js';

/** The difference as (..., K, C): flat (B, 2K) tensors become (B, K, 2). */
const asPoints = (d: tf.Tensor, kind: KeyKind): tf.Tensor => d.reshape(unpackedShape(kind, d.shape));

const distance = (name: string, doc: string, scale: (coords: number) => number) => {
  const codec = stepCodec('compute', name, { of: Of });
  const def: StepDef<t.TypeOf<typeof codec>> = {
    phase: 'compute',
    name,
    doc,
    codec,
    build: (p: t.TypeOf<typeof codec>, ctx) =>
      either.map((of: string[]): BuiltCompute => {
        const kind = ctx.kinds[of[0]];
        return {
          phase: 'compute',
          name,
          of,
          roles: ['target', 'prediction'],
          fusion: { op: name, params: {} },
          layout: keypointLayout(kind),
          check: sameShapes(name, of),
          apply: ([targ, pred]) => {
            const d = asPoints(targ.sub(pred), kind);
            const n = safeNorm(d, -1);
            const s = scale(d.shape[d.rank - 1]);
            return s === 1 ? n : n.mul(s);
          },
        };
      })(resolveKeys(p.of as string | string[], ctx, name, 2, ['flat', 'points'])),
    reference: {
      phase: 'compute',
      cases: (fc, opts) => pairCases(fc, name, ['flat', 'points'], fc.constant({}), opts),
      // flat (B, 2K) as (B, K, 2); points (..., K, C) as they are
      values: (_p, [targ, pred]) => {
        const c = targ.shape.length === 2 ? 2 : targ.shape[targ.shape.length - 1];
        const grid = targ.shape.length === 2 ? [targ.shape[0], targ.shape[1] / 2] : targ.shape.slice(0, -1);
        const kinks: Kinks = [];
        const out = tabulate(grid, (g) => {
          let s = 0;
          for (let j = 0; j < c; j++) s += (targ.data[g * c + j] - pred.data[g * c + j]) ** 2;
          kinks.push([Math.sqrt(s), 0]);
          return Math.sqrt(s) * scale(c);
        });
        return { out, kinks };
      },
    },
  };
  return def;
};

/** ‖t − p‖ per keypoint (pixel error). */
export const euclidean = distance('euclidean', 'Euclidean distance per keypoint', () => 1);

/** sqrt(mean over coordinates of d²) per keypoint = ‖d‖/√C: the reference rmse's per-keypoint value. */
export const rmsError = distance('rms_error', 'root mean square over a keypoint’s coordinates (‖d‖/√2 in 2-D)', (c) => 1 / Math.sqrt(c));

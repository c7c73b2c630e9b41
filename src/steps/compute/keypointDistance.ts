import * as t from 'io-ts';
import { either } from 'fp-ts';
import type * as tf from '@tensorflow/tfjs';
import type { BuiltCompute, StepDef } from '../../pipeline/step.js';
import { keypointLayout } from '../../pipeline/layout.js';
import type { KeyKind } from '../../pipeline/keys.js';
import { safeNorm } from '../../ops/safeNorm.js';
import { Of, stepCodec, resolveKeys, sameShapes } from '../common.js';
import { toPairs } from '../../ops/pairs.js';

/** The difference as (..., K, C): flat (B, 2K) tensors become (B, K, 2). */
const asPoints = (d: tf.Tensor, kind: KeyKind): tf.Tensor => (kind === 'flat' ? toPairs(d) : d);

const distance = (name: string, doc: string, scale: (coords: number) => number): StepDef => {
  const codec = stepCodec('compute', name, { of: Of });
  return {
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
  };
};

/** ‖t − p‖ per keypoint (pixel error). */
export const euclidean = distance('euclidean', 'Euclidean distance per keypoint', () => 1);

/** sqrt(mean over coordinates of d²) per keypoint = ‖d‖/√C: the reference rmse's per-keypoint value. */
export const rmsError = distance('rms_error', 'root mean square over a keypoint’s coordinates (‖d‖/√2 in 2-D)', (c) => 1 / Math.sqrt(c));

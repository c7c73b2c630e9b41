import { either } from 'fp-ts';
import type * as t from 'io-ts';
import { shapeStr } from '../../config/issues.js';
import { safeNorm } from '../../ops/safeNorm.js';
import { pointPairsLayout } from '../../pipeline/layout.js';
import type { BuiltCompute, Kinks, StepDef } from '../../pipeline/step.js';
import { Of, resolveKeys, stepCodec } from '../common.js';
import { casesOf, tabulate } from '../reference.js';

const codec = stepCodec('compute', 'euclidean_3d', { of: Of }, { of: ['keypoints_targ_3d', 'keypoints_pred_3d'] });

/** ‖target[b,k] − pred[b,p,k]‖ for every camera pair p: (B, K, 3) vs (B, P, K, 3) → (B, P, K). */
export const euclidean3d: StepDef<t.TypeOf<typeof codec>> = {
  phase: 'compute',
  name: 'euclidean_3d',
  doc: '3-D distance between the target and each camera pair’s triangulated prediction',
  codec,
  build: (p, ctx) =>
    either.map(
      (of: string[]): BuiltCompute => ({
        phase: 'compute',
        name: 'euclidean_3d',
        of,
        roles: ['target', 'prediction'],
        fusion: { op: 'euclidean_3d', params: {} },
        layout: pointPairsLayout,
        check: ([ts, ps]) =>
          ts.length === 3 && ps.length === 4 && ts[0] === ps[0] && ts[1] === ps[2] && ts[2] === ps[3]
            ? null
            : `${of[1]} ${shapeStr(ps)} vs ${of[0]} ${shapeStr(ts)}: euclidean_3d needs (B, P, K, C) vs (B, K, C)`,
        apply: ([targ, pred]) => safeNorm(targ.expandDims(1).sub(pred), -1),
      }),
    )(resolveKeys(p.of, ctx, 'euclidean_3d', 2, ['points'])),
  reference: {
    phase: 'compute',
    cases: (fc, opts = {}) => casesOf(fc, opts, fc.constant(opts.spec ?? { compute: 'euclidean_3d', of: ['keypoints_targ_3d', 'keypoints_pred_3d'] })),
    values: (_p, [targ, pred]) => {
      const [b, q, k, c] = pred.shape;
      const kinks: Kinks = [];
      const out = tabulate([b, q, k], (i) => {
        const [bi, ki] = [Math.floor(i / (q * k)), i % k];
        let s = 0;
        for (let j = 0; j < c; j++) s += (targ.data[(bi * k + ki) * c + j] - pred.data[i * c + j]) ** 2;
        kinks.push([Math.sqrt(s), 0]);
        return Math.sqrt(s);
      });
      return { out, kinks };
    },
  },
};

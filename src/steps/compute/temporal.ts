import type * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import type * as t from 'io-ts';
import { blockSum } from '../../ops/blockSum.js';
import { KL_OFFSET, klPerMap, LOG_DOMAIN } from '../../ops/kl.js';
import { toPairs } from '../../ops/pairs.js';
import { safeNorm } from '../../ops/safeNorm.js';
import { gridShape, type KeyKind } from '../../pipeline/keys.js';
import { framePairs, pairLayout } from '../../pipeline/layout.js';
import type { BuiltCompute, Kinks, StepDef } from '../../pipeline/step.js';
import { Of, resolveKeys, stepCodec } from '../common.js';
import { casesOf, keysOf, klMap, specArb, tabulate } from '../reference.js';

/** Plain-JS value of frame pair (t, t+1) of keypoint k from the rows of its frames, with branch points. */
type PlainPair = (now: ArrayLike<number>, next: ArrayLike<number>) => { v: number; kinks: Kinks };

/** A compute over consecutive frames (t, t+1) of one prediction: output (B−1, K), vectorised over t. */
const temporalStep = (name: string, doc: string, kind: KeyKind, formula: (now: tf.Tensor, next: tf.Tensor) => tf.Tensor, pair: PlainPair, domain?: string) => {
  const codec = stepCodec('compute', name, { of: Of }, { of: kind === 'flat' ? 'keypoints_pred' : 'heatmaps_pred' });
  const def: StepDef<t.TypeOf<typeof codec>> = {
    phase: 'compute',
    name,
    doc,
    codec,
    build: (p: t.TypeOf<typeof codec>, ctx) =>
      either.map(
        (of: string[]): BuiltCompute => ({
          phase: 'compute',
          name,
          of,
          roles: ['prediction'],
          fusion: { op: name, params: {} },
          layout: pairLayout(kind),
          check: () => null,
          apply: ([x]) => {
            const [now, next] = framePairs(x);
            return formula(now, next);
          },
          domain,
        }),
      )(resolveKeys(p.of as string | string[], ctx, name, 1, [kind])),
    reference: {
      phase: 'compute',
      cases: (fc, opts = {}) =>
        casesOf(
          fc,
          opts,
          specArb(
            fc,
            opts,
            fc.constantFrom(...keysOf([kind], true)).map((k) => [k]),
            ([of]) => fc.constant({ compute: name, of }),
          ),
        ),
      // a keypoint's row: its (x, y) for flat keys, its map for heatmaps
      values: (_p, [x]) => {
        const [b, k] = gridShape(kind, x.shape);
        const n = x.data.length / (b * k);
        const row = (f: number, j: number) => Array.prototype.slice.call(x.data, (f * k + j) * n, (f * k + j + 1) * n) as number[];
        const kinks: Kinks = [];
        const out = tabulate([Math.max(b - 1, 0), k], (i) => {
          const [f, j] = [Math.floor(i / k), i % k];
          const r = pair(row(f, j), row(f + 1, j));
          kinks.push(...r.kinks);
          return r.v;
        });
        return { out, kinks };
      },
    },
  };
  return def;
};

/** ‖x[t+1,k] − x[t,k]‖ per keypoint. */
export const temporalNorm = temporalStep(
  'temporal_norm',
  'distance moved by each keypoint between frames t and t+1',
  'flat',
  (now, next) => {
    const d = next.sub(now);
    return safeNorm(toPairs(d), -1);
  },
  (now, next) => {
    const v = Math.hypot(next[0] - now[0], next[1] - now[1]);
    return { v, kinks: [[v, 0]] };
  },
);

/** Per-pixel mean of (p[t] − p[t+1])² per map (no ×H·W, as the reference). */
export const temporalHeatmapMse = temporalStep(
  'temporal_heatmap_mse',
  'mean over pixels of the squared change of each map between frames',
  'heatmaps',
  (now, next) => blockSum(now.sub(next).square(), 2).div(now.shape[now.rank - 2]! * now.shape[now.rank - 1]!),
  (now, next) => {
    let s = 0;
    for (let i = 0; i < now.length; i++) s += (now[i] - next[i]) ** 2;
    return { v: s / now.length, kinks: [] };
  },
);

/** KL(p[t+1] + 1e-10 ‖ p[t] + 1e-10) per map. */
export const temporalHeatmapKl = temporalStep(
  'temporal_heatmap_kl',
  'KL(map at t+1 ‖ map at t) per keypoint',
  'heatmaps',
  (now, next) => klPerMap(next.add(KL_OFFSET), now.add(KL_OFFSET)),
  (now, next) => ({
    v: klMap(next, now),
    kinks: [...Array.from(now, (v): [number, number] => [v, 0]), ...Array.from(next, (v): [number, number] => [v, 0])],
  }),
  LOG_DOMAIN,
);

/**
 * The MMPose catalogue (examples/losses/mmpose) on random inputs: each composed loss against
 * an independent float64 restatement of MMPose's formula (../shared/golden/mmpose/README.md),
 * for random B, K, map sizes and every weight mode; zero weights give zero gradients; a NaN
 * label of weight 0 stays out of values and gradients when the formula reads it through
 * `where(isnan(t), 0, t)`; no loss leaks a tensor.
 */

import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { parseYaml, readYaml } from '../../src/config/yaml.js';
import { checkConfig } from '../../src/lp/check.js';
import type { Loss } from '../../src/pipeline/loss.js';
import { PROJECT_ROOT } from '../../src/verify/configCase.js';

const fromConfig = (raw: unknown, name: string): Loss<string> => {
  const r = checkConfig(raw);
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right.losses.find((l) => l.record.name === name)!.loss as Loss<string>;
};
const catalogue = (name: string): Loss<string> => {
  const raw = readYaml(path.join(PROJECT_ROOT, 'examples', 'losses', 'mmpose', `${name}.yaml`));
  if (either.isLeft(raw)) throw new Error(formatIssues(raw.left));
  return fromConfig(raw.right, name);
};

type Batch = { B: number; K: number; p: number[]; t: number[]; w: number[]; area: number[] };
type Maps = { B: number; K: number; H: number; W: number; P: number[]; T: number[]; w: number[] };

const f32 = (x: number) => Math.fround(x);
/** Weight modes of the vectors: {0, 0.5, 1}, {0, 1}, all 1, uniform in [0, 1]. */
const weights = (n: number) =>
  fc.oneof(
    fc.array(fc.constantFrom(0, 0.5, 1), { minLength: n, maxLength: n }),
    fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }),
    fc.constant(Array(n).fill(1)),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }).map(f32), { minLength: n, maxLength: n }),
  );
const coords = (n: number, lo: number, hi: number) => fc.array(fc.double({ min: lo, max: hi, noNaN: true }).map(f32), { minLength: n, maxLength: n });

const keypointBatch = (k?: number): fc.Arbitrary<Batch> =>
  fc.record({ B: fc.integer({ min: 1, max: 4 }), K: k ? fc.constant(k) : fc.integer({ min: 2, max: 9 }) }).chain(({ B, K }) =>
    fc.record({
      B: fc.constant(B),
      K: fc.constant(K),
      p: coords(B * K * 2, 0, 256),
      t: coords(B * K * 2, 0, 256),
      w: weights(B * K),
      area: coords(B, 1600, 60000),
    }),
  );

const mapBatch: fc.Arbitrary<Maps> = fc
  .record({ B: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 4, max: 8 }), H: fc.integer({ min: 2, max: 5 }), W: fc.integer({ min: 2, max: 5 }) })
  .chain(({ B, K, H, W }) =>
    fc.record({
      B: fc.constant(B),
      K: fc.constant(K),
      H: fc.constant(H),
      W: fc.constant(W),
      P: coords(B * K * H * W, 0, 1),
      // some all-zero target channels
      T: fc
        .tuple(coords(B * K * H * W, 0, 1), fc.array(fc.boolean(), { minLength: B * K, maxLength: B * K }))
        .map(([v, empty]) => v.map((x, i) => (empty[Math.floor(i / (H * W))] ? 0 : x))),
      w: weights(B * K),
    }),
  );

const kpInputs = (b: Batch) => ({
  keypoints_pred: tf.tensor2d(b.p, [b.B, 2 * b.K]),
  keypoints_targ: tf.tensor2d(b.t, [b.B, 2 * b.K]),
  keypoint_weights: tf.tensor2d(b.w, [b.B, b.K]),
  instance_areas: tf.tensor1d(b.area),
});
const mapInputs = (m: Maps) => ({
  heatmaps_pred: tf.tensor4d(m.P, [m.B, m.K, m.H, m.W]),
  heatmaps_targ: tf.tensor4d(m.T, [m.B, m.K, m.H, m.W]),
  keypoint_weights: tf.tensor2d(m.w, [m.B, m.K]),
});

const value = (loss: Loss<string>, inputs: Record<string, tf.Tensor>): number => {
  const r = loss(inputs, 'train');
  const v = r.loss.dataSync()[0];
  tf.dispose([r.loss, r.weight, r.weighted, ...r.logs.map((l) => l.value)]);
  return v;
};
const grad = (loss: Loss<string>, inputs: Record<string, tf.Tensor>, key: string): Float32Array =>
  tf.tidy(
    () =>
      tf
        .grad((x: tf.Tensor) => loss({ ...inputs, [key]: x }, 'train').loss)(inputs[key])
        .dataSync() as Float32Array,
  );

const closeTo = (got: number, want: number, what: string) =>
  expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-5 + 5e-4 * Math.abs(want));

// ---------------------------------------------------------------- float64 restatements

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Weighted residuals a_bkd = |w·p − w·t| (MMPose's heads weight both before the residual). */
const residuals = (b: Batch) => range(b.B * b.K * 2).map((i) => Math.abs(b.w[i >> 1] * b.p[i] - b.w[i >> 1] * b.t[i]));
const dist = (b: Batch, i: number) => Math.hypot(b.p[2 * i] - b.t[2 * i], b.p[2 * i + 1] - b.t[2 * i + 1]);

const REF_KP: Record<string, (b: Batch) => number> = {
  wing: (b) => {
    const C = 10 * (1 - Math.log(1 + 10 / 2));
    return sum(residuals(b).map((a) => (a < 10 ? 10 * Math.log(1 + a / 2) : a - C))) / b.B;
  },
  soft_wing: (b) => {
    const B0 = 2 - 20 * Math.log(1 + 2 / 0.5);
    return sum(residuals(b).map((a) => (a < 2 ? a : 20 * Math.log(1 + a / 0.5) + B0))) / b.B;
  },
  smooth_l1: (b) => sum(residuals(b).map((a) => (a < 1 ? 0.5 * a * a : a - 0.5))) / (2 * b.B * b.K),
  l1: (b) => sum(residuals(b)) / (2 * b.B * b.K),
  mse: (b) => sum(residuals(b).map((a) => a * a)) / (2 * b.B * b.K),
  mpjpe: (b) => sum(range(b.B * b.K).map((i) => b.w[i] * dist(b, i))) / (b.B * b.K),
  oks: (b) => {
    const sig = [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.072, 0.062].map(f32);
    const o = range(b.B).map((n) =>
      sum(range(b.K).map((k) => (b.w[n * b.K + k] / b.K) * Math.exp(-((dist(b, n * b.K + k) / Math.sqrt(b.area[n]) / (2 * sig[k])) ** 2) / 2))),
    );
    return sum(o.map((x) => 1 - x)) / b.B;
  },
  bone: (b) => {
    const parents = [0, 0, 1, 1, 0, 4, 4, 0];
    const len = (xs: number[], n: number, j: number) =>
      Math.hypot(xs[2 * (n * 8 + j)] - xs[2 * (n * 8 + parents[j])], xs[2 * (n * 8 + j) + 1] - xs[2 * (n * 8 + parents[j]) + 1]);
    const bones = range(8).filter((j) => parents[j] !== j);
    return sum(bones.map((j) => Math.abs(sum(range(b.B).map((n) => b.w[n * 8 + j] * (len(b.p, n, j) - len(b.t, n, j)))) / b.B))) / bones.length;
  },
};

const REF_MAPS: Record<string, (m: Maps) => number> = {
  keypoint_mse: (m) => sum(m.P.map((p, i) => m.w[Math.floor(i / (m.H * m.W))] * (p - m.T[i]) ** 2)) / m.P.length,
  keypoint_mse_skip_empty: (m) => {
    const hw = m.H * m.W;
    const labeled = range(m.B * m.K).map((c) => (m.T.slice(c * hw, (c + 1) * hw).some((v) => v !== 0) ? 1 : 0));
    return sum(m.P.map((p, i) => m.w[Math.floor(i / hw)] * labeled[Math.floor(i / hw)] * (p - m.T[i]) ** 2)) / m.P.length;
  },
  ohkm_mse: (m) => {
    const hw = m.H * m.W;
    const per = range(m.B * m.K).map((c) => sum(range(hw).map((j) => (m.w[c] * m.P[c * hw + j] - m.w[c] * m.T[c * hw + j]) ** 2)) / hw);
    return (
      sum(
        range(m.B).map(
          (n) =>
            sum(
              per
                .slice(n * m.K, (n + 1) * m.K)
                .sort((a, b) => b - a)
                .slice(0, 4),
            ) / 4,
        ),
      ) / m.B
    );
  },
  adaptive_wing: (m) => {
    const [alpha, omega, eps, theta] = [2.1, 14, 1, 0.5];
    const hw = m.H * m.W;
    return (
      sum(
        m.P.map((p, i) => {
          const w = m.w[Math.floor(i / hw)];
          const y = w * m.T[i];
          const d = Math.abs(y - w * p);
          const e = alpha - y;
          const r = theta / eps;
          const A = omega * (1 / (1 + r ** e)) * e * r ** (e - 1) * (1 / eps);
          const C = theta * A - omega * Math.log(1 + r ** e);
          return d < theta ? omega * Math.log(1 + (d / eps) ** e) : A * d - C;
        }),
      ) / m.P.length
    );
  },
};

describe('the MMPose catalogue against float64 restatements, on random inputs', () => {
  for (const [name, ref] of Object.entries(REF_KP))
    it(name, () => {
      const loss = catalogue(name);
      fc.assert(
        fc.property(keypointBatch(name === 'oks' || name === 'bone' ? 8 : undefined), (b) => {
          const ins = kpInputs(b);
          try {
            closeTo(value(loss, ins), ref(b), name);
          } finally {
            tf.dispose(Object.values(ins));
          }
        }),
        { numRuns: 25 },
      );
    });
  for (const [name, ref] of Object.entries(REF_MAPS))
    it(name, () => {
      const loss = catalogue(name);
      fc.assert(
        fc.property(mapBatch, (m) => {
          const ins = mapInputs(m);
          try {
            closeTo(value(loss, ins), ref(m), name);
          } finally {
            tf.dispose(Object.values(ins));
          }
        }),
        { numRuns: 25 },
      );
    });
});

describe('weights and gradients', () => {
  it('a keypoint of weight 0 gets exactly zero gradient (its residual is an exact 0: abs, norm and sqrt have derivative 0 there)', () => {
    for (const name of ['wing', 'soft_wing', 'smooth_l1', 'l1', 'mse', 'mpjpe', 'oks']) {
      const loss = catalogue(name);
      fc.assert(
        fc.property(keypointBatch(8), fc.nat(), (b, at) => {
          const i = at % (b.B * b.K);
          const w = [...b.w];
          w[i] = 0;
          const ins = kpInputs({ ...b, w });
          try {
            const g = grad(loss, ins, 'keypoints_pred');
            expect([g[2 * i], g[2 * i + 1]].map(Math.abs), name).toEqual([0, 0]);
            expect(g.every(Number.isFinite), name).toBe(true);
          } finally {
            tf.dispose(Object.values(ins));
          }
        }),
        { numRuns: 10 },
      );
    }
  });

  it('a NaN label of weight 0: NaN in MMPose’s formula, finite and without gradient when read through where(isnan(t), 0, t)', () => {
    const yaml = (target: string) => `
model: { losses_to_use: [wing] }
losses:
  wing:
    factory: supervised
    pipeline:
      - compute: expr
        inputs: { p: keypoints_pred, t: keypoints_targ, w: keypoint_weights }
        let: { omega: 10, epsilon: 2, C: omega * (1 - log(1 + omega / epsilon)), label: "${target}", a: abs(w * label - w * p) }
        value: sum(where(a < omega, omega * log(1 + a / epsilon), a - C), keypoints, coords)
      - { reduce: mean }
`;
    const load = (target: string) => fromConfig((parseYaml(yaml(target), 'x.yaml') as { right: unknown }).right, 'wing');
    const [plain, safe] = [load('t'), load('where(isnan(t), 0, t)')];
    fc.assert(
      fc.property(keypointBatch(), fc.nat(), (b, at) => {
        const i = at % (b.B * b.K);
        const w = [...b.w];
        w[i] = 0;
        const t = [...b.t];
        t[2 * i] = NaN;
        const ins = kpInputs({ ...b, w, t });
        const clean = kpInputs({ ...b, w, t: b.t.map((v, j) => (j === 2 * i ? 0 : v)) });
        try {
          expect(value(plain, ins)).toBeNaN();
          expect(value(safe, ins)).toBe(value(safe, clean));
          const g = grad(safe, ins, 'keypoints_pred');
          expect(g.every(Number.isFinite)).toBe(true);
          expect([g[2 * i], g[2 * i + 1]].map(Math.abs)).toEqual([0, 0]);
        } finally {
          tf.dispose([...Object.values(ins), ...Object.values(clean)]);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('lengths fixed by constants are checked against the inputs when the loss is called', () => {
    const oks = catalogue('oks');
    const ins = kpInputs({ B: 1, K: 17, p: Array(34).fill(1), t: Array(34).fill(2), w: Array(17).fill(1), area: [900] });
    try {
      expect(() => value(oks, ins)).toThrow(/^oks: expr: '.*sigma.*' needs 8 entries along 'keypoints', but keypoint_weights \(1,17\) has 17$/);
    } finally {
      tf.dispose(Object.values(ins));
    }
  });
});

describe('memory', () => {
  it('no catalogue loss leaks a tensor (value and gradients)', () => {
    const b: Batch = {
      B: 2,
      K: 8,
      p: range(32).map((i) => 10 + i),
      t: range(32).map((i) => 12 + 0.5 * i),
      w: range(16).map((i) => (i % 3) / 2),
      area: [900, 2500],
    };
    const m: Maps = {
      B: 2,
      K: 5,
      H: 3,
      W: 4,
      P: range(120).map((i) => (i % 7) / 7),
      T: range(120).map((i) => (i % 5) / 5),
      w: range(10).map((i) => (i % 3) / 2),
    };
    for (const name of [...Object.keys(REF_KP), ...Object.keys(REF_MAPS)]) {
      const loss = catalogue(name);
      const isMap = name in REF_MAPS;
      const ins = isMap ? mapInputs(m) : kpInputs(b);
      const key = isMap ? 'heatmaps_pred' : 'keypoints_pred';
      value(loss, ins);
      grad(loss, ins, key);
      const before = tf.memory().numTensors;
      value(loss, ins);
      grad(loss, ins, key);
      expect(tf.memory().numTensors - before, name).toBe(0);
      tf.dispose(Object.values(ins));
    }
  });
});

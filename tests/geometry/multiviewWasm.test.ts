import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multiviewLoss, reprojectViewsFused, rigOf, type Triangulation } from '../../src/kernels/multiview.js';
import * as js from '../../src/kernels/multiviewJs.js';
import { runs } from '../property/arbitraries.js';
import { pointArb, rigArb } from './rig.js';

/**
 * The wasm `multiview` kernel against the float64 JavaScript kernel it replaces (kept only for
 * this comparison): reprojections and the transform's vector–Jacobian product bit for bit (same
 * float64 operations in the same order, rounded to float32 once), the loss and its gradient to
 * float32 rounding (the loss sums its terms in another order and scales the gradient last).
 */

const caseArb = rigArb({ minV: 2, maxV: 5 }).chain((cams) =>
  fc.record({ B: fc.integer({ min: 1, max: 4 }), K: fc.integer({ min: 1, max: 5 }) }).chain(({ B, K }) => {
    const n = B * cams.length * K;
    return fc.record({
      cams: fc.constant(cams),
      B: fc.constant(B),
      K: fc.constant(K),
      points: fc.array(pointArb, { minLength: B * K, maxLength: B * K }),
      noise: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 2 * n, maxLength: 2 * n }),
      missing: fc.array(
        fc.integer({ min: 0, max: 5 }).map((d) => d === 0),
        { minLength: n, maxLength: n },
      ),
      conf: fc.array(fc.oneof(fc.constant(0.01), fc.constant(NaN), fc.double({ min: 0.2, max: 1, noNaN: true })), { minLength: n, maxLength: n }),
      dy: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 2 * n, maxLength: 2 * n }),
      below: fc.constantFrom(0, 0.05, 0.3),
      epsilon: fc.option(fc.double({ min: 0, max: 3, noNaN: true })),
      sum: fc.boolean(),
      masks: fc.integer({ min: 0, max: 2 }),
      triangulation: fc.constantFrom<Triangulation>('dlt', 'pairwise_median'),
    });
  }),
);

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** (B, V, K, 2) pixels: the points seen by every camera, plus noise, NaN where missing. */
const pixels = (c: Case): Float32Array => {
  const V = c.cams.length;
  const rig = rigOf(c.cams);
  const out = new Float32Array(c.B * V * c.K * 2);
  for (let b = 0; b < c.B; b++)
    for (let v = 0; v < V; v++)
      for (let k = 0; k < c.K; k++) {
        const e = (b * V + v) * c.K + k;
        const [X0, X1, X2] = c.points[b * c.K + k];
        const o = v * 21;
        const R = rig.cam.subarray(o + 9, o + 18);
        const xc = [0, 1, 2].map((r) => R[3 * r] * X0 + R[3 * r + 1] * X1 + R[3 * r + 2] * X2 + rig.cam[o + 18 + r]);
        out[2 * e] = c.missing[e] ? NaN : rig.cam[o] * (xc[0] / xc[2]) + rig.cam[o + 2] + c.noise[2 * e];
        out[2 * e + 1] = rig.cam[o + 1] * (xc[1] / xc[2]) + rig.cam[o + 3] + c.noise[2 * e + 1];
      }
  return out;
};

const sameBits = (a: Float32Array, b: Float32Array, what: string) => {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${what}[${i}]: wasm ${a[i]}, JavaScript ${b[i]}`);
};

const compare = (c: Case) => {
  const V = c.cams.length;
  const rig = rigOf(c.cams);
  const shape = [c.B, V, c.K, 2];
  const data = pixels(c);
  const confData = Float32Array.from(c.conf);
  const pts = tf.tensor(data, shape, 'float32');
  const conf = tf.tensor(confData, [c.B, V, c.K], 'float32');
  const dy = Float32Array.from(c.dy);
  try {
    // the transform: forward and vector–Jacobian product
    const below = Math.fround(c.below);
    const cJs = below > 0 ? confData : null;
    const fwd = reprojectViewsFused(rig, c.triangulation, c.below);
    const [rep, g] = tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => fwd(x, conf).mul(tf.tensor(dy, shape)).sum())([pts]);
      const r = fwd(pts, conf).dataSync() as Float32Array;
      expect(Number.isNaN(value.dataSync()[0]) || Number.isFinite(value.dataSync()[0])).toBe(true);
      return [r.slice(), (grads[0].dataSync() as Float32Array).slice()];
    });
    sameBits(rep, js.reprojectForward(rig, c.triangulation, data, cJs, below, c.B, c.K), 'reprojection');
    sameBits(g, js.reprojectBackward(rig, c.triangulation, data, cJs, below, c.B, c.K, dy), 'd/dpoints');
    // the loss
    const spec = {
      rig,
      triangulation: c.triangulation,
      below: c.below,
      confMasks: Array.from({ length: c.masks }, (_, i) => ({ below: 0.1 * (i + 1) })),
      dropNaNPred: true,
      dropNaNReprojected: c.masks !== 1,
      epsilon: c.epsilon === null ? null : Float64Array.from({ length: c.K }, (_, k) => Math.fround((c.epsilon! * (k + 1)) / c.K)),
      sum: c.sum,
    };
    const maskConfs = spec.confMasks.map((_, i) => (i === 0 ? conf : undefined));
    const run = (loss: typeof multiviewLoss) =>
      tf.tidy(() => {
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(spec, x, conf, maskConfs))(pts);
        return { value: value.dataSync()[0], grad: (grad.dataSync() as Float32Array).slice() };
      });
    const [a, b] = [run(multiviewLoss), run(js.multiviewLoss)];
    if (Number.isNaN(b.value)) expect(a.value).toBeNaN();
    else if (Math.abs(a.value - b.value) > 2e-7 * Math.abs(b.value)) expect.fail(`loss: wasm ${a.value}, JavaScript ${b.value}`);
    const scale = Math.max(1e-30, ...Array.from(b.grad, (x) => (Number.isFinite(x) ? Math.abs(x) : 0)));
    a.grad.forEach((x, i) => {
      const y = b.grad[i];
      if (Number.isNaN(y) ? !Number.isNaN(x) : Math.abs(x - y) > 1e-6 * scale) expect.fail(`loss d/dpoints[${i}]: wasm ${x}, JavaScript ${y}`);
    });
  } finally {
    tf.dispose([pts, conf]);
  }
};

describe('the wasm multiview kernel equals the float64 JavaScript kernel', () => {
  for (const backend of ['wasm', 'cpu'])
    it(`on the ${backend} backend (missing views, low / NaN confidences, both triangulations, ε, mean and sum)`, async () => {
      const before = tf.getBackend();
      await tf.setBackend(backend);
      try {
        fc.assert(fc.property(caseArb, compare), runs(60));
      } finally {
        await tf.setBackend(before);
      }
    });
});

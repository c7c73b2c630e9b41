/**
 * Losses composed in YAML equal the built-ins where they coincide — values and gradients,
 * on random inputs with NaNs — and a step registered from TypeScript (log_cosh, with its own
 * io-ts codec) works from YAML end to end. The guide's TypeScript example (fixtures/
 * unsupervisedStep.ts) runs here against plain-JS values.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { parseYaml, readYaml } from '../../src/config/yaml.js';
import { createLossOrThrow } from '../../src/losses/registry.js';
import { buildLossFactories } from '../../src/lp/factory.js';
import { type Loss, weightOf } from '../../src/pipeline/loss.js';
import { unsupervisedStep } from './fixtures/unsupervisedStep.js';
import { cli, expectClose, fixture, type PlainInputs, tensorsOf } from './helpers.js';

/** The unsupervised members of a YAML config, by name. */
const composedFrom = (yamlText: string): Record<string, Loss> => {
  const raw = parseYaml(yamlText, 'inline.yaml');
  if (either.isLeft(raw)) throw new Error(formatIssues(raw.left));
  const built = buildLossFactories(raw.right);
  if (either.isLeft(built)) throw new Error(formatIssues(built.left));
  return Object.fromEntries(built.right.unsupervised.members.map((m) => [m.name, m.loss]));
};

const fromFixture = (): Record<string, Loss> => {
  const raw = readYaml(fixture('builtin_as_steps.yaml'));
  if (either.isLeft(raw)) throw new Error(formatIssues(raw.left));
  const built = buildLossFactories(raw.right);
  if (either.isLeft(built)) throw new Error(formatIssues(built.left));
  return Object.fromEntries(built.right.unsupervised.members.map((m) => [m.name, m.loss]));
};

// ---------------------------------------------------------------------------------------
// Random inputs with NaNs

const f32 = (n: number, lo: number, hi: number) =>
  fc.float32Array({ minLength: n, maxLength: n, min: Math.fround(lo), max: Math.fround(hi), noNaN: true, noDefaultInfinity: true });
const flags = (n: number, rate: number) =>
  fc.array(
    fc.double({ min: 0, max: 1, noNaN: true }).map((u) => u < rate),
    { minLength: n, maxLength: n },
  );

const batchArb = fc.record({ B: fc.integer({ min: 1, max: 5 }), K: fc.integer({ min: 1, max: 5 }), H: fc.integer({ min: 2, max: 5 }) }).chain(({ B, K, H }) =>
  fc
    .record({
      targ: f32(B * 2 * K, -50, 50),
      targNaN: flags(B * 2 * K, 0.25),
      // a small offset keeps huber/temporal values away from nothing-to-compare zeros
      pred: f32(B * 2 * K, -50, 50),
      predNaN: flags(B * 2 * K, 0.08),
      conf: f32(B * K, 0, 1),
      hmT: f32(B * K * H * H, 0, 1),
      empty: flags(B * K, 0.3),
      hmP: f32(B * K * H * H, 0, 1),
    })
    .map(
      (r): PlainInputs => ({
        keypoints_targ: { shape: [B, 2 * K], data: r.targ.map((v, i) => (r.targNaN[i] ? NaN : v)) },
        keypoints_pred: { shape: [B, 2 * K], data: r.pred.map((v, i) => (r.predNaN[i] ? NaN : v)) },
        confidences: { shape: [B, K], data: r.conf },
        heatmaps_targ: { shape: [B, K, H, H], data: r.hmT.map((v, i) => (r.empty[Math.floor(i / (H * H))] ? 0 : v)) },
        heatmaps_pred: { shape: [B, K, H, H], data: r.hmP },
      }),
    ),
);

/** Loss value and gradients w.r.t. its prediction keys, read out; every tensor disposed. */
const run = (loss: Loss, inputs: PlainInputs) => {
  const ts = tensorsOf(inputs);
  try {
    const r = loss(ts, 'train');
    const value = r.loss.dataSync()[0];
    tf.dispose([r.loss, r.weight, r.weighted]);
    const keys = loss.predictions.filter((k) => k in ts);
    const gs = tf.grads((...xs: tf.Tensor[]) => loss({ ...ts, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]])) }, 'train').loss)(keys.map((k) => ts[k]));
    const grads = Object.fromEntries(keys.map((k, i) => [k, Float32Array.from(gs[i].dataSync())]));
    tf.dispose(gs);
    return { value, grads };
  } finally {
    tf.dispose(Object.values(ts));
  }
};

/** Same number, NaN included (0 and −0 are the same). */
const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

const expectSame = (composed: Loss, builtin: Loss, inputs: PlainInputs) => {
  const c = run(composed, inputs);
  const b = run(builtin, inputs);
  expect(same(c.value, b.value), `value: composed ${c.value}, built-in ${b.value}`).toBe(true);
  expect(Object.keys(c.grads)).toEqual(Object.keys(b.grads));
  for (const k of Object.keys(b.grads)) {
    const [gc, gb] = [c.grads[k], b.grads[k]];
    for (let i = 0; i < gb.length; i++) if (!same(gc[i], gb[i])) expect.fail(`grad ${k}[${i}]: composed ${gc[i]}, built-in ${gb[i]}`);
  }
};

/** Inputs where a NaN prediction is only ever where the loss masks it (else both are NaN, which is also compared). */
describe('YAML-composed == built-in (values and gradients, random inputs with NaNs)', () => {
  const fixed = fromFixture();

  it('the fixture builds the four composed losses with the built-ins’ weights and reads', () => {
    expect(Object.keys(fixed)).toEqual(['regression_steps', 'rmse_steps', 'temporal_steps', 'heatmap_mse_steps']);
    expect(fixed.temporal_steps.weight).toBe(weightOf(11));
    expect(fixed.temporal_steps.reads).toEqual(createLossOrThrow('temporal', { log_weight: 11 }).reads);
    expect(fixed.regression_steps.reads).toEqual(['keypoints_targ', 'keypoints_pred']);
  });

  it('regression == [nan_targets, squared_error, mean]', () => {
    const builtin = createLossOrThrow('regression', {});
    fc.assert(
      fc.property(batchArb, (inputs) => expectSame(fixed.regression_steps, builtin, inputs)),
      { numRuns: 60 },
    );
  });

  it('rmse == [nan_keypoints, rms_error, mean]', () => {
    const builtin = createLossOrThrow('rmse', {});
    fc.assert(
      fc.property(batchArb, (inputs) => expectSame(fixed.rmse_steps, builtin, inputs)),
      { numRuns: 60 },
    );
  });

  it('heatmap_mse == [empty_heatmaps, heatmap_mse, mean]', () => {
    const builtin = createLossOrThrow('heatmap_mse', {});
    fc.assert(
      fc.property(batchArb, (inputs) => expectSame(fixed.heatmap_mse_steps, builtin, inputs)),
      { numRuns: 40 },
    );
  });

  it('temporal == [temporal_norm, low_confidence_pairs zero, epsilon, mean], random epsilon (scalar or per keypoint) and threshold', () => {
    const caseArb = batchArb
      .filter((i) => i.keypoints_pred.shape[0] >= 2)
      .chain((inputs) => {
        const k = inputs.confidences.shape[1];
        const eps = fc.oneof(
          fc.double({ min: 0, max: 30, noNaN: true }),
          fc.array(fc.double({ min: 0, max: 30, noNaN: true }), { minLength: k, maxLength: k }),
        );
        return fc.record({
          inputs: fc.constant(inputs),
          epsilon: eps,
          below: fc.double({ min: 0, max: 1, noNaN: true }),
          logWeight: fc.double({ min: -5, max: 12, noNaN: true }),
        });
      });
    fc.assert(
      fc.property(caseArb, ({ inputs, epsilon, below, logWeight }) => {
        // the YAML a user writes, numbers printed as YAML prints them
        const yaml = [
          'model:',
          '  losses_to_use: [smooth]',
          'losses:',
          '  smooth:',
          `    log_weight: ${logWeight}`,
          '    pipeline:',
          '      - { compute: temporal_norm, of: keypoints_pred }',
          `      - { mask: low_confidence_pairs, of: confidences, below: ${below}, mode: zero }`,
          `      - { rectify: epsilon, epsilon: ${Array.isArray(epsilon) ? `[${epsilon.join(', ')}]` : epsilon} }`,
          '      - { reduce: mean }',
        ].join('\n');
        const composed = composedFrom(yaml).smooth;
        const builtin = createLossOrThrow('temporal', { log_weight: logWeight, epsilon, prob_threshold: below });
        expect(composed.weight).toBe(builtin.weight);
        expect(composed.epsilon).toEqual(builtin.epsilon);
        expectSame(composed, builtin, inputs);
      }),
      { numRuns: 60 },
    );
  });

  it('temporal without confidences: the built-in’s optional mask is skipped, as a composed loss without the mask', () => {
    const composed = composedFrom(
      [
        'model: { losses_to_use: [smooth] }',
        'losses:',
        '  smooth:',
        '    pipeline:',
        '      - { compute: temporal_norm, of: keypoints_pred }',
        '      - { rectify: epsilon, epsilon: 2.5 }',
        '      - { reduce: mean }',
      ].join('\n'),
    ).smooth;
    const builtin = createLossOrThrow('temporal', { epsilon: 2.5, prob_threshold: 0.5 });
    fc.assert(
      fc.property(
        batchArb.filter((i) => i.keypoints_pred.shape[0] >= 2),
        ({ keypoints_pred }) => expectSame(composed, builtin, { keypoints_pred }),
      ),
      { numRuns: 30 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// A step of one's own, registered from TypeScript, used from YAML

/** scale²·log(cosh(d/scale)) in float64, stable for large |d|. */
const logCoshRef = (d: number, scale: number): number => {
  const x = Math.abs(d / scale);
  return scale * scale * (x + Math.log1p(Math.exp(-2 * x)) - Math.LN2);
};

describe('a user-registered step (log_cosh, its own io-ts codec) from YAML', () => {
  it('is unknown until registered, then checks, explains, builds and computes', async () => {
    const file = fixture('paw_logcosh.yaml');
    const before = cli('check', [file]);
    expect(before.code).toBe(2);
    expect(before.lines[1]).toMatch(
      /^error: losses\.paw_logcosh\.pipeline\[1\]\.compute: unknown compute step 'log_cosh' \(known: squared_error, .*, pca_reprojection\)$/,
    );

    await import('./fixtures/logCosh.js'); // registers log_cosh

    const after = cli('check', [file]);
    expect(after.code).toBe(0);
    expect(after.lines[2]).toMatch(/^ {2}unsupervised +paw_logcosh +log_weight 1$/);
    const explain = cli('explain', [file]);
    expect(explain.lines).toContain('    - { compute: log_cosh, of: [keypoints_targ, keypoints_pred], scale: 2 }');
    expect(explain.lines).toContain('  reads: keypoints_targ, keypoints_pred; gradients to: keypoints_pred');

    // its codec's errors come with paths like any built-in step's
    const bad = composedFromIssues('{ compute: log_cosh, of: [keypoints_targ, keypoints_pred], scale: -1 }');
    expect(bad).toEqual(['losses.l.pipeline[0].scale: expected a positive number, got -1']);
    expect(composedFromIssues('{ compute: log_cosh, of: [keypoints_targ, heatmaps_pred] }')).toEqual([
      "losses.l.pipeline[0].of: log_cosh reads keypoints (B, 2K); 'heatmaps_pred' is not such an input",
    ]);
    expect(composedFromIssues('{ compute: log_cosh, of: keypoints_targ }')).toEqual([
      "losses.l.pipeline[0].of: expected two input keys (target, prediction), got 'keypoints_targ'",
    ]);

    const raw = readYaml(file);
    if (either.isLeft(raw)) throw new Error(formatIssues(raw.left));
    const built = buildLossFactories(raw.right);
    if (either.isLeft(built)) throw new Error(formatIssues(built.left));
    const loss = built.right.unsupervised.members[0].loss;

    fc.assert(
      fc.property(batchArb, (inputs) => {
        const targ = inputs.keypoints_targ.data;
        const pred = Float32Array.from(inputs.keypoints_pred.data, (v, i) => (Number.isNaN(v) ? targ[i] + 1 : v)); // finite predictions
        const plain = { keypoints_targ: inputs.keypoints_targ, keypoints_pred: { shape: inputs.keypoints_pred.shape, data: pred } };
        // nan_keypoints drops a keypoint when either target coordinate is NaN
        const valid = Array.from(targ, (_, i) => !Number.isNaN(targ[i - (i % 2)]) && !Number.isNaN(targ[i - (i % 2) + 1]));
        const n = valid.filter(Boolean).length;
        const want = n === 0 ? 0 : valid.reduce((s, ok, i) => (ok ? s + logCoshRef(targ[i] - pred[i], 2) : s), 0) / n;
        const wantGrad = valid.map((ok, i) => (ok ? (-2 * Math.tanh((targ[i] - pred[i]) / 2)) / n : 0));
        const got = run(loss, plain);
        expectClose(got.value, want, 'log_cosh loss', 1e-4, 1e-5);
        got.grads.keypoints_pred.forEach((g, i) => expectClose(g, wantGrad[i], `grad[${i}]`, 1e-3, 1e-6));
      }),
      { numRuns: 40 },
    );
  });
});

/** The issues of a one-step composed pipeline (with a compute), as formatted lines. */
const composedFromIssues = (step: string): string[] => {
  const raw = parseYaml(
    ['model: { losses_to_use: [l] }', 'losses:', '  l:', '    pipeline:', `      - ${step}`, '      - { reduce: mean }'].join('\n'),
    'x.yaml',
  );
  if (either.isLeft(raw)) throw new Error(formatIssues(raw.left));
  const built = buildLossFactories(raw.right);
  return either.isLeft(built) ? built.left.map((i) => `${i.path}: ${i.message}`) : [];
};

// ---------------------------------------------------------------------------------------
// The guide's TypeScript example

describe('the guide’s example: paw_huber.yaml used from TypeScript (fixtures/unsupervisedStep.ts)', () => {
  it('as the guide says, a batch without targets makes the unsupervised factory throw a LossInputError naming the key, leaving no tensor', () => {
    const keypoints_pred = tf.zeros([3, 34]);
    const before = tf.memory().numTensors;
    expect(() => unsupervisedStep(fixture('paw_huber.yaml'), { keypoints_pred } as never, 5)).toThrow(/^paw_huber: missing input 'keypoints_targ'/);
    expect(tf.memory().numTensors).toBe(before);
    keypoints_pred.dispose();
  });

  const huber = (d: number, delta: number) => (Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta));

  it('total = anneal · (w_temporal · temporal + w_paw_huber · paw_huber), from plain JS; three logs per loss; no tensor left behind', () => {
    const caseArb = fc
      .record({ B: fc.integer({ min: 2, max: 4 }), epoch: fc.integer({ min: 0, max: 150 }) })
      .chain(({ B, epoch }) =>
        fc.record({ B: fc.constant(B), epoch: fc.constant(epoch), targ: f32(B * 34, 0, 200), nan: flags(B * 34, 0.15), noise: f32(B * 34, -12, 12) }),
      );
    fc.assert(
      fc.property(caseArb, ({ B, epoch, targ, nan, noise }) => {
        const K = 17;
        const t = Float32Array.from(targ, (v, i) => (nan[i] ? NaN : v));
        const p = Float32Array.from(targ, (v, i) => Math.fround(v + noise[i]));
        const before = tf.memory().numTensors;
        const batch = { keypoints_targ: tf.tensor2d(t, [B, 2 * K]), keypoints_pred: tf.tensor2d(p, [B, 2 * K]) };
        const r = unsupervisedStep(fixture('paw_huber.yaml'), batch, epoch);
        try {
          expect(r.names).toEqual(['temporal', 'paw_huber']);
          expect(r.anneal).toBeCloseTo(Math.min(epoch * 0.01, 1), 12);
          // temporal: mean over (B−1)·K of relu(‖Δ‖ − 20), no confidences given
          let temporal = 0;
          for (let b = 0; b + 1 < B; b++)
            for (let k = 0; k < K; k++)
              temporal += Math.max(Math.hypot(p[(b + 1) * 34 + 2 * k] - p[b * 34 + 2 * k], p[(b + 1) * 34 + 2 * k + 1] - p[b * 34 + 2 * k + 1]) - 20, 0);
          temporal /= (B - 1) * K;
          // paw_huber: labeled keypoints only, huber δ 5, relu(· − 1), mean over their coordinates
          let sum = 0;
          let count = 0;
          for (let i = 0; i < t.length; i += 2)
            if (!Number.isNaN(t[i]) && !Number.isNaN(t[i + 1])) {
              sum += Math.max(huber(t[i] - p[i], 5) - 1, 0) + Math.max(huber(t[i + 1] - p[i + 1], 5) - 1, 0);
              count += 2;
            }
          const paw = count ? sum / count : 0;
          const logs = r.logs.map((l) => ({ name: l.name, value: l.value.dataSync()[0] }));
          expect(logs.map((l) => l.name)).toEqual([
            'train_temporal_loss',
            'temporal_weight',
            'train_temporal_loss_weighted',
            'train_paw_huber_loss',
            'paw_huber_weight',
            'train_paw_huber_loss_weighted',
          ]);
          expectClose(logs[0].value, temporal, 'temporal', 1e-4, 1e-4);
          expectClose(logs[3].value, paw, 'paw_huber', 1e-4, 1e-4);
          const total = r.anneal * (weightOf(11) * temporal + weightOf(2) * paw);
          expectClose(r.total.dataSync()[0], total, 'total', 1e-4, 1e-6);
          const g = r.grad.dataSync();
          expect(g.every(Number.isFinite)).toBe(true);
        } finally {
          tf.dispose([r.total, r.grad, ...r.logs.map((l) => l.value), batch.keypoints_targ, batch.keypoints_pred]);
        }
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: 25 },
    );
  });
});

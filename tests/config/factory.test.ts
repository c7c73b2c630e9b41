/**
 * Loss factories (spec §9): on random factories, `total = Σ a_i·w_i·L_i` computed from the
 * individual losses, with a_i = 1 for the heatmap losses, for composed losses that say
 * `anneal: false` and when the anneal weight is null; three log entries per loss in order,
 * `_loss_weighted` without the anneal factor; an empty factory gives 0 and []; the anneal
 * schedule follows the reference callback; no tensor outlives a call. Golden: every factory
 * vector of ../shared/golden, checked through the same identity.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { AnnealParams, annealWeight } from '../../src/config/lightningPose.js';
import { composedRecord, declaredRecord } from '../../src/losses/record.js';
import { getLossDef } from '../../src/losses/registry.js';
import { buildLossFactories, buildMember, DEFAULT_ANNEAL_EXEMPT, type FactoryMember, type LossFactory, makeFactory } from '../../src/lp/factory.js';
import type { Stage } from '../../src/pipeline/inputs.js';
import { weightOf } from '../../src/pipeline/loss.js';
import { GOLDEN, hasShared, warnIfNoShared } from '../shared.js';
import { close, expectClose, type PlainInputs, tensorsOf } from './helpers.js';

// ---------------------------------------------------------------------------------------
// Random inputs every candidate loss can read

const dims = fc.record({ B: fc.integer({ min: 2, max: 5 }), K: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 2, max: 4 }) });
type Dims = { B: number; K: number; H: number };

const floats = (n: number, min: number, max: number) =>
  fc.float32Array({ minLength: n, maxLength: n, min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true });
const mask = (n: number, rate: number) =>
  fc.array(
    fc.double({ min: 0, max: 1, noNaN: true }).map((u) => u < rate),
    { minLength: n, maxLength: n },
  );

/** keypoints_targ with NaN (unlabeled) coordinates, keypoints_pred, confidences, heatmaps with some empty target maps. */
const inputsArb = (d: Dims): fc.Arbitrary<PlainInputs> =>
  fc
    .record({
      targ: floats(d.B * 2 * d.K, -40, 40),
      nan: mask(d.B * 2 * d.K, 0.25),
      pred: floats(d.B * 2 * d.K, -40, 40),
      conf: floats(d.B * d.K, 0, 1),
      hmT: floats(d.B * d.K * d.H * d.H, 0, 1),
      empty: mask(d.B * d.K, 0.3),
      hmP: floats(d.B * d.K * d.H * d.H, 0, 1),
    })
    .map((r) => {
      const px = d.H * d.H;
      const targ = r.targ.map((v, i) => (r.nan[i] ? NaN : v));
      const hmT = r.hmT.map((v, i) => (r.empty[Math.floor(i / px)] ? 0 : v));
      return {
        keypoints_targ: { shape: [d.B, 2 * d.K], data: targ },
        keypoints_pred: { shape: [d.B, 2 * d.K], data: r.pred },
        confidences: { shape: [d.B, d.K], data: r.conf },
        heatmaps_targ: { shape: [d.B, d.K, d.H, d.H], data: hmT },
        heatmaps_pred: { shape: [d.B, d.K, d.H, d.H], data: r.hmP },
      };
    });

// ---------------------------------------------------------------------------------------
// Random factory members: built-in and composed losses, as the config would give them

const logWeight = fc.double({ min: -3, max: 3, noNaN: true });

interface Candidate {
  readonly name: string;
  readonly composed: boolean;
  readonly params: (lw: number, d: Dims) => fc.Arbitrary<Record<string, unknown>>;
}

const CANDIDATES: readonly Candidate[] = [
  {
    name: 'temporal',
    composed: false,
    params: (lw, d) =>
      fc.record({
        log_weight: fc.constant(lw),
        epsilon: fc.oneof(
          fc.double({ min: 0, max: 20, noNaN: true }),
          fc.array(fc.double({ min: 0, max: 20, noNaN: true }), { minLength: d.K, maxLength: d.K }),
        ),
        prob_threshold: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
  },
  { name: 'regression', composed: false, params: (lw) => fc.constant({ log_weight: lw }) },
  { name: 'heatmap_mse', composed: false, params: (lw) => fc.constant({ log_weight: lw }) },
  { name: 'heatmap_kl', composed: false, params: (lw) => fc.constant({ log_weight: lw }) },
  {
    name: 'paw_huber',
    composed: true,
    params: (lw) =>
      fc.record({
        log_weight: fc.constant(lw),
        anneal: fc.boolean(),
        pipeline: fc
          .tuple(fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }))
          .map(([delta, eps]) => [
            { mask: 'nan_keypoints', of: 'keypoints_targ' },
            { compute: 'huber', of: ['keypoints_targ', 'keypoints_pred'], delta },
            { rectify: 'epsilon', epsilon: eps },
            { reduce: 'mean' },
          ]),
      }),
  },
  {
    name: 'smooth_moves',
    composed: true,
    params: (lw) =>
      fc.record({
        log_weight: fc.constant(lw),
        pipeline: fc.constant([
          { compute: 'temporal_norm', of: 'keypoints_pred' },
          { mask: 'low_confidence', of: 'confidences', below: 0.5, mode: 'drop' },
          { reduce: 'sum' },
        ]),
      }),
  },
];

interface MemberSpec {
  readonly name: string;
  readonly composed: boolean;
  readonly params: Record<string, unknown>;
}

const membersArb = (d: Dims): fc.Arbitrary<MemberSpec[]> =>
  fc
    .subarray([...CANDIDATES])
    .chain((cs) => fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }))
    .chain((cs) =>
      cs.length === 0
        ? fc.constant([])
        : fc.tuple(...cs.map((c) => logWeight.chain((lw) => c.params(lw, d)).map((params) => ({ name: c.name, composed: c.composed, params })))),
    );

const build = (specs: readonly MemberSpec[]): FactoryMember[] =>
  specs.map((s) => {
    const path = `losses.${s.name}`;
    const r = s.composed ? composedRecord(s.name, s.params, path) : declaredRecord(getLossDef(s.name)!, s.params, path);
    const m = either.flatMap(r, (rec) => buildMember(rec, {}));
    if (either.isLeft(m)) throw new Error(formatIssues(m.left));
    return m.right;
  });

const stageArb = fc.constantFrom<Stage>('train', 'val', 'test', null);
const annealArb = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null });

/** Which anneal factor the reference rule gives a member. */
const factorOf = (spec: MemberSpec, anneal: number | null): number => {
  if (anneal === null) return 1;
  if (DEFAULT_ANNEAL_EXEMPT.includes(spec.name)) return 1;
  if (spec.composed && spec.params.anneal === false) return 1;
  return anneal;
};

interface Read {
  readonly total: number;
  readonly logs: { name: string; value: number }[];
}

const callFactory = (f: LossFactory, ts: Record<string, tf.Tensor>, stage: Stage, anneal: number | null): Read => {
  const r = f(ts, stage, anneal);
  try {
    return { total: r.total.dataSync()[0], logs: r.logs.map((l) => ({ name: l.name, value: l.value.dataSync()[0] })) };
  } finally {
    tf.dispose([r.total, ...r.logs.map((l) => l.value)]);
  }
};

const lossValue = (m: FactoryMember, ts: Record<string, tf.Tensor>, stage: Stage): number => {
  const r = m.loss(ts, stage);
  try {
    return r.loss.dataSync()[0];
  } finally {
    tf.dispose([r.loss, r.weight, r.weighted]);
  }
};

const stageName = (s: Stage) => (s === null ? 'None' : s);

/** The identity and the log layout, for one factory on one batch. */
const checkFactory = (specs: readonly MemberSpec[], members: readonly FactoryMember[], inputs: PlainInputs, stage: Stage, anneal: number | null): void => {
  const ts = tensorsOf(inputs);
  try {
    const f = makeFactory(members);
    const got = callFactory(f, ts, stage, anneal);
    const losses = members.map((m) => lossValue(m, ts, stage));
    const weights = specs.map((s) => weightOf(s.params.log_weight as number));
    const expected = losses.reduce((acc, l, i) => acc + factorOf(specs[i], anneal) * weights[i] * l, 0);
    const scale = losses.reduce((acc, l, i) => acc + Math.abs(weights[i] * l), 0);
    expect(Number.isFinite(got.total), `total ${got.total}`).toBe(true);
    expectClose(got.total, expected, 'total vs Σ a·w·L', 1e-5, 1e-6 * (1 + scale));
    const s = stageName(stage);
    expect(got.logs.map((l) => l.name)).toEqual(specs.flatMap((m) => [`${s}_${m.name}_loss`, `${m.name}_weight`, `${s}_${m.name}_loss_weighted`]));
    specs.forEach((_, i) => {
      expectClose(got.logs[3 * i].value, losses[i], `${specs[i].name} loss log`);
      expectClose(got.logs[3 * i + 1].value, weights[i], `${specs[i].name} weight log`);
      // the reference logs weight·loss, without the anneal factor
      expectClose(got.logs[3 * i + 2].value, weights[i] * losses[i], `${specs[i].name} loss_weighted log`, 1e-5, 1e-7);
    });
  } finally {
    tf.dispose(Object.values(ts));
  }
};

describe('factory total = Σ anneal_i · weight_i · loss_i', () => {
  it('random factories of built-in and composed losses, random log_weights, anneal in [0, 1] or null', () => {
    fc.assert(
      fc.property(
        dims.chain((d) => fc.record({ inputs: inputsArb(d), specs: membersArb(d), stage: stageArb, anneal: annealArb })),
        ({ inputs, specs, stage, anneal }) => {
          checkFactory(specs, build(specs), inputs, stage, anneal);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the heatmap losses are exempt by name; a composed loss with anneal: false too; anneal 0 leaves only those', () => {
    fc.assert(
      fc.property(
        dims.chain((d) => fc.record({ inputs: inputsArb(d), specs: membersArb(d) })),
        ({ inputs, specs }) => {
          const members = build(specs);
          expect(members.map((m) => m.annealed)).toEqual(specs.map((s) => factorOf(s, 0.5) === 0.5));
          checkFactory(specs, members, inputs, 'train', 0);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('factories built from random configs (buildLossFactories) obey the same identity', () => {
    const configArb = dims.chain((d) =>
      fc.record({
        d: fc.constant(d),
        inputs: inputsArb(d),
        modelType: fc.constantFrom('heatmap', 'heatmap_mhcrnn', 'regression'),
        heatmapType: fc.constantFrom('mse', 'kl', 'js'),
        unsup: membersArb(d).map((ms) => ms.filter((m) => m.name === 'temporal' || m.composed)),
        anneal: annealArb,
        stage: stageArb,
      }),
    );
    fc.assert(
      fc.property(configArb, ({ d, inputs, modelType, heatmapType, unsup, anneal, stage }) => {
        const config = {
          data: { num_keypoints: d.K },
          model: { model_type: modelType, heatmap_loss_type: heatmapType, losses_to_use: unsup.map((m) => m.name) },
          losses: Object.fromEntries(unsup.map((m) => [m.name, m.params])),
        };
        const built = buildLossFactories(config);
        if (either.isLeft(built)) expect.fail(formatIssues(built.left));
        const sup: MemberSpec = { name: modelType === 'regression' ? 'regression' : `heatmap_${heatmapType}`, composed: false, params: { log_weight: 0 } };
        expect(built.right.supervised.names).toEqual([sup.name]);
        expect(built.right.unsupervised.names).toEqual(unsup.map((m) => m.name));
        checkFactory([sup], built.right.supervised.members, inputs, stage, anneal);
        checkFactory(unsup, built.right.unsupervised.members, inputs, stage, anneal);
      }),
      { numRuns: 30 },
    );
  });

  it('an empty factory gives total 0 and no logs, for any stage and anneal weight', () => {
    const f = makeFactory([]);
    fc.assert(
      fc.property(stageArb, annealArb, (stage, anneal) => {
        const r = f({}, stage, anneal);
        expect(r.logs).toEqual([]);
        expect(r.total.shape).toEqual([]);
        expect(r.total.dataSync()[0]).toBe(0);
        r.total.dispose();
      }),
      { numRuns: 10 },
    );
    const built = buildLossFactories({ model: { losses_to_use: [] } });
    if (either.isLeft(built)) expect.fail(formatIssues(built.left));
    expect(built.right.unsupervised.names).toEqual([]);
    const r = built.right.unsupervised({}, 'train', 0.3);
    expect(r.total.dataSync()[0]).toBe(0);
    expect(r.logs).toEqual([]);
    r.total.dispose();
  });

  it('a NaN from any loss makes the total NaN (unmasked NaN prediction in temporal)', () => {
    const members = build([
      { name: 'heatmap_mse', composed: false, params: { log_weight: 0 } },
      { name: 'temporal', composed: false, params: { log_weight: 1 } },
    ]);
    const ts = {
      keypoints_pred: tf.tensor2d([
        [0, 0],
        [NaN, 1],
        [2, 2],
      ]),
      heatmaps_targ: tf.ones([3, 1, 2, 2]),
      heatmaps_pred: tf.zeros([3, 1, 2, 2]),
    };
    const got = callFactory(makeFactory(members), ts, 'train', 0.5);
    expect(got.total).toBeNaN();
    expect(got.logs[0].value).toBe(4); // heatmap_mse: (1 − 0)²·H·W summed per map, mean over maps
    tf.dispose(Object.values(ts));
  });
});

describe('no tensor outlives a factory call', () => {
  it('random factories: the tensor count after a call (results disposed) and after a gradient equals the count before', () => {
    fc.assert(
      fc.property(
        dims.chain((d) => fc.record({ inputs: inputsArb(d), specs: membersArb(d), stage: stageArb, anneal: annealArb })),
        ({ inputs, specs, stage, anneal }) => {
          const f = makeFactory(build(specs));
          const ts = tensorsOf(inputs);
          try {
            const before = tf.memory().numTensors;
            const r = f(ts, stage, anneal);
            expect(r.logs).toHaveLength(3 * specs.length);
            tf.dispose([r.total, ...r.logs.map((l) => l.value)]);
            expect(tf.memory().numTensors).toBe(before);
            // gradients w.r.t. the predictions the members read (tf.grads refuses an unconnected
            // input; an empty factory's 0 reads none, and torch's backward would refuse it too)
            const keys = [...new Set(f.members.flatMap((m) => m.loss.predictions))];
            if (keys.length > 0) {
              const g = tf.grads((...xs: tf.Tensor[]) => f({ ...ts, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]])) }, stage, anneal).total)(
                keys.map((k) => ts[k]),
              );
              tf.dispose(g);
              expect(tf.memory().numTensors).toBe(before);
            }
          } finally {
            tf.dispose(Object.values(ts));
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('annealWeight (callbacks.anneal_weight) follows the reference AnnealWeight callback', () => {
  /**
   * The reference, as a state machine: on_train_start sets init_val; at each epoch start,
   * epochs ≤ freeze_until_epoch leave the value as it is, later ones set
   * min(init_val + (epoch − freeze_until_epoch)·increase_factor, final_val).
   */
  const reference = (p: { init_val: number; increase_factor: number; final_val: number; freeze_until_epoch: number }, epochs: number): number[] => {
    let value = p.init_val;
    const out: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (epoch > p.freeze_until_epoch) value = Math.min(p.init_val + (epoch - p.freeze_until_epoch) * p.increase_factor, p.final_val);
      out.push(value);
    }
    return out;
  };

  const paramsArb = fc.record({
    attr_name: fc.constant('total_unsupervised_importance'),
    init_val: fc.double({ min: -1, max: 1, noNaN: true }),
    increase_factor: fc.double({ min: 0, max: 0.5, noNaN: true }),
    final_val: fc.double({ min: -1, max: 2, noNaN: true }),
    freeze_until_epoch: fc.integer({ min: 0, max: 20 }),
  });

  it('matches the reference rule epoch by epoch on random parameters', () => {
    fc.assert(
      fc.property(paramsArb, fc.integer({ min: 1, max: 120 }), (p, epochs) => {
        const schedule = annealWeight(p);
        const ref = reference(p, epochs);
        for (let e = 0; e < epochs; e++) expect(schedule(e), `epoch ${e}`).toBe(ref[e]);
      }),
    );
  });

  it('with the example parameters (init 0, +0.01, final 1, freeze 0): 0, 0.01, …, capped at 1 from epoch 100', () => {
    const decoded = AnnealParams.decode({});
    if (either.isLeft(decoded)) throw new Error('defaults do not decode');
    const schedule = annealWeight(decoded.right);
    expect(schedule(0)).toBe(0);
    expect(schedule(1)).toBeCloseTo(0.01, 12);
    expect(schedule(50)).toBeCloseTo(0.5, 12);
    expect(schedule(100)).toBe(1);
    expect(schedule(250)).toBe(1);
  });

  it('decoded from a config, the defaults fill the keys left out', () => {
    fc.assert(
      fc.property(paramsArb, fc.subarray(['init_val', 'increase_factor', 'final_val', 'freeze_until_epoch'] as const), (p, drop) => {
        const given = Object.fromEntries(Object.entries(p).filter(([k]) => !(drop as readonly string[]).includes(k)));
        const built = buildLossFactories({ callbacks: { anneal_weight: given } });
        if (either.isLeft(built)) expect.fail(formatIssues(built.left));
        const defaults = { init_val: 0, increase_factor: 0.01, final_val: 1, freeze_until_epoch: 0 };
        const want = { ...p, ...Object.fromEntries(drop.map((k) => [k, defaults[k]])) };
        expect(built.right.config.anneal).toEqual(want);
      }),
      { numRuns: 30 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Golden: the reference's factory vectors

warnIfNoShared('golden factory vectors');
const factoryFiles = hasShared
  ? fs
      .readdirSync(GOLDEN)
      .filter((f) => f.startsWith('factory_') && f.endsWith('.json'))
      .sort()
  : [];

type JsonTensor = { shape: number[]; data: (number | null)[] };
interface FactoryCase {
  stage: Stage;
  params: { config: unknown; factory: 'supervised' | 'unsupervised'; anneal_weight: number | null };
  inputs: Record<string, JsonTensor>;
  expected: {
    loss: number;
    loss_names: string[];
    other_factory_loss_names?: string[];
    logs: { name: string; value: number }[];
    instances?: Record<string, { weight: number; epsilon: number | number[] | null }>;
    grads?: Record<string, JsonTensor>;
  };
  poseloss?: { expected: FactoryCase['expected'] };
}

const f32 = (t: JsonTensor) => Float32Array.from(t.data, (v) => (v === null ? NaN : Math.fround(v)));

describe.skipIf(!hasShared)('golden factory vectors (../shared/golden/factory_*.json)', () => {
  it('finds them', () => expect(factoryFiles.length).toBeGreaterThanOrEqual(3));

  it.each(factoryFiles)('%s: names, logs, total = Σ a·(logged weighted), gradients', (file) => {
    const c = JSON.parse(fs.readFileSync(path.join(GOLDEN, file), 'utf8')) as FactoryCase;
    const exp = c.poseloss?.expected ?? c.expected;
    const fit = c.inputs.fit_keypoints;
    const labels = fit ? { data: Float64Array.from(f32(fit)), rows: fit.shape[0], cols: fit.shape[1] } : undefined;
    const built = buildLossFactories(c.params.config, { labels });
    if (either.isLeft(built)) expect.fail(formatIssues(built.left));
    const which = c.params.factory;
    const factory = built.right[which];
    expect(factory.names).toEqual(exp.loss_names);
    if (exp.other_factory_loss_names) expect(built.right[which === 'supervised' ? 'unsupervised' : 'supervised'].names).toEqual(exp.other_factory_loss_names);
    for (const [name, inst] of Object.entries(exp.instances ?? {})) {
      const m = factory.members.find((x) => x.name === name)!;
      expectClose(m.loss.weight, inst.weight, `${name} weight`, 1e-6);
      if (typeof inst.epsilon === 'number') expectClose(m.loss.epsilon as number, inst.epsilon, `${name} epsilon`, 1e-4);
    }
    const plain = Object.fromEntries(
      Object.entries(c.inputs)
        .filter(([k]) => k !== 'fit_keypoints')
        .map(([k, t]) => [k, { shape: t.shape, data: f32(t) }]),
    );
    const ts = tensorsOf(plain);
    try {
      const got = callFactory(factory, ts, c.stage, c.params.anneal_weight);
      expect(got.logs.map((l) => l.name)).toEqual(exp.logs.map((l) => l.name));
      got.logs.forEach((l, i) => expectClose(l.value, exp.logs[i].value, l.name, 1e-4));
      expectClose(got.total, exp.loss, 'total', 1e-4);
      // the identity, on the reference's own numbers: total = Σ a_i · (logged weighted_i)
      const fromLogs = exp.loss_names.reduce((acc, name, i) => {
        const a = c.params.anneal_weight === null || DEFAULT_ANNEAL_EXEMPT.includes(name) ? 1 : c.params.anneal_weight;
        return acc + a * exp.logs[3 * i + 2].value;
      }, 0);
      expect(close(exp.loss, fromLogs, 1e-5), `reference total ${exp.loss} vs Σ a·weighted ${fromLogs}`).toBe(true);
      for (const [key, g] of Object.entries(exp.grads ?? {})) {
        const grad = tf.grad((x: tf.Tensor) => factory({ ...ts, [key]: x }, c.stage, c.params.anneal_weight).total)(ts[key]);
        const data = grad.dataSync();
        grad.dispose();
        const want = f32(g);
        const maxAbs = want.reduce((m, v) => Math.max(m, Number.isFinite(v) ? Math.abs(v) : 0), 0);
        want.forEach((w, i) => {
          if (!Number.isFinite(w)) expect(Number.isFinite(data[i]), `${key}[${i}] finite where the reference is NaN (D2)`).toBe(true);
          else expectClose(data[i], w, `grad ${key}[${i}]`, 1e-3, 1e-6 * (1 + maxAbs));
        });
      }
    } finally {
      tf.dispose(Object.values(ts));
    }
  });
});

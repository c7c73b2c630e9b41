/**
 * Bad inputs and bad configurations fail with messages that say what and where: the loss,
 * the keys and shapes involved, the path of a bad parameter, the closest known name.
 * Good parameters (drawn from what the codecs accept) always decode.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { createLoss, createLossOrThrow, lossNames } from '../../src/losses/registry.js';
import { stepNames } from '../../src/steps/registry.js';
import { buildPipeline } from '../../src/losses/build.js';
import { LossInputError, PoselossError, formatIssues, type PoselossIssue } from '../../src/config/issues.js';
import { finite, inRange, positive, Epsilon } from '../../src/config/codecs.js';
import { RegressionParams, TemporalParams, WeightOnly } from '../../src/losses/params.js';
import { ReprojectionParams } from '../../src/losses/multiview.js';
import type { Phase } from '../../src/pipeline/step.js';
import {
  LOSS_NAMES,
  TEMPORAL_LOSSES,
  evaluate,
  filled,
  lossCaseArb,
  make,
  num,
  reprojectionParamsArb,
  runs,
  logWeightArb,
  epsilonArb,
  thresholdArb,
  type Inputs,
  type LossName,
} from './arbitraries.js';

const shape = (s: readonly number[]): string => `(${s.join(',')})`;

/** The error a call throws (fails the test if it does not throw). */
const thrown = (f: () => unknown): Error => {
  try {
    const r = f();
    if (r && typeof r === 'object' && 'loss' in r) tf.dispose((r as { loss: tf.Tensor }).loss);
  } catch (e) {
    return e as Error;
  }
  return expect.fail('expected an error, got a value');
};

/** Call a loss on zero-filled tensors of the given shapes; return what it throws. */
const callError = (loss: ReturnType<typeof make>, shapes: Record<string, readonly number[]>): Error => {
  const ts = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.zeros([...s])]));
  try {
    return thrown(() => loss(ts));
  } finally {
    tf.dispose(Object.values(ts));
  }
};

/** Issues of a Left (fails the test on a Right). */
const issuesOf = (r: either.Either<PoselossIssue[], unknown>): PoselossIssue[] => (either.isLeft(r) ? r.left : expect.fail('expected issues, got a loss'));

/** Levenshtein distance, written here independently of src/config/closest.ts. */
const lev = (a: string, b: string): number => {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
};

/** A one-edit typo of one of `names` that is none of them. */
const typoArb = (names: readonly string[]): fc.Arbitrary<{ word: string; typo: string }> =>
  fc
    .record({ word: fc.constantFrom(...names), at: fc.nat(), op: fc.constantFrom('insert', 'delete', 'replace', 'swap'), ch: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_') })
    .map(({ word, at, op, ch }) => {
      const i = at % (word.length + 1);
      const j = Math.min(i, word.length - 1);
      const typo =
        op === 'insert'
          ? word.slice(0, i) + ch + word.slice(i)
          : op === 'delete'
            ? word.slice(0, j) + word.slice(j + 1)
            : op === 'replace'
              ? word.slice(0, j) + ch + word.slice(j + 1)
              : j + 1 < word.length
                ? word.slice(0, j) + word[j + 1] + word[j] + word.slice(j + 2)
                : word + ch;
      return { word, typo };
    })
    .filter(({ typo }) => !names.includes(typo));

/** The message suggests a known name at the least distance from the typo. */
const expectClosestSuggested = (message: string, typo: string, names: readonly string[]): void => {
  const m = /did you mean '([^']+)'/.exec(message);
  expect(m, `no suggestion in: ${message}`).not.toBeNull();
  const best = Math.min(...names.map((n) => lev(typo.toLowerCase(), n.toLowerCase())));
  expect(names).toContain(m![1]);
  expect(lev(typo.toLowerCase(), m![1].toLowerCase()), `suggested '${m![1]}' for '${typo}'`).toBe(best);
};

/** Geometry every reprojection case needs. */
const GEOM = { original_image_height: 32, original_image_width: 32, downsampled_image_height: 8, downsampled_image_width: 8 };
const baseParams = (name: string): Record<string, unknown> => (name === 'supervised_reprojection_heatmap_mse' ? GEOM : {});

describe('bad inputs', () => {
  it.each(LOSS_NAMES)('%s: a missing required key is named, with the keys the loss reads', (name) => {
    fc.assert(
      fc.property(lossCaseArb(name), (lc) => {
        const loss = make(name, lc.params);
        const required = loss.reads.filter((k: string) => !loss.optional.includes(k));
        for (const key of required) {
          const ts = Object.fromEntries(Object.entries(lc.inputs).filter(([k]) => k !== key).map(([k, a]) => [k, tf.tensor(a.data, [...a.shape])]));
          try {
            const e = thrown(() => loss(ts));
            expect(e).toBeInstanceOf(LossInputError);
            expect(e.message).toContain(`${name}: missing input '${key}'`);
            for (const k of required) expect(e.message).toContain(`'${k}'`);
          } finally {
            tf.dispose(Object.values(ts));
          }
        }
      }),
      runs(5),
    );
  });

  it.each(LOSS_NAMES)('%s: extra input keys are ignored', (name) => {
    fc.assert(
      // B ≥ 2: with B = 1 the temporal losses return wasm garbage (see temporal.test.ts, D1)
      fc.property(lossCaseArb(name, { minB: 2 }), (lc) => {
        const loss = make(name, lc.params);
        const extra: Inputs = { ...lc.inputs, unrelated_key: filled([2, 3], (i) => i), keypoints_pred_augmented: filled([1, 2], () => NaN) };
        // losses that do not read confidences ignore even all-zero ones
        if (!TEMPORAL_LOSSES.includes(name)) extra.confidences = filled([lc.B, lc.K], () => 0);
        expect(evaluate(loss, extra).loss).toBe(evaluate(loss, lc.inputs).loss);
      }),
      runs(10),
    );
  });

  /** Two user inputs of shapes that disagree, per loss: [shapes, the two keys whose shapes must be named]. */
  const mismatchArb = (name: LossName): fc.Arbitrary<{ shapes: Record<string, number[]>; keys: [string, string] }> => {
    const d = fc.integer({ min: 1, max: 6 });
    const differ = (a: number[], b: number[]) => a.some((v, i) => v !== b[i]);
    switch (name) {
      case 'heatmap_mse':
      case 'heatmap_kl':
      case 'heatmap_js':
        return fc
          .tuple(fc.array(d, { minLength: 4, maxLength: 4 }), fc.array(d, { minLength: 4, maxLength: 4 }))
          .filter(([a, b]) => differ(a, b))
          .map(([a, b]) => ({ shapes: { heatmaps_targ: a, heatmaps_pred: b }, keys: ['heatmaps_targ', 'heatmaps_pred'] }));
      case 'regression':
      case 'rmse':
        return fc
          .tuple(d, d, d, d)
          .filter(([b1, k1, b2, k2]) => b1 !== b2 || k1 !== k2)
          .map(([b1, k1, b2, k2]) => ({ shapes: { keypoints_targ: [b1, 2 * k1], keypoints_pred: [b2, 2 * k2] }, keys: ['keypoints_targ', 'keypoints_pred'] }));
      case 'temporal':
        return fc
          .tuple(d, d, d, d)
          .filter(([b1, k1, b2, k2]) => b1 !== b2 || k1 !== k2)
          .map(([b1, k1, b2, k2]) => ({ shapes: { keypoints_pred: [b1, 2 * k1], confidences: [b2, k2] }, keys: ['confidences', 'keypoints_pred'] }));
      case 'temporal_heatmap_mse':
      case 'temporal_heatmap_kl':
        return fc
          .tuple(d, d, d, d, d, d)
          .filter(([b1, k1, , , b2, k2]) => b1 !== b2 || k1 !== k2)
          .map(([b1, k1, h, w, b2, k2]) => ({ shapes: { heatmaps_pred: [b1, k1, h, w], confidences: [b2, k2] }, keys: ['confidences', 'heatmaps_pred'] }));
      case 'supervised_pairwise_projections':
        return fc
          .tuple(d, d, d, d, d)
          .filter(([b1, k1, b2, , k2]) => b1 !== b2 || k1 !== k2)
          .map(([b1, k1, b2, p, k2]) => ({ shapes: { keypoints_targ_3d: [b1, k1, 3], keypoints_pred_3d: [b2, p, k2, 3] }, keys: ['keypoints_targ_3d', 'keypoints_pred_3d'] }));
      case 'supervised_reprojection_heatmap_mse':
        return fc
          .tuple(d, d, d, d)
          .filter(([b1, k1, b2, k2]) => b1 !== b2 || k1 !== k2)
          .map(([b1, k1, b2, k2]) => ({ shapes: { heatmaps_targ: [b1, k1, 8, 8], keypoints_pred_2d_reprojected: [b2, k2, 2] }, keys: ['heatmaps_targ', 'keypoints_pred_2d_reprojected'] }));
    }
  };

  const ALL_BUT_REPROJECTION = LOSS_NAMES.filter((n) => n !== 'supervised_reprojection_heatmap_mse');

  it.each(ALL_BUT_REPROJECTION)('%s: a shape mismatch names the loss, both keys and both shapes', (name) => {
    fc.assert(
      fc.property(mismatchArb(name), ({ shapes, keys }) => {
        const e = callError(make(name, baseParams(name)), shapes);
        expect(e).toBeInstanceOf(LossInputError);
        expect(e.message.startsWith(`${name}: `), e.message).toBe(true);
        for (const k of keys) expect(e.message, e.message).toContain(`${k} ${shape(shapes[k])}`);
      }),
      runs(25),
    );
  });

  // BUG (message, src/pipeline/interpret.ts checkInputs + the gaussian_heatmaps transform): when
  // heatmaps_targ and keypoints_pred_2d_reprojected disagree in B or K, the message names the
  // internal key and shape 'heatmaps_reprojected (2,2,8,8)' instead of the user's
  // 'keypoints_pred_2d_reprojected (2,2,2)'; e.g. "supervised_reprojection_heatmap_mse:
  // heatmaps_reprojected (2,2,8,8) vs heatmaps_targ (2,3,8,8): heatmap_mse needs equal shapes".
  it('supervised_reprojection_heatmap_mse: a shape mismatch names the loss, both keys and both shapes', () => {
    const name = 'supervised_reprojection_heatmap_mse';
    fc.assert(
      fc.property(mismatchArb(name), ({ shapes, keys }) => {
        const e = callError(make(name, GEOM), shapes);
        expect(e).toBeInstanceOf(LossInputError);
        expect(e.message.startsWith(`${name}: `), e.message).toBe(true);
        for (const k of keys) expect(e.message, e.message).toContain(`${k} ${shape(shapes[k])}`);
      }),
      runs(25),
    );
  });

  it('supervised_reprojection_heatmap_mse: a shape mismatch still names the loss, heatmaps_targ and its shape', () => {
    const name = 'supervised_reprojection_heatmap_mse';
    fc.assert(
      fc.property(mismatchArb(name), ({ shapes }) => {
        const e = callError(make(name, GEOM), shapes);
        expect(e).toBeInstanceOf(LossInputError);
        expect(e.message.startsWith(`${name}: `), e.message).toBe(true);
        expect(e.message).toContain(`heatmaps_targ ${shape(shapes.heatmaps_targ)}`);
      }),
      runs(15),
    );
  });

  it('the example of the brief: heatmaps_pred (2,3,8,8) vs heatmaps_targ (2,3,4,4)', () => {
    for (const name of ['heatmap_mse', 'heatmap_kl', 'heatmap_js']) {
      const e = callError(make(name), { heatmaps_targ: [2, 3, 4, 4], heatmaps_pred: [2, 3, 8, 8] });
      expect(e.message).toBe(`${name}: heatmaps_pred (2,3,8,8) vs heatmaps_targ (2,3,4,4): ${name} needs equal shapes`);
    }
  });

  it('a wrong rank names the key, its shape and the rank expected', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LOSS_NAMES), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }), fc.nat(), (name, bad, which) => {
        const good = lossShapes(name);
        const key = Object.keys(good)[which % Object.keys(good).length];
        fc.pre(bad.length !== good[key].length);
        const e = callError(make(name, baseParams(name)), { ...good, [key]: bad });
        expect(e).toBeInstanceOf(LossInputError);
        expect(e.message).toContain(`${name}: ${key} ${shape(bad)}: expected rank ${good[key].length}`);
      }),
      runs(40),
    );
  });

  it('an odd number of keypoint columns (2K) is named with key and shape', () => {
    fc.assert(
      fc.property(fc.constantFrom('regression', 'rmse', 'temporal'), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 5 }), fc.boolean(), (name, B, k, onTarget) => {
        const odd = [B, 2 * k + 1];
        const even = [B, 2 * k + 2];
        const shapes: Record<string, number[]> = name === 'temporal' ? { keypoints_pred: odd } : onTarget ? { keypoints_targ: odd, keypoints_pred: even } : { keypoints_targ: even, keypoints_pred: odd };
        const key = name === 'temporal' || !onTarget ? 'keypoints_pred' : 'keypoints_targ';
        const e = callError(make(name), shapes);
        expect(e).toBeInstanceOf(LossInputError);
        expect(e.message).toContain(`${name}: ${key} ${shape(odd)}: expected an even number of columns`);
        expect(e.message).toContain(`got ${2 * k + 1}`);
      }),
      runs(30),
    );
  });

  it('a per-keypoint epsilon of the wrong length names both lengths, the key and its shape', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TEMPORAL_LOSSES),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 6 }),
        fc.array(num(0, 3), { minLength: 1, maxLength: 8 }),
        (name, K, B, eps) => {
          fc.pre(eps.length !== K);
          const shapes: Record<string, number[]> = name === 'temporal' ? { keypoints_pred: [B, 2 * K] } : { heatmaps_pred: [B, K, 3, 3], confidences: [B, K] };
          const key = name === 'temporal' ? 'keypoints_pred' : 'heatmaps_pred';
          const e = callError(make(name, { epsilon: eps }), shapes);
          expect(e).toBeInstanceOf(LossInputError);
          expect(e.message).toContain(`${name}: epsilon has ${eps.length} values (one per keypoint), but ${key} ${shape(shapes[key])} has ${K} keypoints`);
        },
      ),
      runs(40),
    );
  });

  it('a per-keypoint epsilon of the wrong length in a user pipeline is caught too', () => {
    fc.assert(
      fc.property(fc.constantFrom('squared_error', 'huber', 'euclidean', 'rms_error'), fc.integer({ min: 1, max: 5 }), fc.array(num(0, 3), { minLength: 1, maxLength: 8 }), (compute, K, eps) => {
        fc.pre(eps.length !== K);
        const r = buildPipeline('custom', 0, [{ compute, of: ['keypoints_targ', 'keypoints_pred'] }, { rectify: 'epsilon', epsilon: eps }, { reduce: 'mean' }]);
        expect(either.isRight(r)).toBe(true);
        const e = callError((r as either.Right<ReturnType<typeof make>>).right, { keypoints_targ: [2, 2 * K], keypoints_pred: [2, 2 * K] });
        expect(e.message).toContain(`custom: epsilon has ${eps.length} values (one per keypoint), but keypoints_pred (2,${2 * K}) has ${K} keypoints`);
      }),
      runs(25),
    );
  });
});

/** Valid shapes per loss (small), to break one of them. */
const lossShapes = (name: LossName): Record<string, number[]> => {
  switch (name) {
    case 'heatmap_mse':
    case 'heatmap_kl':
    case 'heatmap_js':
      return { heatmaps_targ: [2, 3, 4, 4], heatmaps_pred: [2, 3, 4, 4] };
    case 'regression':
    case 'rmse':
      return { keypoints_targ: [2, 6], keypoints_pred: [2, 6] };
    case 'temporal':
      return { keypoints_pred: [3, 6], confidences: [3, 3] };
    case 'temporal_heatmap_mse':
    case 'temporal_heatmap_kl':
      return { heatmaps_pred: [3, 3, 4, 4], confidences: [3, 3] };
    case 'supervised_pairwise_projections':
      return { keypoints_targ_3d: [2, 3, 3], keypoints_pred_3d: [2, 2, 3, 3] };
    case 'supervised_reprojection_heatmap_mse':
      return { heatmaps_targ: [2, 3, 8, 8], keypoints_pred_2d_reprojected: [2, 3, 2] };
  }
};

describe('bad configurations', () => {
  const nonFinite = fc.constantFrom<unknown>(NaN, Infinity, -Infinity, '1.0', null, [1]);

  it('a non-finite (or non-number) log_weight is an issue at <loss>.log_weight, for every loss', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LOSS_NAMES), nonFinite, (name, lw) => {
        const issues = issuesOf(createLoss(name as string, { ...baseParams(name), log_weight: lw }));
        const i = issues.find((x) => x.path === `${name}.log_weight`);
        expect(i, formatIssues(issues)).toBeDefined();
        expect(i!.message).toMatch(/^expected a finite number, got /);
        // the throwing convenience carries the same messages
        const e = thrown(() => createLossOrThrow(name as string, { ...baseParams(name), log_weight: lw }));
        expect(e).toBeInstanceOf(PoselossError);
        expect(e.message).toBe(formatIssues(issues));
      }),
      runs(30),
    );
  });

  it('a non-finite log_weight handed to buildPipeline is an issue at <name>.log_weight', () => {
    fc.assert(
      fc.property(fc.constantFrom(NaN, Infinity, -Infinity), (lw) => {
        const issues = issuesOf(buildPipeline('custom', lw, [{ compute: 'squared_error', of: ['keypoints_targ', 'keypoints_pred'] }, { reduce: 'mean' }]));
        expect(issues).toEqual([{ path: 'custom.log_weight', message: `expected a finite number, got ${lw}` }]);
      }),
      runs(5),
    );
  });

  it('an unknown loss name is an issue suggesting the closest known name', () => {
    fc.assert(
      fc.property(typoArb(lossNames()), ({ typo }) => {
        const issues = issuesOf(createLoss(typo, {}));
        expect(issues).toHaveLength(1);
        expect(issues[0].path).toBe(typo);
        expect(issues[0].message).toContain(`unknown loss '${typo}'`);
        expectClosestSuggested(issues[0].message, typo, lossNames());
      }),
      runs(60),
    );
  });

  it('a name far from every known loss lists the known names', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{30,40}$/), (name) => {
        const [i] = issuesOf(createLoss(name, {}));
        expect(i.message).toBe(`unknown loss '${name}' (known: ${lossNames().join(', ')})`);
      }),
      runs(10),
    );
  });

  const PIPE_OF: Record<Phase, Record<string, unknown>> = {
    transform: { transform: 'gaussian_heatmaps', as: 'heatmaps_reprojected', image_height: 8, image_width: 8, heatmap_height: 4, heatmap_width: 4 },
    mask: { mask: 'nan_targets', of: 'keypoints_targ' },
    compute: { compute: 'squared_error', of: ['keypoints_targ', 'keypoints_pred'] },
    rectify: { rectify: 'epsilon', epsilon: 1 },
    reduce: { reduce: 'mean' },
  };

  it('an unknown step name is an issue at its path suggesting the closest step of that phase', () => {
    const phases = ['mask', 'compute', 'rectify', 'reduce'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...phases).chain((phase) => fc.tuple(fc.constant(phase), typoArb(stepNames(phase)))),
        ([phase, { typo }]) => {
          const steps = phases.map((p) => (p === phase ? { ...PIPE_OF[p], [p]: typo } : PIPE_OF[p]));
          const issues = issuesOf(buildPipeline('custom', 0, steps));
          const at = `custom.pipeline[${phases.indexOf(phase)}].${phase}`;
          const i = issues.find((x) => x.path === at);
          expect(i, formatIssues(issues)).toBeDefined();
          expect(i!.message).toContain(`unknown ${phase} step '${typo}'`);
          expectClosestSuggested(i!.message, typo, stepNames(phase));
        },
      ),
      runs(60),
    );
  });

  it('an unknown parameter key is an issue at its path suggesting the closest known key', () => {
    const known: Record<string, string[]> = {
      heatmap_mse: ['log_weight'],
      regression: ['log_weight', 'epsilon'],
      temporal: ['log_weight', 'epsilon', 'prob_threshold'],
      supervised_reprojection_heatmap_mse: ['log_weight', ...Object.keys(GEOM)],
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(known)).chain((name) => fc.tuple(fc.constant(name), typoArb(known[name]))),
        ([name, { typo }]) => {
          const issues = issuesOf(createLoss(name, { ...baseParams(name), [typo]: 1 }));
          const i = issues.find((x) => x.path === `${name}.${typo}`);
          expect(i, formatIssues(issues)).toBeDefined();
          expect(i!.message).toContain(`unknown key '${typo}'`);
          expectClosestSuggested(i!.message, typo, known[name]);
        },
      ),
      runs(50),
    );
  });

  it('out-of-range parameters are issues at their paths, all reported at once', () => {
    fc.assert(
      fc.property(
        fc.oneof(num(-10, -1e-6), num(1 + 1e-6, 10)),
        fc.oneof(num(-100, 0), fc.constant(0)),
        fc.double({ min: 1.01, max: 7.99, noNaN: true }).filter((x) => !Number.isInteger(x)),
        (thr, size, frac) => {
          const t = issuesOf(createLoss('temporal', { prob_threshold: thr }));
          expect(t).toEqual([{ path: 'temporal.prob_threshold', message: `expected a number in [0, 1], got ${thr}` }]);
          const r = issuesOf(createLoss('supervised_reprojection_heatmap_mse', { ...GEOM, original_image_height: size, downsampled_image_width: frac }));
          expect(r.map((i) => i.path).sort()).toEqual(['supervised_reprojection_heatmap_mse.downsampled_image_width', 'supervised_reprojection_heatmap_mse.original_image_height']);
        },
      ),
      runs(30),
    );
  });

  it('a bad epsilon (non-number, or a list holding a non-finite value) is an issue at <loss>.epsilon', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('temporal', 'temporal_heatmap_mse', 'regression', 'rmse'),
        fc.oneof(fc.constant<unknown>('x'), fc.constant<unknown>(NaN), fc.array(num(0, 3), { minLength: 0, maxLength: 4 }).map((xs) => [...xs, NaN] as unknown)),
        (name, eps) => {
          const issues = issuesOf(createLoss(name as string, { epsilon: eps }));
          expect(issues.length).toBeGreaterThan(0);
          expect(issues.every((i) => i.path.startsWith(`${name}.epsilon`)), formatIssues(issues)).toBe(true);
        },
      ),
      runs(30),
    );
  });
});

describe('valid parameters decode', () => {
  /** Parameters drawn from what each codec's leaves accept (finite, [0, 1], positive, integer grid sizes). */
  const paramsArb = (name: LossName): fc.Arbitrary<Record<string, unknown>> => {
    if (name === 'supervised_reprojection_heatmap_mse') return reprojectionParamsArb;
    if (TEMPORAL_LOSSES.includes(name)) return fc.record({ log_weight: logWeightArb, epsilon: epsilonArb(3, -5, 50), prob_threshold: thresholdArb }, { requiredKeys: [] });
    if (name === 'regression' || name === 'rmse') return fc.record({ log_weight: logWeightArb, epsilon: epsilonArb(3, -5, 50) }, { requiredKeys: [] });
    return fc.record({ log_weight: logWeightArb }, { requiredKeys: [] });
  };
  const codecOf = (name: LossName) =>
    name === 'supervised_reprojection_heatmap_mse' ? ReprojectionParams : TEMPORAL_LOSSES.includes(name) ? TemporalParams : name === 'regression' || name === 'rmse' ? RegressionParams : WeightOnly;

  it.each(LOSS_NAMES)('%s: random valid parameters decode and build; the loss reports them', (name) => {
    fc.assert(
      fc.property(paramsArb(name), (params) => {
        // the arbitrary agrees with the codec's own leaves
        if ('log_weight' in params) expect(finite.is(params.log_weight)).toBe(true);
        if ('epsilon' in params) expect(either.isRight(Epsilon.decode(params.epsilon))).toBe(true);
        if ('prob_threshold' in params) expect(inRange(0, 1).is(params.prob_threshold)).toBe(true);
        if ('original_image_height' in params) expect(positive.is(params.original_image_height)).toBe(true);
        const decoded = codecOf(name).decode(params);
        expect(either.isRight(decoded), either.isLeft(decoded) ? JSON.stringify(decoded.left.map((e) => e.message)) : '').toBe(true);
        const r = createLoss(name, params);
        expect(either.isRight(r), either.isLeft(r) ? formatIssues(r.left) : '').toBe(true);
        const loss = (r as either.Right<ReturnType<typeof make>>).right;
        const lw = (params.log_weight as number | undefined) ?? 0;
        expect(loss.logWeight).toBe(lw);
        expect(loss.weight).toBe(1 / (2 * Math.exp(lw)));
        if (TEMPORAL_LOSSES.includes(name)) expect(loss.epsilon).toEqual(params.epsilon ?? 0);
        // decoding is idempotent: the decoded value decodes to itself
        const again = codecOf(name).decode((decoded as either.Right<unknown>).right);
        expect(again).toEqual(decoded);
      }),
      runs(40),
    );
  });
});

describe('D1: an empty batch (B = 0)', () => {
  /** Zero-row shapes for a loss: K keypoints, H×W maps, P camera pairs. */
  const emptyShapes = (name: LossName, K: number, H: number, W: number, P: number): Record<string, number[]> => {
    return Object.fromEntries(
      Object.keys(lossShapes(name)).map((k) => {
        if (k === 'keypoints_pred_3d') return [k, [0, P, K, 3]];
        if (k.startsWith('heatmaps')) return [k, name === 'supervised_reprojection_heatmap_mse' ? [0, K, 8, 8] : [0, K, H, W]];
        if (k === 'confidences') return [k, [0, K]];
        if (k === 'keypoints_targ_3d') return [k, [0, K, 3]];
        if (k === 'keypoints_pred_2d_reprojected') return [k, [0, K, 2]];
        return [k, [0, 2 * K]];
      }),
    );
  };

  // BUG (src/pipeline/interpret.ts, `run`: `count = drop.sum().mul(v.size / drop.size)`): with a
  // batch of 0 frames, v.size / drop.size is 0/0 = NaN, so every loss with a drop mask (heatmap_*,
  // regression, rmse, supervised_*) returns NaN instead of the empty reduction's 0 (D1); e.g.
  // createLossOrThrow('regression')({ keypoints_targ: tf.zeros([0, 4]), keypoints_pred: tf.zeros([0, 4]) }).loss → NaN.
  // temporal / temporal_heatmap_* with B = 0 throw a raw tfjs error ("Invalid typed array length: -4"
  // on wasm, "Operands could not be broadcast together with shapes -1,4 and 0,4" on cpu) from
  // framePairs (src/pipeline/layout.ts) instead of returning 0 or a LossInputError naming the loss.
  it.each(LOSS_NAMES)('%s: loss exactly 0, or a clear LossInputError naming the loss', (name) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), (K, H, W, P) => {
        const loss = make(name, baseParams(name));
        const ts = Object.fromEntries(Object.entries(emptyShapes(name, K, H, W, P)).map(([k, s]) => [k, tf.zeros(s)]));
        try {
          let value: number;
          try {
            const r = loss(ts);
            value = r.loss.dataSync()[0];
            tf.dispose([r.loss, r.weight, r.weighted]);
          } catch (e) {
            expect(e).toBeInstanceOf(LossInputError);
            expect((e as Error).message.startsWith(`${name}: `)).toBe(true);
            return;
          }
          expect(value).toBe(0);
        } finally {
          tf.dispose(Object.values(ts));
        }
      }),
      runs(10),
    );
  });
});

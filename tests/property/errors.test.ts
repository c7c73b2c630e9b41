/**
 * Bad inputs and bad configurations fail with messages that say what and where: the loss,
 * the keys and shapes involved, the path of a bad parameter, the closest known name.
 * Good parameters (drawn from what the codecs accept) always decode.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues, LossInputError, PoselossError, type PoselossIssue } from '../../src/config/issues.js';
import { buildPipeline } from '../../src/losses/build.js';
import { createLoss, createLossOrThrow, getLossDef, lossNames } from '../../src/losses/registry.js';
import { INPUT_TABLE, isInputKey } from '../../src/pipeline/keys.js';
import type { Labels, Phase } from '../../src/pipeline/step.js';
import { stepNames } from '../../src/steps/registry.js';
import { arbitraryFromCodec, strictShape } from '../config/arbitraryFromCodec.js';
import { type Inputs, make, num, runs, TEMPORAL_LOSSES } from './arbitraries.js';
import { lossPipeline, type PipelineCase, pipelineCaseArb } from './registryCases.js';

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
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
};

/** A one-edit typo of one of `names` that is none of them. */
const typoArb = (names: readonly string[]): fc.Arbitrary<{ word: string; typo: string }> =>
  fc
    .record({
      word: fc.constantFrom(...names),
      at: fc.nat(),
      op: fc.constantFrom('insert', 'delete', 'replace', 'swap'),
      ch: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_'),
    })
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

describe('bad inputs', () => {
  // a missing key and extra keys: tests/property/lossRegistry.test.ts, for every registered loss

  /** A registered loss, a valid call of it, and one key it reads. */
  const callArb = fc.constantFrom(...lossNames()).chain((name) => {
    const { params, specs } = lossPipeline(name);
    return fc.tuple(fc.constant(name), fc.constant(params), pipelineCaseArb(specs, { minB: 2 }), fc.nat());
  });
  const shapesOf = (inputs: Inputs): Record<string, number[]> => Object.fromEntries(Object.entries(inputs).map(([k, a]) => [k, [...a.shape]]));
  const withLabels = (name: string, params: Record<string, unknown>, { labels, cameras }: PipelineCase) => createLossOrThrow(name, params, { labels, cameras });

  it('a batch-size mismatch between two keys names the loss, the key changed and its shape, and another key it reads', () => {
    fc.assert(
      fc.property(callArb, ([name, params, c, which]) => {
        const { inputs } = c;
        const keys = Object.keys(inputs).filter(isInputKey);
        fc.pre(keys.length > 1);
        const key = keys[which % keys.length];
        const shapes = shapesOf(inputs);
        shapes[key] = [shapes[key][0] + 1, ...shapes[key].slice(1)];
        const e = callError(withLabels(name, params, c), shapes);
        expect(e).toBeInstanceOf(LossInputError);
        expect(e.message.startsWith(`${name}: `), e.message).toBe(true);
        expect(e.message, e.message).toContain(`${key} ${shape(shapes[key])}`);
        expect(
          keys.some((k) => k !== key && e.message.includes(`${k} ${shape(shapes[k])}`)),
          e.message,
        ).toBe(true);
      }),
      runs(40),
    );
  });

  it('supervised_reprojection_heatmap_mse: the caller’s keypoints are named, not the heatmaps rendered from them', () => {
    const e = callError(make('supervised_reprojection_heatmap_mse', GEOM), { heatmaps_targ: [2, 3, 8, 8], keypoints_pred_2d_reprojected: [2, 2, 2] });
    expect(e.message).toContain('keypoints_pred_2d_reprojected (2,2,2)');
    expect(e.message).toContain('heatmaps_targ (2,3,8,8)');
  });

  it('the example of the brief: heatmaps_pred (2,3,8,8) vs heatmaps_targ (2,3,4,4)', () => {
    for (const name of ['heatmap_mse', 'heatmap_kl', 'heatmap_js']) {
      const e = callError(make(name), { heatmaps_targ: [2, 3, 4, 4], heatmaps_pred: [2, 3, 8, 8] });
      expect(e.message).toBe(`${name}: heatmaps_pred (2,3,8,8) vs heatmaps_targ (2,3,4,4): ${name} needs equal shapes`);
    }
  });

  it('a wrong rank names the key, its shape and the rank expected', () => {
    fc.assert(
      fc.property(callArb, fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }), ([name, params, c, which], bad) => {
        const { inputs } = c;
        const keys = Object.keys(inputs).filter(isInputKey);
        const key = keys[which % keys.length];
        const rank = INPUT_TABLE[key].axes.length;
        fc.pre(bad.length !== rank);
        const e = callError(withLabels(name, params, c), { ...shapesOf(inputs), [key]: bad });
        expect(e).toBeInstanceOf(LossInputError);
        expect(e.message).toContain(`${name}: ${key} ${shape(bad)}: expected rank ${rank}`);
      }),
      runs(40),
    );
  });

  it('an odd number of keypoint columns (2K) is named with key and shape', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('regression', 'rmse', 'temporal'),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        (name, B, k, onTarget) => {
          const odd = [B, 2 * k + 1];
          const even = [B, 2 * k + 2];
          const shapes: Record<string, number[]> =
            name === 'temporal'
              ? { keypoints_pred: odd }
              : onTarget
                ? { keypoints_targ: odd, keypoints_pred: even }
                : { keypoints_targ: even, keypoints_pred: odd };
          const key = name === 'temporal' || !onTarget ? 'keypoints_pred' : 'keypoints_targ';
          const e = callError(make(name), shapes);
          expect(e).toBeInstanceOf(LossInputError);
          expect(e.message).toContain(`${name}: ${key} ${shape(odd)}: expected an even number of columns`);
          expect(e.message).toContain(`got ${2 * k + 1}`);
        },
      ),
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
      fc.property(
        fc.constantFrom('squared_error', 'huber', 'euclidean', 'rms_error'),
        fc.integer({ min: 1, max: 5 }),
        fc.array(num(0, 3), { minLength: 1, maxLength: 8 }),
        (compute, K, eps) => {
          fc.pre(eps.length !== K);
          const r = buildPipeline('custom', 0, [
            { compute, of: ['keypoints_targ', 'keypoints_pred'] },
            { rectify: 'epsilon', epsilon: eps },
            { reduce: 'mean' },
          ]);
          expect(either.isRight(r)).toBe(true);
          const e = callError((r as either.Right<ReturnType<typeof make>>).right, { keypoints_targ: [2, 2 * K], keypoints_pred: [2, 2 * K] });
          expect(e.message).toContain(`custom: epsilon has ${eps.length} values (one per keypoint), but keypoints_pred (2,${2 * K}) has ${K} keypoints`);
        },
      ),
      runs(25),
    );
  });
});

describe('bad configurations', () => {
  const nonFinite = fc.constantFrom<unknown>(NaN, Infinity, -Infinity, '1.0', null, [1]);

  it('a non-finite (or non-number) log_weight is an issue at <loss>.log_weight, for every loss', () => {
    fc.assert(
      fc.property(fc.constantFrom(...lossNames()), nonFinite, (name, lw) => {
        const issues = issuesOf(createLoss(name, { ...lossPipeline(name).params, log_weight: lw }));
        const i = issues.find((x) => x.path === `${name}.log_weight`);
        expect(i, formatIssues(issues)).toBeDefined();
        expect(i!.message).toMatch(/^expected a finite number, got /);
        // the throwing convenience carries the same messages
        const e = thrown(() => createLossOrThrow(name, { ...lossPipeline(name).params, log_weight: lw }));
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
    // the keys each registered loss's parameter codec knows
    const known: Record<string, readonly string[]> = Object.fromEntries(lossNames().map((n) => [n, strictShape(getLossDef(n)!.params)?.keys ?? []]));
    fc.assert(
      fc.property(
        fc.constantFrom(...lossNames().filter((n) => known[n].length > 0)).chain((name) => fc.tuple(fc.constant(name), typoArb(known[name]))),
        ([name, { typo }]) => {
          const issues = issuesOf(createLoss(name, { ...lossPipeline(name).params, [typo]: 1 }));
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
          expect(r.map((i) => i.path).sort()).toEqual([
            'supervised_reprojection_heatmap_mse.downsampled_image_width',
            'supervised_reprojection_heatmap_mse.original_image_height',
          ]);
        },
      ),
      runs(30),
    );
  });

  it('a bad epsilon (non-number, or a list holding a non-finite value) is an issue at <loss>.epsilon', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('temporal', 'temporal_heatmap_mse', 'regression', 'rmse'),
        fc.oneof(
          fc.constant<unknown>('x'),
          fc.constant<unknown>(NaN),
          fc.array(num(0, 3), { minLength: 0, maxLength: 4 }).map((xs) => [...xs, NaN] as unknown),
        ),
        (name, eps) => {
          const issues = issuesOf(createLoss(name as string, { epsilon: eps }));
          expect(issues.length).toBeGreaterThan(0);
          expect(
            issues.every((i) => i.path.startsWith(`${name}.epsilon`)),
            formatIssues(issues),
          ).toBe(true);
        },
      ),
      runs(30),
    );
  });
});

describe('valid parameters decode', () => {
  const labels = { data: Float64Array.from({ length: 40 * 8 }, (_, i) => Math.sin(i * 1.7) * 50 + (i % 8) * 10), rows: 40, cols: 8 };

  it.each(lossNames())('%s: random valid parameters (drawn from its codec) decode, idempotently; a built loss reports its weight', (name) => {
    const def = getLossDef(name)!;
    fc.assert(
      fc.property(arbitraryFromCodec(def.params), (drawn) => {
        const params = { ...(drawn as Record<string, unknown>), ...def.example };
        const decoded = def.params.decode(params);
        expect(either.isRight(decoded), either.isLeft(decoded) ? JSON.stringify(decoded.left.map((e) => e.message)) : '').toBe(true);
        // decoding is idempotent: the decoded value decodes to itself
        expect(def.params.decode((decoded as either.Right<unknown>).right)).toEqual(decoded);
        const r = createLoss(name, params, { labels });
        if (either.isLeft(r)) {
          // decoded parameters may still not fit these labels (an empty column list): then the
          // issue is the PCA fit's, at its pipeline step, never a parameter's
          expect(
            r.left.every((i) => i.path.startsWith(`${name}.pipeline[`)),
            formatIssues(r.left),
          ).toBe(true);
          return;
        }
        const lw = (params.log_weight as number | undefined) ?? 0;
        expect(r.right.logWeight).toBe(lw);
        expect(r.right.weight).toBe(1 / (2 * Math.exp(lw)));
      }),
      runs(30),
    );
  });
});

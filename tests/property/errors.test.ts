/**
 * Bad inputs and bad configurations fail with messages that say what and where: the loss,
 * the keys and shapes involved, the path of a bad parameter, the closest known name.
 * Per-loss checks run on every registered loss (tests/property/errorSuite.ts); here the
 * pinned examples, user pipelines, and unknown loss and step names.
 */
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { buildPipeline } from '../../src/losses/build.js';
import { createLoss, lossNames } from '../../src/losses/registry.js';
import type { Phase } from '../../src/pipeline/step.js';
import { stepNames } from '../../src/steps/registry.js';
import { make, num, runs } from './arbitraries.js';
import { callError, describeLossErrors, expectClosestSuggested, issuesOf, selectedFor, typoArb } from './errorSuite.js';
import { flatComputes, flatParamsArb } from './reference.js';

/** Geometry every reprojection case needs. */
const GEOM = { original_image_height: 32, original_image_width: 32, downsampled_image_height: 8, downsampled_image_width: 8 };

describeLossErrors(lossNames());

it('every check that applies to some losses selects some registered losses', () => {
  for (const [check, names] of Object.entries(selectedFor(lossNames()))) expect(names.length, check).toBeGreaterThan(0);
});

describe('bad inputs', () => {
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

  it('a per-keypoint epsilon of the wrong length in a user pipeline is caught too', () => {
    fc.assert(
      fc.property(
        // every registered compute on a flat (target, prediction) pair, with parameters from its own generator
        fc.constantFrom(...flatComputes()).chain((compute) => fc.tuple(fc.constant(compute), flatParamsArb(compute))),
        fc.integer({ min: 1, max: 5 }),
        fc.array(num(0, 3), { minLength: 1, maxLength: 8 }),
        ([compute, params], K, eps) => {
          fc.pre(eps.length !== K);
          const r = buildPipeline('custom', 0, [
            { compute, of: ['keypoints_targ', 'keypoints_pred'], ...params },
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
});

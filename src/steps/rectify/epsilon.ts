import { either } from 'fp-ts';
import * as t from 'io-ts';
import { Epsilon, finite, strict } from '../../config/codecs.js';
import { issue } from '../../config/issues.js';
import type { StepDef } from '../../pipeline/step.js';
import { num, relu } from '../reference.js';

const codec = strict(
  'rectify: epsilon',
  { rectify: t.literal('epsilon'), epsilon: t.union([Epsilon, t.literal('fitted')], "a number, a list (one per keypoint) or 'fitted'"), multiplier: finite },
  { multiplier: 1 },
);

/**
 * relu(value − ε): values ≤ ε become 0, larger ones shrink by ε (a shift, not a mask).
 * ε is a number, one number per keypoint, or `fitted` — the compute step's fitted epsilon
 * (PCA's empirical percentile) times `multiplier`.
 */
export const epsilon: StepDef<t.TypeOf<typeof codec>> = {
  phase: 'rectify',
  name: 'epsilon',
  doc: 'relu(value − epsilon); epsilon a number, one per keypoint, or `fitted` (× multiplier)',
  codec,
  build: (p, ctx, sofar) => {
    if (p.epsilon === 'fitted') {
      const fitted = sofar.compute?.fitted?.epsilon;
      if (fitted === undefined)
        return either.left([issue(`${ctx.path}.epsilon`, `'fitted' needs a compute step that fits an epsilon (pca_reprojection) before it`)]);
      // D5: a NaN empirical epsilon is a build error, never a NaN loss later
      if (!Number.isFinite(fitted))
        return either.left([issue(ctx.path, String(sofar.compute?.fitted?.epsilonProblem ?? `the fitted epsilon is ${fitted}: set an explicit epsilon`))]);
      return either.right({ phase: 'rectify', name: 'epsilon', epsilon: fitted * p.multiplier });
    }
    if (typeof p.epsilon !== 'number') {
      if (sofar.compute && !sofar.compute.layout.perKeypoint)
        return either.left([issue(`${ctx.path}.epsilon`, `${sofar.compute.name} takes one epsilon, not a list`)]);
      return either.right({ phase: 'rectify', name: 'epsilon', epsilon: p.epsilon.map((e) => e * p.multiplier) });
    }
    return either.right({ phase: 'rectify', name: 'epsilon', epsilon: p.epsilon * p.multiplier });
  },
  reference: {
    phase: 'rectify',
    // explicit epsilons (a fitted one is a PCA compute's: tests/pca); a list is one per keypoint
    cases: (fc, opts = {}) =>
      (opts.spec
        ? fc.constant(opts.spec)
        : fc
            .record({
              epsilon: fc.oneof<number | number[]>(num(fc, 0, 5), fc.array(num(fc, 0, 5), { minLength: 1, maxLength: 4 })),
              multiplier: fc.oneof(fc.constant(1), num(fc, 0, 3)),
            })
            .map((ps) => ({ rectify: 'epsilon', ...ps }))
      ).map((spec) => ({ spec, inputs: {} })),
    apply: (p, v, k) => {
      if (p.epsilon === 'fitted') throw new Error('epsilon reference: a fitted epsilon is the compute step’s');
      return relu(v - (typeof p.epsilon === 'number' ? p.epsilon : p.epsilon[k]) * p.multiplier);
    },
  },
};

/**
 * Codecs by property, with arbitraries derived from the codecs themselves
 * (./arbitraryFromCodec.ts): every loss-parameter codec, every step codec, the composed-loss
 * and anneal codecs; then whole Lightning Pose configs built from those arbitraries plus the
 * context the codecs cannot know (keypoint count, input keys, which masks fit which compute).
 *
 * - a value generated valid always decodes; a config generated valid always decodes, checks
 *   and (without PCA, which needs labels) builds — as plain data and through YAML;
 * - a mutation (wrong type, unknown key, out-of-range value) always gives ≥ 1 issue whose
 *   path starts with the mutated path, and nothing ever throws.
 */

import fc from 'fast-check';
import { either } from 'fp-ts';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import * as YAML from 'yaml';
import { formatIssues, type PoselossIssue } from '../../src/config/issues.js';
import { AnnealParams, decodeConfig } from '../../src/config/lightningPose.js';
import { report } from '../../src/config/reporter.js';
import { parseYaml } from '../../src/config/yaml.js';
import { getLossDef, lossNames } from '../../src/losses/registry.js';
import { checkConfig } from '../../src/lp/check.js';
import { buildLossFactories, ComposedLoss } from '../../src/lp/factory.js';
import type { StepDef } from '../../src/pipeline/step.js';
import { allSteps } from '../../src/steps/registry.js';
import { FC, real } from '../property/fastCheck.js';
import { type AnyCodec, arbitraryFromCodec, invalidFor, OUT_OF_RANGE, rejects, strictShape } from './arbitraryFromCodec.js';

const stepDef = (phase: string, name: string): StepDef => {
  const d = allSteps().find((s) => s.phase === phase && s.name === name);
  if (!d) throw new Error(`no ${phase} step '${name}'`);
  return d;
};

/** Every codec a config's loss parts go through, by a readable name. */
const CODECS: readonly [string, AnyCodec][] = [
  ...lossNames().map((n): [string, AnyCodec] => [`losses.${n}`, getLossDef(n)!.params]),
  ...allSteps().map((s): [string, AnyCodec] => [`step ${s.phase}: ${s.name}`, s.codec]),
  ['a composed loss block', ComposedLoss],
  ['callbacks.anneal_weight', AnnealParams],
];

const fmt = (issues: readonly PoselossIssue[]) => formatIssues(issues);

describe('arbitraries derived from the codecs', () => {
  it('every strict codec is read back from itself: its keys, their codecs, which are required', () => {
    for (const [what, c] of CODECS) expect(strictShape(c), what).not.toBeNull();
    expect(strictShape(getLossDef('temporal')!.params)).toMatchObject({ keys: ['log_weight', 'epsilon', 'prob_threshold'], required: [] });
    const huber = strictShape(stepDef('compute', 'huber').codec)!;
    expect(huber.keys).toEqual(['compute', 'of', 'delta']);
    expect(huber.required).toEqual(['compute', 'of']);
    expect(huber.props.delta.name).toBe('a positive number');
    expect(strictShape(getLossDef('pca_singleview')!.params)!.props.empirical_epsilon_percentile.name).toBe('a number in [0, 100]');
    expect(strictShape(AnnealParams)!.props.freeze_until_epoch.name).toBe('an integer ≥ 0');
  });

  it('the pools of invalid values hit every leaf: each prop of each codec rejects something', () => {
    for (const [what, c] of CODECS) {
      const s = strictShape(c)!;
      for (const k of s.keys) if (s.props[k] !== t.unknown) expect(invalidFor(s.props[k]).length, `${what}.${k}`).toBeGreaterThan(0);
    }
  });

  describe.each(CODECS)('%s', (what, codec) => {
    const s = strictShape(codec)!;

    it('a value generated from the codec decodes', () => {
      fc.assert(
        fc.property(arbitraryFromCodec(codec), (v) => {
          const r = codec.decode(v);
          if (either.isLeft(r)) expect.fail(`${JSON.stringify(v)}: ${fmt(report(r.left, 'x'))}`);
        }),
        { numRuns: 40 },
      );
    });

    it('a wrong-type or out-of-range value at any key: an issue at that key', () => {
      const sites = s.keys.flatMap((k) => invalidFor(s.props[k]).map((bad) => [k, bad] as const));
      fc.assert(
        fc.property(arbitraryFromCodec(codec), fc.constantFrom(...sites), (v, [k, bad]) => {
          const r = codec.decode({ ...(v as object), [k]: bad });
          expect(either.isLeft(r)).toBe(true);
          const issues = report(either.isLeft(r) ? r.left : [], 'p');
          expect(
            issues.some((i) => i.path === `p.${k}` || i.path.startsWith(`p.${k}.`) || i.path.startsWith(`p.${k}[`)),
            fmt(issues),
          ).toBe(true);
        }),
        { numRuns: 40 },
      );
    });

    it('an unknown key: an issue at that key naming it (and the closest known key when there is one)', () => {
      const key = fc.stringMatching(/^[a-z][a-z_]{0,10}$/).filter((k) => !s.keys.includes(k));
      fc.assert(
        fc.property(arbitraryFromCodec(codec), key, (v, k) => {
          const r = codec.decode({ ...(v as object), [k]: 1 });
          const issues = either.isLeft(r) ? report(r.left, 'p') : [];
          expect(issues.find((i) => i.path === `p.${k}`)?.message, fmt(issues)).toMatch(
            new RegExp(`^unknown key '${k}' \\((did you mean '[a-z_]+'\\?|known: .*)\\)$`),
          );
        }),
        { numRuns: 30 },
      );
    });

    it('decoding anything never throws', () => {
      fc.assert(
        fc.property(fc.anything({ maxDepth: 2 }), (u) => {
          const r = codec.decode(u);
          if (either.isLeft(r)) report(r.left, 'p');
        }),
        { numRuns: 50 },
      );
    });
  });
});

// ---------------------------------------------------------------------------------------
// Whole configs

/** A step of the vocabulary with random (codec-derived) parameters and some fixed by context. */
const stepArb = (phase: string, name: string, fixed: Record<string, unknown> = {}): fc.Arbitrary<Record<string, unknown>> =>
  arbitraryFromCodec(stepDef(phase, name).codec).map((s) => ({ ...(s as object), ...fixed }));

const num = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** One value from each arbitrary, as a list (possibly empty). */
const allOf = <T>(arbs: readonly fc.Arbitrary<T>[]): fc.Arbitrary<T[]> => (arbs.length ? fc.tuple(...arbs).map((xs) => [...xs]) : fc.constant([]));

/** Which computes read which keys, and which masks fit them (what the codecs cannot say). */
interface Template {
  readonly computes: readonly string[];
  readonly of: string | readonly string[];
  readonly masks: readonly (readonly [string, string])[];
  readonly transform?: boolean;
}
const FLAT = ['keypoints_targ', 'keypoints_pred'];
const MAPS = ['heatmaps_targ', 'heatmaps_pred'];
const TEMPLATES: readonly Template[] = [
  {
    computes: ['squared_error', 'absolute_error', 'huber', 'smooth_l1'],
    of: FLAT,
    masks: [
      ['nan_targets', 'keypoints_targ'],
      ['nan_keypoints', 'keypoints_targ'],
      ['low_confidence', 'confidences'],
    ],
  },
  {
    computes: ['squared_error', 'absolute_error', 'huber', 'smooth_l1'],
    of: MAPS,
    masks: [
      ['empty_heatmaps', 'heatmaps_targ'],
      ['nan_keypoints', 'heatmaps_targ'],
      ['low_confidence', 'confidences'],
    ],
  },
  {
    computes: ['euclidean', 'rms_error'],
    of: FLAT,
    masks: [
      ['nan_keypoints', 'keypoints_targ'],
      ['nan_targets', 'keypoints_targ'],
      ['low_confidence', 'confidences'],
    ],
  },
  {
    computes: ['heatmap_mse', 'heatmap_kl', 'heatmap_js'],
    of: MAPS,
    masks: [
      ['empty_heatmaps', 'heatmaps_targ'],
      ['low_confidence', 'confidences'],
    ],
  },
  {
    computes: ['temporal_norm'],
    of: 'keypoints_pred',
    masks: [
      ['low_confidence_pairs', 'confidences'],
      ['low_confidence', 'confidences'],
      ['nan_keypoints', 'keypoints_pred'],
    ],
  },
  { computes: ['temporal_heatmap_mse', 'temporal_heatmap_kl'], of: 'heatmaps_pred', masks: [['low_confidence_pairs', 'confidences']] },
  {
    computes: ['euclidean_3d'],
    of: ['keypoints_targ_3d', 'keypoints_pred_3d'],
    masks: [
      ['nan_keypoints', 'keypoints_targ_3d'],
      ['nan_keypoints', 'keypoints_pred_3d'],
    ],
  },
  { computes: ['heatmap_mse'], of: ['heatmaps_targ', 'heatmaps_reprojected'], masks: [['empty_heatmaps', 'heatmaps_targ']], transform: true },
];

/** A valid pipeline: [transform] + masks and the compute in any order + [rectify] + reduce. */
const pipelineArb = (k: number) =>
  fc.constantFrom(...TEMPLATES).chain((tp) =>
    fc
      .record({
        compute: fc.constantFrom(...tp.computes).chain((c) => stepArb('compute', c, { of: tp.of })),
        masks: fc.subarray([...tp.masks]).chain((ms) => allOf(ms.map(([m, of]) => stepArb('mask', m, { of })))),
        transform: tp.transform
          ? stepArb('transform', 'gaussian_heatmaps', { of: 'keypoints_pred_2d_reprojected', as: 'heatmaps_reprojected' }).map((s) => [s])
          : fc.constant([]),
        rectify: fc.option(
          stepArb('rectify', 'epsilon').chain((s) =>
            fc.oneof(num(-5, 20), fc.array(num(0, 20), { minLength: k, maxLength: k })).map((epsilon) => ({ ...s, epsilon })),
          ),
          { nil: undefined },
        ),
        reduce: fc.constantFrom('mean', 'sum').chain((r) => stepArb('reduce', r)),
      })
      .chain((p) =>
        fc
          .shuffledSubarray([p.compute, ...p.masks], { minLength: p.masks.length + 1, maxLength: p.masks.length + 1 })
          .map((middle) => [...p.transform, ...middle, ...(p.rectify ? [p.rectify] : []), p.reduce]),
      ),
  );

/** Registered losses a config may select in losses_to_use: every one, from the registry. */
const SELECTABLE = lossNames();
/** Keys of a loss block that the wiring replaces by the data section's (the declaration's `fromData`, as the reference does for PCA). */
const fromDataKeys = (name: string): string[] => {
  const f = getLossDef(name)!.fromData;
  return f?.replace ? Object.keys(f.keys) : [];
};
const COMPOSED_NAMES = ['paw_huber', 'smooth_paws', 'my_loss'];

/** A built-in loss block from its parameter codec, per-keypoint epsilon lists resized to K. */
const builtinBlock = (name: string, k: number) =>
  arbitraryFromCodec(getLossDef(name)!.params).map((b) => {
    const block = { ...(b as Record<string, unknown>) };
    if (Array.isArray(block.epsilon)) block.epsilon = Array.from({ length: k }, (_, i) => (block.epsilon as number[])[i] ?? 1);
    for (const key of fromDataKeys(name)) delete block[key];
    return block;
  });

const composedBlock = (k: number) => arbitraryFromCodec(ComposedLoss).chain((b) => pipelineArb(k).map((pipeline) => ({ ...(b as object), pipeline })));

interface Generated {
  readonly k: number;
  readonly config: Record<string, any>;
  readonly needsLabels: boolean;
}

const configArb = (opts: { numKeypointsAlways?: boolean } = {}): fc.Arbitrary<Generated> =>
  fc.integer({ min: 1, max: 17 }).chain((k) =>
    fc
      .record({
        builtins: fc.subarray(SELECTABLE, { maxLength: 4 }).chain((ns) => allOf(ns.map((n) => builtinBlock(n, k).map((b): [string, unknown] => [n, b])))),
        composed: fc.subarray(COMPOSED_NAMES).chain((ns) => allOf(ns.map((n) => composedBlock(k).map((b): [string, unknown] => [n, b])))),
        numKeypoints: opts.numKeypointsAlways ? fc.constant(k) : fc.constantFrom(k, k, null),
        names: fc.option(fc.constant(Array.from({ length: k }, (_, i) => `kp${i}`)), { nil: undefined }),
        columns: fc.option(
          fc.subarray(
            Array.from({ length: k }, (_, i) => i),
            { minLength: 1 },
          ),
          { nil: undefined },
        ),
        matches: fc.option(
          fc.integer({ min: 1, max: k }).chain((m) => fc.tuple(...[0, 1].map(() => fc.array(fc.nat(k - 1), { minLength: m, maxLength: m })))),
          { nil: null },
        ),
        downsample: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        modelType: fc.constantFrom('heatmap', 'heatmap_mhcrnn', 'regression'),
        heatmapType: fc.constantFrom('mse', 'kl', 'js'),
        anneal: fc.option(arbitraryFromCodec(AnnealParams), { nil: undefined }),
        training: fc.option(fc.record({ train_batch_size: fc.integer({ min: 1, max: 64 }), optimizer: fc.constant('Adam') }), { nil: undefined }),
      })
      .chain((g) => {
        const blocks = Object.fromEntries([...g.builtins, ...g.composed]);
        // context: pca_multiview always keeps 3 components, so its block says 3 or nothing
        if (blocks.pca_multiview) blocks.pca_multiview = { ...(blocks.pca_multiview as object), components_to_keep: 3 };
        const selectable = Object.keys(blocks).filter((n) => n !== 'pca_multiview' || g.matches !== null);
        return fc.shuffledSubarray(selectable).map((use): Generated => {
          const data: Record<string, unknown> = { num_keypoints: g.numKeypoints, mirrored_column_matches: g.matches };
          if (g.names) data.keypoint_names = g.names;
          if (g.columns) data.columns_for_singleview_pca = g.columns;
          if (g.downsample) data.downsample_factor = g.downsample;
          const config: Record<string, any> = {
            data,
            model: { losses_to_use: use, model_type: g.modelType, heatmap_loss_type: g.heatmapType },
            losses: blocks,
          };
          if (g.anneal) config.callbacks = { anneal_weight: g.anneal };
          if (g.training) config.training = g.training;
          return { k, config, needsLabels: use.some((n) => getLossDef(n)?.needsLabels === true) };
        });
      }),
  );

const throughYaml = (config: unknown): unknown => {
  const r = parseYaml(YAML.stringify(config), 'generated.yaml');
  if (either.isLeft(r)) throw new Error(fmt(r.left));
  return r.right;
};

/**
 * A rig to build with, as a training script passes the calibration `data.camera_params_file`
 * names: the first one the registered steps' own generators draw (the multi-camera steps'
 * cases carry theirs). Losses that do not read cameras ignore it.
 */
const RIG = allSteps()
  .flatMap((d) => (d.reference ? fc.sample(real(d.reference.cases(FC)), { numRuns: 1, seed: 1 }) : []))
  .find((c) => c.cameras)?.cameras;

describe('valid configs (generated from the codecs plus context) always decode, check and build', () => {
  it('some registered step draws a rig to build the multi-camera losses with', () => expect(RIG?.length).toBeGreaterThanOrEqual(2));

  it('as plain data and through YAML', () => {
    fc.assert(
      fc.property(configArb(), ({ config, needsLabels }) => {
        for (const [how, raw] of [
          ['data', config],
          ['yaml', throughYaml(config)],
        ] as const) {
          const d = decodeConfig(raw);
          if (either.isLeft(d)) expect.fail(`${how}: ${fmt(d.left)}`);
          const c = checkConfig(raw, { cameras: RIG });
          if (either.isLeft(c)) expect.fail(`${how}: ${fmt(c.left)}\n${YAML.stringify(config)}`);
          const sup = config.model.model_type === 'regression' ? 'regression' : `heatmap_${config.model.heatmap_loss_type}`;
          // composed losses with `factory: supervised` join the supervised factory, in order
          const toSup = (n: string) => (config.losses[n] as { factory?: string } | undefined)?.factory === 'supervised';
          const supNames = [sup, ...config.model.losses_to_use.filter(toSup)];
          const unsupNames = config.model.losses_to_use.filter((n: string) => !toSup(n));
          expect(c.right.losses.map((l) => l.record.name)).toEqual([...supNames, ...unsupNames]);
          expect(c.right.losses.filter((l) => l.unfitted).map((l) => l.record.name)).toEqual(
            config.model.losses_to_use.filter((n: string) => getLossDef(n)?.needsLabels),
          );
          if (!needsLabels) {
            const b = buildLossFactories(raw, { cameras: RIG });
            if (either.isLeft(b)) expect.fail(`${how}: ${fmt(b.left)}`);
            expect(b.right.supervised.names).toEqual(supNames);
            expect(b.right.unsupervised.names).toEqual(unsupNames);
          }
        }
      }),
      { numRuns: 80 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Mutations

type Seg = string | number;
interface Mutation {
  readonly path: string;
  readonly kind: 'wrong type' | 'out of range' | 'unknown key';
  readonly segs: readonly Seg[];
  readonly value: unknown;
}

const show = (segs: readonly Seg[]) => segs.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

const setAt = (obj: any, segs: readonly Seg[], v: unknown): any => {
  const out = structuredClone(obj);
  let o = out;
  for (const s of segs.slice(0, -1)) o = o[s] ??= {};
  o[segs[segs.length - 1]] = v;
  return out;
};

const UNKNOWN_KEYS = ['epsilom', 'log_weigth', 'deltaa', 'zz_top', 'weight', 'pipelines'];

/** Every mutation of a generated config: (path, value) pairs the config's codecs or wiring must reject. */
const mutationsOf = (g: Generated, randomKey: string): Mutation[] => {
  const out: Mutation[] = [];
  const { config, k } = g;
  const classify = (v: unknown): Mutation['kind'] => (OUT_OF_RANGE.includes(v) ? 'out of range' : 'wrong type');
  const at = (segs: Seg[], values: readonly unknown[], kind?: Mutation['kind']) =>
    values.forEach((value) => out.push({ path: show(segs), segs, value, kind: kind ?? classify(value) }));
  const unknownKey = (segs: Seg[], known: readonly string[]) =>
    [...UNKNOWN_KEYS, randomKey]
      .filter((key) => !known.includes(key))
      .forEach((key) => out.push({ path: show([...segs, key]), segs: [...segs, key], value: 1, kind: 'unknown key' }));
  /** A strict object: each key (bad values from the pools, through the key's codec), and an unknown key. */
  const strictAt = (segs: Seg[], codec: AnyCodec, skip: readonly string[] = []) => {
    const s = strictShape(codec)!;
    for (const key of s.keys) if (!skip.includes(key)) at([...segs, key], invalidFor(s.props[key]));
    unknownKey(segs, s.keys);
  };

  // data: (poseloss decodes the loss-related keys; the others pass through)
  at(['data', 'num_keypoints'], [0, -2, 2.5, 'abc']);
  at(['data', 'downsample_factor'], [0, 'two', 1.5]);
  at(['data', 'keypoint_names'], ['abc', [1]]);
  at(['data', 'columns_for_singleview_pca'], ['abc', [-1], [1.5], [k]]);
  at(['data', 'mirrored_column_matches'], ['abc', [[0], [0, 0]], [[k], [0]]]);
  at(['data', 'image_resize_dims', 'height'], [0, 'abc']);
  // model:
  at(['model', 'losses_to_use'], [42, 'temporal', [...config.model.losses_to_use, 'temporl']]);
  at(['model', 'model_type'], [42, 'convnet']);
  at(['model', 'heatmap_loss_type'], ['mes', 3]);
  // callbacks.anneal_weight
  strictAt(['callbacks', 'anneal_weight'], AnnealParams);
  // the selected loss blocks (an unselected block is not checked: see check.test.ts)
  for (const name of config.model.losses_to_use as string[]) {
    const block = config.losses[name];
    const segs: Seg[] = ['losses', name];
    if (!('pipeline' in block)) {
      strictAt(segs, getLossDef(name)!.params, fromDataKeys(name));
      if (strictShape(getLossDef(name)!.params)!.props.epsilon?.is([1])) at([...segs, 'epsilon'], [Array(k + 1).fill(1)], 'out of range');
      continue;
    }
    strictAt(segs, ComposedLoss);
    (block.pipeline as Record<string, unknown>[]).forEach((step, i) => {
      const phase = ['transform', 'mask', 'compute', 'rectify', 'reduce'].find((p) => p in step)!;
      const ss: Seg[] = [...segs, 'pipeline', i];
      strictAt(ss, stepDef(phase, step[phase] as string).codec);
      at([...ss, phase], [`${step[phase]}x`], 'out of range');
      if ('of' in step) at([...ss, 'of'], ['keypoints_trag'], 'out of range');
      if (phase === 'rectify') at([...ss, 'epsilon'], [Array(k + 1).fill(1)], 'out of range');
    });
  }
  return out;
};

const mutatedArb = configArb({ numKeypointsAlways: true }).chain((g) =>
  fc.stringMatching(/^[a-z][a-z_]{0,10}$/).chain((key) => fc.constantFrom(...mutationsOf(g, key)).map((m) => ({ g, m }))),
);

describe('mutated configs: ≥ 1 issue whose path starts with the mutated path; nothing throws', () => {
  it('wrong type, unknown key, out-of-range value — as plain data and through YAML', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(mutatedArb, ({ g, m }) => {
        seen.add(m.kind);
        const mutated = setAt(g.config, m.segs, m.value);
        for (const [how, raw] of [
          ['data', mutated],
          ['yaml', throughYaml(mutated)],
        ] as const) {
          const r = checkConfig(raw);
          if (either.isRight(r)) expect.fail(`${how}: ${m.kind} ${m.path} = ${JSON.stringify(m.value)} was accepted`);
          expect(
            r.left.some((i) => i.path.startsWith(m.path)),
            `${how}: ${m.kind} ${m.path} = ${JSON.stringify(m.value)}; issues:\n${fmt(r.left)}`,
          ).toBe(true);
          // building (what a training script calls) stops at the same place (a PCA loss without
          // labels stops earlier, at 'needs labels')
          if (!g.needsLabels) {
            const b = buildLossFactories(raw);
            expect(either.isLeft(b) && b.left.some((i) => i.path.startsWith(m.path)), `${how}: build ${m.path}`).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect([...seen].sort()).toEqual(['out of range', 'unknown key', 'wrong type']);
  });

  it('anything at any of those paths (or as the whole config) never throws', () => {
    fc.assert(
      fc.property(mutatedArb, fc.anything({ maxDepth: 2 }), ({ g, m }, junk) => {
        const mutated = setAt(g.config, m.segs, junk);
        checkConfig(mutated);
        buildLossFactories(mutated);
        checkConfig(junk);
        buildLossFactories(junk);
      }),
      { numRuns: 150 },
    );
  });
});

describe('PCA blocks: keys that belong to data: are rejected, not silently replaced', () => {
  it('losses.pca_singleview.columns_for_singleview_pca is rejected, not silently replaced', () => {
    const r = checkConfig({
      data: { num_keypoints: 6 },
      model: { losses_to_use: ['pca_singleview'] },
      losses: { pca_singleview: { columns_for_singleview_pca: 'abc' } },
    });
    expect(either.isLeft(r) && r.left.some((i) => i.path.startsWith('losses.pca_singleview.columns_for_singleview_pca'))).toBe(true);
  });
});

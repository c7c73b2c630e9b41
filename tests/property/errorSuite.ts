/**
 * Bad inputs and bad parameters of losses by name, with messages that say what and where: the
 * loss, the keys and shapes involved, the path of a bad parameter, the closest known key; and
 * good parameters (drawn from what the codecs accept) always decode. Calls come from the steps'
 * generators (tests/property/registryCases.ts) and which checks apply from the losses'
 * declarations (their pipelines, their parameter codecs) and the input-key table, so a new loss
 * is covered without a list. tests/property/errors.test.ts runs it on the loss registry.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues, LossInputError, PoselossError, type PoselossIssue } from '../../src/config/issues.js';
import { createLoss, createLossOrThrow, getLossDef } from '../../src/losses/registry.js';
import { INPUT_TABLE, type InputKey, isInputKey, KIND_TABLE, keypointCount } from '../../src/pipeline/keys.js';
import { arbitraryFromCodec, strictShape } from '../config/arbitraryFromCodec.js';
import { type Inputs, type make, num, runs } from './arbitraries.js';
import { lossPipeline, type PipelineCase, pipelineCaseArb, specKeys } from './registryCases.js';

export const shape = (s: readonly number[]): string => `(${s.join(',')})`;

/** The error a call throws (fails the test if it does not throw). */
export const thrown = (f: () => unknown): Error => {
  try {
    const r = f();
    if (r && typeof r === 'object' && 'loss' in r) tf.dispose((r as { loss: tf.Tensor }).loss);
  } catch (e) {
    return e as Error;
  }
  return expect.fail('expected an error, got a value');
};

/** Call a loss on zero-filled tensors of the given shapes; return what it throws. */
export const callError = (loss: ReturnType<typeof make>, shapes: Record<string, readonly number[]>): Error => {
  const ts = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.zeros([...s])]));
  try {
    return thrown(() => loss(ts));
  } finally {
    tf.dispose(Object.values(ts));
  }
};

/** Issues of a Left (fails the test on a Right). */
export const issuesOf = (r: either.Either<PoselossIssue[], unknown>): PoselossIssue[] =>
  either.isLeft(r) ? r.left : expect.fail('expected issues, got a loss');

/** Levenshtein distance, written here independently of src/config/closest.ts. */
export const lev = (a: string, b: string): number => {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
};

/** A one-edit typo of one of `names` that is none of them. */
export const typoArb = (names: readonly string[]): fc.Arbitrary<{ word: string; typo: string }> =>
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
export const expectClosestSuggested = (message: string, typo: string, names: readonly string[]): void => {
  const m = /did you mean '([^']+)'/.exec(message);
  expect(m, `no suggestion in: ${message}`).not.toBeNull();
  const best = Math.min(...names.map((n) => lev(typo.toLowerCase(), n.toLowerCase())));
  expect(names).toContain(m![1]);
  expect(lev(typo.toLowerCase(), m![1].toLowerCase()), `suggested '${m![1]}' for '${typo}'`).toBe(best);
};

/** Keys whose kind packs a keypoint's coordinates on its keypoint axis (the kind table): their column count must divide evenly. */
const packed = (k: string): boolean => isInputKey(k) && KIND_TABLE[INPUT_TABLE[k].kind].packed > 1;

/** Whether a loss's `epsilon` parameter reaches a rectify step as a per-keypoint list (its declared pipeline says so). */
const epsilonIsList = (name: string): boolean => {
  try {
    return lossPipeline(name, { epsilon: [0.5, 1.5] }).specs.some((s) => 'rectify' in s && JSON.stringify(s.epsilon) === '[0.5,1.5]');
  } catch {
    return false; // its parameters take no list epsilon
  }
};

/** Which of `names` the checks that do not apply to every loss select, from each loss's declarations. */
export const selectedFor = (names: readonly string[]) => ({
  /** Losses reading a key with packed (x, y) columns. */
  packedColumns: names.filter((n) => lossPipeline(n).specs.some((s) => specKeys(s).some(packed))),
  /** Losses whose epsilon is a rectify list (one per keypoint). */
  epsilonList: names.filter(epsilonIsList),
  /** Losses with an `epsilon` parameter. */
  epsilonParam: names.filter((n) => strictShape(getLossDef(n)!.params)?.keys.includes('epsilon')),
});

export const describeLossErrors = (names: readonly string[]): void => {
  const selected = selectedFor(names);
  describe('bad inputs', () => {
    // a missing key and extra keys: tests/property/lossRegistry.test.ts, for every registered loss

    /** A registered loss, a valid call of it, and one key it reads. */
    const callArb = fc.constantFrom(...names).chain((name) => {
      const { params, specs } = lossPipeline(name);
      return fc.tuple(fc.constant(name), fc.constant(params), pipelineCaseArb(specs, { minB: 2 }), fc.nat());
    });
    const shapesOf = (inputs: Inputs): Record<string, number[]> => Object.fromEntries(Object.entries(inputs).map(([k, a]) => [k, [...a.shape]]));
    const withLabels = (name: string, params: Record<string, unknown>, { labels, cameras }: PipelineCase) =>
      createLossOrThrow(name, params, { labels, cameras });
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

    if (selected.packedColumns.length)
      it(`an odd number of keypoint columns (2K) is named with key and shape (${selected.packedColumns.join(', ')})`, () => {
        fc.assert(
          fc.property(
            fc.constantFrom(...selected.packedColumns).chain((name) => {
              const { params, specs } = lossPipeline(name);
              return fc.tuple(fc.constant(name), fc.constant(params), pipelineCaseArb(specs, { minB: 2 }), fc.nat(), fc.boolean());
            }),
            ([name, params, c, which, less]) => {
              const keys = Object.keys(c.inputs).filter(packed);
              const key = keys[which % keys.length];
              const shapes = shapesOf(c.inputs);
              const cols = shapes[key].length - 1;
              const odd = shapes[key][cols] + (less ? -1 : 1);
              shapes[key] = [...shapes[key].slice(0, cols), odd];
              const e = callError(withLabels(name, params, c), shapes);
              expect(e).toBeInstanceOf(LossInputError);
              expect(e.message).toContain(`${name}: ${key} ${shape(shapes[key])}: expected an even number of columns`);
              expect(e.message).toContain(`got ${odd}`);
            },
          ),
          runs(30),
        );
      });

    if (selected.epsilonList.length)
      it(`a per-keypoint epsilon of the wrong length names both lengths, the key and its shape (${selected.epsilonList.join(', ')})`, () => {
        fc.assert(
          fc.property(
            fc.constantFrom(...selected.epsilonList).chain((name) => {
              const { params, specs } = lossPipeline(name);
              return fc.tuple(fc.constant(name), fc.constant(params), fc.constant(specs), pipelineCaseArb(specs, { minB: 2 }));
            }),
            fc.array(num(0, 3), { minLength: 1, maxLength: 8 }),
            ([name, params, specs, c], eps) => {
              // the key the message names: the compute's last input; its keypoint count from any input key the compute reads
              const of = specKeys(specs.find((s) => 'compute' in s)!);
              const key = of[of.length - 1];
              const input = of.find((k) => isInputKey(k) && c.inputs[k])!;
              const K = keypointCount(INPUT_TABLE[input as InputKey].kind, c.inputs[input].shape);
              fc.pre(eps.length !== K);
              const e = callError(withLabels(name, { ...params, epsilon: eps }, c), shapesOf(c.inputs));
              expect(e).toBeInstanceOf(LossInputError);
              expect(e.message).toContain(`${name}: epsilon has ${eps.length} values (one per keypoint), but ${key} `);
              if (c.inputs[key]) expect(e.message).toContain(`${key} ${shape(c.inputs[key].shape)} has ${K} keypoints`);
              else expect(e.message).toContain(` has ${K} keypoints`);
            },
          ),
          runs(40),
        );
      });
  });

  describe('bad configurations', () => {
    const nonFinite = fc.constantFrom<unknown>(NaN, Infinity, -Infinity, '1.0', null, [1]);

    it('a non-finite (or non-number) log_weight is an issue at <loss>.log_weight, for every loss', () => {
      fc.assert(
        fc.property(fc.constantFrom(...names), nonFinite, (name, lw) => {
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

    it('an unknown parameter key is an issue at its path suggesting the closest known key', () => {
      // the keys each registered loss's parameter codec knows
      const known: Record<string, readonly string[]> = Object.fromEntries(names.map((n) => [n, strictShape(getLossDef(n)!.params)?.keys ?? []]));
      fc.assert(
        fc.property(
          fc.constantFrom(...names.filter((n) => known[n].length > 0)).chain((name) => fc.tuple(fc.constant(name), typoArb(known[name]))),
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

    if (selected.epsilonParam.length)
      it(`a bad epsilon (non-number, or a list holding a non-finite value) is an issue at <loss>.epsilon (${selected.epsilonParam.join(', ')})`, () => {
        fc.assert(
          fc.property(
            fc.constantFrom(...selected.epsilonParam),
            fc.oneof(
              fc.constant<unknown>('x'),
              fc.constant<unknown>(NaN),
              fc.array(num(0, 3), { minLength: 0, maxLength: 4 }).map((xs) => [...xs, NaN] as unknown),
            ),
            (name, eps) => {
              const issues = issuesOf(createLoss(name, { ...lossPipeline(name).params, epsilon: eps }));
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

    it.each(names)('%s: random valid parameters (drawn from its codec) decode, idempotently; a built loss reports its weight', (name) => {
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
};

import { either } from 'fp-ts';
import * as t from 'io-ts';
import { suggestion } from '../../config/closest.js';
import { strict } from '../../config/codecs.js';
import { issue, type PoselossIssue } from '../../config/issues.js';
import { bindSizes, type Compiled, compileExpr, type Definition, type ExprIssue, evalJs, evalTf } from '../../expr/index.js';
import { AXIS_ORDER, INPUT_KEYS, INPUT_TABLE, type InputKey, isInputKey, namedAxes, namedShape } from '../../pipeline/keys.js';
import { opaqueLayout } from '../../pipeline/layout.js';
import type { BuiltCompute, Role, StepDef } from '../../pipeline/step.js';
import { stepCodec } from '../common.js';
import { casesOf, plain } from '../reference.js';

/** Formulas the generated cases use: smooth (no branch point), elementwise and reduced, over a keypoint pair. */
const CASE_VALUES = ['0.5 * (t - p) * (t - p)', 'sum((t - p) * (t - p), coords)', 'sum(log(1 + (t - p) * (t - p)), keypoints, coords)'];

const Values = strict('values along an axis', { values: t.array(t.number), axis: t.string });
const DefinitionCodec = t.union([t.number, t.string, Values], 'a number, an expression, or { values: [...], axis: ... }');

const ExprParams = stepCodec(
  'compute',
  'expr',
  { inputs: t.record(t.string, t.string), let: t.record(t.string, DefinitionCodec), value: t.string },
  { let: {} },
);
type ExprParams = t.TypeOf<typeof ExprParams>;

/** Where an expression issue lives in the config: the value, a definition, or an input binding. */
const issuePath = (base: string, inputs: Readonly<Record<string, unknown>>, i: ExprIssue): PoselossIssue =>
  issue(
    i.where === 'value' ? `${base}.value` : Object.hasOwn(inputs, i.where) ? `${base}.inputs.${i.where}` : `${base}.let.${i.where}`,
    i.column === undefined ? i.message : `column ${i.column}: ${i.message}`,
  );

/** The compiled expression of a built `expr` step, with its input bindings: for `explain` and fused kernels. */
export interface ExprStep {
  readonly compiled: Compiled;
  /** Input name → key, in the order of `of`. */
  readonly bindings: readonly (readonly [string, InputKey])[];
}

/**
 * `expr`: an elementwise-and-reduction formula over named axes (src/expr), e.g. MMPose's wing
 * loss. Inputs are bound to names; `let` holds constants, per-axis values and intermediate
 * expressions; `value` is the term the pipeline reduces. Checked when the loss is built.
 */
export const expr: StepDef<ExprParams> = {
  phase: 'compute',
  name: 'expr',
  doc: 'a formula over named inputs (`inputs: { name: key }`), definitions (`let`) and a `value`; see "Expressions"',
  codec: ExprParams,
  build: (p, ctx) => {
    const errs: PoselossIssue[] = [];
    const axes: Record<string, readonly string[]> = {};
    const keyOf: Record<string, InputKey> = {};
    const seen = new Map<string, string>();
    for (const [name, key] of Object.entries(p.inputs)) {
      const at = `${ctx.path}.inputs.${name}`;
      if (!isInputKey(key)) errs.push(issue(at, `unknown input key '${key}'${suggestion(key, INPUT_KEYS)}`));
      else if (seen.has(key)) errs.push(issue(at, `'${key}' is already bound to '${seen.get(key)}'`));
      else seen.set(key, name), (axes[name] = namedAxes(key)), (keyOf[name] = key);
    }
    if (Object.keys(p.inputs).length === 0) errs.push(issue(`${ctx.path}.inputs`, `bind at least one input, e.g. { p: keypoints_pred, t: keypoints_targ }`));
    if (errs.length) return either.left(errs);
    const c = compileExpr({ defs: Object.entries(p.let) as [string, Definition][], value: p.value }, { axes: AXIS_ORDER, inputs: axes });
    if (either.isLeft(c)) return either.left(c.left.map((i) => issuePath(ctx.path, p.inputs, i)));
    const compiled = c.right;
    const used = Object.keys(p.inputs).filter((n) => compiled.reads.includes(n));
    const role = (n: string): Role => (INPUT_TABLE[keyOf[n]].prediction ? 'prediction' : 'target');
    if (!used.some((n) => role(n) === 'prediction'))
      return either.left([
        issue(
          `${ctx.path}.value`,
          `the value reads no prediction (${used.map((n) => `${n}: ${keyOf[n]}`).join(', ') || 'no input'}), so the loss has no gradient`,
        ),
      ]);
    // targets before predictions, as every compute lists them
    const names = [...used.filter((n) => role(n) === 'target'), ...used.filter((n) => role(n) === 'prediction')];
    const of = names.map((n) => keyOf[n]);
    const targets = new Set(names.filter((n) => role(n) === 'target'));
    const checked = new Map<string, string | null>();
    const views = (shapes: readonly (readonly number[])[]) => Object.fromEntries(names.map((n, i) => [n, namedShape(keyOf[n], shapes[i])]));
    const built: BuiltCompute & { expr: ExprStep } = {
      phase: 'compute',
      name: 'expr',
      of,
      roles: names.map(role),
      layout: opaqueLayout('expr'),
      // the expression itself (`expr` below) is what the kernel compiles
      fusion: { op: 'expr', params: {} },
      expr: { compiled, bindings: names.map((n) => [n, keyOf[n]] as const) },
      // checked on every call: shapes seen before (a training loop's batches) are looked up
      check: (shapes) => {
        const key = shapes.map((sh) => sh.join(',')).join(';');
        let verdict = checked.get(key);
        if (verdict === undefined) {
          const r = bindSizes(compiled, axes, views(shapes), (n) => keyOf[n]);
          if (checked.size >= 64) checked.clear();
          checked.set(key, (verdict = typeof r === 'string' ? `expr: ${r}` : null));
        }
        return verdict;
      },
      apply: (xs) => {
        const sizes = bindSizes(compiled, axes, views(xs.map((x) => x.shape))) as Record<string, number>;
        const ins = Object.fromEntries(names.map((n, i) => [n, xs[i].reshape(namedShape(keyOf[n], xs[i].shape))]));
        return evalTf(compiled, ins, sizes, targets);
      },
    };
    return either.right(built);
  },
  reference: {
    phase: 'compute',
    cases: (fc, opts = {}) =>
      casesOf(
        fc,
        opts,
        opts.spec
          ? fc.constant(opts.spec)
          : fc.constantFrom(...CASE_VALUES).map((value) => ({ compute: 'expr', inputs: { t: 'keypoints_targ', p: 'keypoints_pred' }, value })),
        undefined,
        (spec) => Object.values(spec.inputs as Record<string, string>),
      ),
    // the expression's own float64 evaluator (src/expr/evalJs.ts, tested against the formulas in tests/expr) on the inputs' named axes
    values: (p, xs) => {
      const names = Object.keys(p.inputs).filter((n) => isInputKey(p.inputs[n]));
      const axes = Object.fromEntries(names.map((n) => [n, namedAxes(p.inputs[n] as InputKey)]));
      const c = compileExpr({ defs: Object.entries(p.let) as [string, Definition][], value: p.value }, { axes: AXIS_ORDER, inputs: axes });
      if (either.isLeft(c)) throw new Error(`expr reference: ${c.left.map((i) => i.message).join('; ')}`);
      const used = names.filter((n) => c.right.reads.includes(n));
      const ordered = [
        ...used.filter((n) => !INPUT_TABLE[p.inputs[n] as InputKey].prediction),
        ...used.filter((n) => INPUT_TABLE[p.inputs[n] as InputKey].prediction),
      ];
      const views = Object.fromEntries(ordered.map((n, i) => [n, namedShape(p.inputs[n] as InputKey, xs[i].shape)]));
      const sizes = bindSizes(c.right, axes, views) as Record<string, number>;
      const out = evalJs(c.right.value, {
        inputs: Object.fromEntries(ordered.map((n, i) => [n, { data: Float64Array.from(xs[i].data), shape: views[n] }])),
        sizes,
      });
      return { out: plain(out.shape, out.data), kinks: [] };
    },
  },
};

/** The expression of a built compute step, if it is an `expr` step. */
export const exprOf = (s: BuiltCompute): ExprStep | undefined => (s as { expr?: ExprStep }).expr;

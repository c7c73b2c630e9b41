import { axesStr } from '../expr/index.js';
import type { LossRecord } from '../losses/record.js';
import { namedAxes } from '../pipeline/keys.js';
import { weightOf } from '../pipeline/loss.js';
import type { StepSpec } from '../pipeline/step.js';
import { type ExprStep, exprOf } from '../steps/compute/expr.js';
import { EXPLAIN_USAGE, loadChecked } from './check.js';
import { guardSync, type Out } from './guard.js';

/** A value as a user writes it in YAML (flow style); decoded components_to_keep back to its written form. */
const show = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v && typeof v === 'object' && 'kind' in v) {
    const c = v as { kind: string; n?: number; f?: number };
    return c.kind === 'count' ? String(c.n) : c.kind === 'fraction' ? String(c.f) : 'null';
  }
  if (v && typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${show(x)}`)
      .join(', ')} }`;
  return typeof v === 'string' ? v : JSON.stringify(v);
};

const num = (x: number): string => String(Number(x.toPrecision(6)));

/** What an `expr` step resolved to: inputs with their named axes, folded constants, each definition's axes. */
const exprLines = (e: ExprStep): string[] => {
  const c = e.compiled;
  const out = [`  expression (named axes):`];
  out.push(`    inputs: ${e.bindings.map(([n, k]) => `${n} = ${k} ${axesStr(c.axesOf[n] ?? namedAxes(k).map((name) => ({ name })))}`).join(', ')}`);
  const consts = Object.entries(c.constants).map(
    ([n, v]) => `${n} = ${v.axes.length ? `[${v.data.map(num).join(', ')}] along ${v.axes[0].name}` : num(v.data[0])}`,
  );
  if (consts.length) out.push(`    constants (folded in float64): ${consts.join(', ')}`);
  for (const d of c.defs) out.push(`    ${d} = ${c.printed[d]}  ${axesStr(c.axesOf[d])}`);
  out.push(`    value = ${c.printed.value}  ${axesStr(c.axesOf.value)}`);
  return out;
};

/** A step as one YAML flow mapping. */
const stepLine = (s: StepSpec): string =>
  `{ ${Object.entries(s)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${show(v)}`)
    .join(', ')} }`;

/** The pipeline, each step with the loss parameters that reach it (`# name`), and the parameters no step uses. */
const pipelineLines = (r: LossRecord): string[] => {
  const lines = r.pipeline.map((step, i) => {
    const from = r.params.filter((p) => p.steps.includes(i)).map((p) => p.name);
    return `    - ${stepLine(step)}${from.length ? `  # ${from.join(', ')}` : ''}`;
  });
  const unused = r.params.filter((p) => p.steps.length === 0).map((p) => `${p.name} ${show(p.value)}`);
  return ['  pipeline:', ...lines, ...(unused.length ? [`  accepted, not used (as the reference): ${unused.join(', ')}`] : [])];
};

/**
 * `poseloss explain <config.yaml> [--labels L.csv]`: each loss's resolved pipeline with the
 * parameters each step takes, the keys it reads, its weight next to its log_weight, the
 * epsilon its rectify step applies and, for PCA, the fitted state.
 */
export const explainCommand = (argv: readonly string[], out: Out = console.log, err: Out = console.error): number =>
  guardSync(err, () => {
    const r = loadChecked(argv, err, EXPLAIN_USAGE);
    if (!r) return 2;
    for (const l of r.losses) {
      const rec = l.record;
      out(`${l.factory} ${rec.name}${rec.origin === 'composed' ? ' (composed in the config)' : ''}`);
      out(
        `  log_weight ${l.logWeight} → weight 1/(2·exp(log_weight)) = ${weightOf(l.logWeight).toPrecision(6)}${l.annealed ? ', scaled by the anneal weight' : ', not annealed'}`,
      );
      if (!l.loss) {
        out(`  ${l.unfitted}`);
        out(`  ${rec.doc}`);
        pipelineLines(rec).forEach((line) => out(line));
        continue;
      }
      const loss = l.loss;
      out(
        `  reads: ${loss.reads.map((k) => (loss.optional.includes(k) ? `${k} (optional)` : k)).join(', ')}; gradients to: ${loss.predictions.join(', ') || 'none'}`,
      );
      if (loss.steps.some((s) => s.phase === 'rectify'))
        out(`  epsilon: ${Array.isArray(loss.epsilon) ? `[${loss.epsilon.join(', ')}] (per keypoint)` : loss.epsilon}`);
      const pca = loss.fitted?.pca;
      if (pca)
        out(
          `  fitted PCA: ${pca.format.kind}, ${pca.nKept} of ${pca.components.rows} components kept, empirical epsilon ${pca.epsilonEmpirical.toPrecision(6)} (from ${pca.formattedFit.rows} rows)`,
        );
      out(
        loss.kernel
          ? `  runs as: fused kernel '${loss.kernel}' (one SIMD WebAssembly pass, closed-form gradients) on the cpu and wasm backends`
          : '  runs as: tfjs ops (no fused kernel implements this pipeline)',
      );
      pipelineLines(rec).forEach((line) => out(line));
      for (const s of loss.steps) {
        const e = s.phase === 'compute' ? exprOf(s) : undefined;
        if (e) exprLines(e).forEach((line) => out(line));
      }
    }
    return 0;
  });

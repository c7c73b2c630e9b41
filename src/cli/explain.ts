import { weightOf } from '../pipeline/loss.js';
import type { StepSpec } from '../pipeline/step.js';
import { loadChecked, EXPLAIN_USAGE } from './check.js';
import { guardSync, type Out } from './guard.js';
import { getLossDef } from '../registry/losses.js';

/** A value as a user writes it in YAML (flow style); decoded components_to_keep back to its written form. */
const show = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v && typeof v === 'object' && 'kind' in v) {
    const c = v as { kind: string; n?: number; f?: number };
    return c.kind === 'count' ? String(c.n) : c.kind === 'fraction' ? String(c.f) : 'null';
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
};

/** A step as one YAML flow mapping. */
const stepLine = (s: StepSpec): string => `{ ${Object.entries(s).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}: ${show(v)}`).join(', ')} }`;

/**
 * `poseloss explain <config.yaml> [--labels L.csv]`: each loss's resolved pipeline, the keys
 * it reads, its weight next to its log_weight, its epsilon(s) and, for PCA, the fitted state.
 */
export const explainCommand = (argv: readonly string[], out: Out = console.log, err: Out = console.error): number =>
  guardSync(err, () => {
  const r = loadChecked(argv, err, EXPLAIN_USAGE);
  if (!r) return 2;
  for (const l of r.losses) {
    out(`${l.factory} ${l.entry.name}${l.entry.composed ? ' (composed in the config)' : ''}`);
    out(`  log_weight ${l.logWeight} → weight 1/(2·exp(log_weight)) = ${weightOf(l.logWeight).toPrecision(6)}${l.annealed ? ', scaled by the anneal weight' : ', not annealed'}`);
    if (!l.loss) {
      const def = getLossDef(l.entry.name);
      out(`  ${l.unfitted}`);
      if (def) out(`  ${def.doc}`);
      continue;
    }
    const loss = l.loss;
    out(`  reads: ${loss.reads.map((k) => (loss.optional.includes(k) ? `${k} (optional)` : k)).join(', ')}; gradients to: ${loss.predictions.join(', ') || 'none'}`);
    out(`  epsilon: ${Array.isArray(loss.epsilon) ? `[${loss.epsilon.join(', ')}] (per keypoint)` : loss.epsilon}`);
    const pca = loss.fitted?.pca;
    if (pca) out(`  fitted PCA: ${pca.format.kind}, ${pca.nKept} of ${pca.components.rows} components kept, empirical epsilon ${pca.epsilonEmpirical.toPrecision(6)} (from ${pca.formattedFit.rows} rows)`);
    out(
      loss.kernel
        ? `  runs as: fused kernel '${loss.kernel}' (one SIMD WebAssembly pass, closed-form gradients) on the cpu and wasm backends`
        : '  runs as: tfjs ops (no fused kernel implements this pipeline)',
    );
    out('  pipeline:');
    for (const s of loss.pipeline) out(`    - ${stepLine(s)}`);
  }
  return 0;
});

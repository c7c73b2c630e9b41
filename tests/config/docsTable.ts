/**
 * The vocabulary table of docs/composing-losses.md against the step registry: every step in
 * its phase, with every parameter its codec knows and no other.
 */
import type { AnyStepDef } from '../../src/pipeline/step.js';
import { strictShape } from './arbitraryFromCodec.js';

/** Rows of the vocabulary table: step name → phase and parameters cell. */
const tableOf = (doc: string) =>
  new Map([...doc.matchAll(/^\| (\w+) \| `(\w+)` \| (.*?) \| (.*?) \|$/gm)].map((m) => [m[2], { phase: m[1], params: m[3] }] as const));

/** What the table gets wrong about these steps (empty when it describes them all, and nothing else). */
export const vocabularyProblems = (doc: string, steps: readonly AnyStepDef[]): string[] => {
  const table = tableOf(doc);
  const problems: string[] = [];
  for (const s of steps) {
    const row = table.get(s.name);
    if (!row) {
      problems.push(`step ${s.name} is missing from the vocabulary table`);
      continue;
    }
    if (row.phase !== s.phase) problems.push(`${s.name}: listed as ${row.phase}, registered as ${s.phase}`);
    const keys = strictShape(s.codec)?.keys ?? [];
    for (const key of keys.filter((k) => k !== s.phase)) if (!row.params.includes(`\`${key}\``)) problems.push(`${s.name}: parameter ${key} is not listed`);
    for (const [, key] of row.params.matchAll(/`(\w+)`/g))
      if (!keys.includes(key)) problems.push(`${s.name}: the table lists '${key}', which the codec does not know`);
  }
  const names = new Set(steps.map((s) => s.name));
  for (const name of table.keys()) if (!names.has(name)) problems.push(`the table lists ${name}, which is not registered`);
  return problems;
};

/**
 * docs/composing-losses.md is proven: its vocabulary table lists every registered step with
 * every parameter its codec knows, and each example on the page is a fixture the tests run,
 * included verbatim (imports of `../../../src/...` read `poseloss` / `poseloss/src/...`),
 * with the CLI output the CLI prints today.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allSteps } from '../../src/steps/registry.js';
import { vocabularyProblems } from './docsTable.js';
import { cli, editYaml, fixture, ROOT, readFixture, removeTemp, writeTemp } from './helpers.js';

afterAll(removeTemp);

const DOC = path.join(ROOT, 'docs', 'composing-losses.md');
const doc = fs.readFileSync(DOC, 'utf8');

const asInDoc = (ts: string) =>
  ts.replaceAll("'../../../src/index.js'", "'poseloss'").replaceAll("'../../../src/node.js'", "'poseloss/node'").replaceAll("'../../../src/", "'poseloss/src/");

describe('docs/composing-losses.md', () => {
  it('the vocabulary table lists every registered step, in its phase, with every parameter of its codec', () => {
    expect(allSteps().length).toBeGreaterThan(20);
    expect(vocabularyProblems(doc, allSteps())).toEqual([]);
  });

  it('includes its examples verbatim: the paw_huber config, the TypeScript, the step of one’s own', () => {
    for (const f of ['paw_huber.yaml', 'paw_logcosh.yaml']) expect(doc, f).toContain(readFixture(f).trimEnd());
    for (const f of ['unsupervisedStep.ts', 'logCosh.ts', 'wing.ts']) expect(doc, f).toContain(asInDoc(readFixture(f)).trimEnd());
  });

  it('shows the output check and explain print for paw_huber today', () => {
    const check = cli('check', [fixture('paw_huber.yaml')]);
    expect(check.code).toBe(0);
    expect(doc).toContain(['$ npx poseloss check paw_huber.yaml', ...check.lines].join('\n'));
    const explain = cli('explain', [fixture('paw_huber.yaml')]);
    expect(explain.code).toBe(0);
    expect(doc).toContain(['$ npx poseloss explain paw_huber.yaml', ...explain.lines].join('\n'));
  });

  it('shows the errors check prints for several_errors.yaml today', () => {
    const file = fixture('broken', 'several_errors.yaml');
    const r = cli('check', [file]);
    expect(r.code).toBe(2);
    expect(doc).toContain(['$ npx poseloss check several_errors.yaml', ...r.lines.map((l) => l.replace(file, 'several_errors.yaml'))].join('\n'));
  });

  it('the log_cosh error it quotes is the one a bad scale gives', async () => {
    await import('./fixtures/logCosh.js');
    const file = writeTemp('paw_logcosh_bad.yaml', editYaml(readFixture('paw_logcosh.yaml'), [[['losses', 'paw_logcosh', 'pipeline', 1, 'scale'], -1]]));
    const r = cli('check', [file]);
    expect(r.code).toBe(2);
    const quoted = doc.match(/`(losses\.paw_logcosh\.pipeline\[1\]\.scale: [^`]*)`/)![1];
    expect(r.lines).toEqual([`${file}: 1 error`, `error: ${quoted}`]);
  });
});

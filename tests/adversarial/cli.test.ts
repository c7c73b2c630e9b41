import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';

/**
 * The adversarial suite: generated bad (and unusual but valid) configs, pose CSVs and argument
 * lists, run through the CLI in process. For every case: exit 0 with valid output, or exit 2
 * with errors on stderr only, each one line naming the input, nothing on stdout and nothing
 * written — never another exit code, a stack trace, a hang (each case under a time limit) or
 * a partial output. Process-level cases (signals, uncaught errors) are in tests/cli/process.test.ts.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = path.join(root, 'tests', 'config', 'fixtures');
const CASE_MS = 10_000;
/** More cases for a long local run: POSELOSS_ADVERSARIAL_SCALE=20 npx vitest run tests/adversarial. */
const SCALE = Math.max(1, Number(process.env.POSELOSS_ADVERSARIAL_SCALE ?? 1) || 1);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-adversarial-'));
let serial = 0;
const caseDir = () => fs.mkdtempSync(path.join(work, `c${serial++}-`));

interface Outcome {
  code: number;
  out: string[];
  err: string[];
}

/** `poseloss ...argv` in process, under the per-case time limit. */
const poseloss = async (argv: string[]): Promise<Outcome> => {
  const out: string[] = [];
  const err: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CASE_MS} ms: poseloss ${argv.join(' ')}`)), CASE_MS)),
  );
  try {
    const code = await Promise.race([
      main(
        argv,
        (l) => out.push(l),
        (l) => err.push(l),
      ),
      limit,
    ]);
    return { code, out, err };
  } finally {
    clearTimeout(timer);
  }
};

const STACK = /^\s+at .+:\d+:\d+\)?$|node_modules|\.ts:\d+:\d+/m;

/**
 * The contract of a failing run: exit 2, messages on stderr only, `error: …` lines naming the
 * input — the file, or (after a line naming the file) the key path inside it.
 */
const expectCleanFailure = (r: Outcome, inputs: readonly string[], what: string) => {
  expect(r.code, what).toBe(2);
  expect(r.out, what).toEqual([]);
  const text = r.err.filter((l) => !/^backend: /.test(l)).join('\n');
  expect(text, what).not.toMatch(STACK);
  const errors = r.err.filter((l) => l.startsWith('error: '));
  expect(errors.length, `${what}: ${text}`).toBeGreaterThan(0);
  expect(
    inputs.some((i) => text.includes(i)),
    `${what}: '${text}' names none of ${inputs.join(', ')}`,
  ).toBe(true);
  for (const e of errors) expect(e.length, e).toBeLessThan(2000);
};

const noStaging = (dir: string) => expect(fs.readdirSync(dir).filter((n) => n.startsWith('.poseloss-staging-'))).toEqual([]);

// ---- configs ----------------------------------------------------------------------------

const BAD_VALUES = [
  '',
  '~',
  '.nan',
  '-.inf',
  '1e400',
  '[1, .nan, 3]',
  '{a: 1}',
  '"x"',
  '-1',
  '0',
  '1.5',
  '1e20',
  '*nowhere',
  '!!binary AAAA',
  '"\\0"',
  'true',
  '0x10',
  '[[[[[[]]]]]]',
  '[-1, 1.5, 1e20, 7]',
  '&a [*a]',
  '{__proto__: 1}',
];
const INSERTS = [
  '__proto__: 1',
  'constructor: {}',
  '  prototype: []',
  '\tx: 1',
  'losses: {}',
  '<<: *nowhere',
  'x: &d {a: 1}\ny:\n  <<: *d',
  '- - - x',
  '? [a]\n: 1',
  '"unterminated: 1',
  'a: b: c',
  '%YAML 9.9',
  '---\nb: 2',
  '['.repeat(200),
];

type Mutation = (lines: string[]) => string[];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(...BAD_VALUES)).map(([at, v]) => (ls: string[]) => {
    const keyed = ls.map((l, i) => [l, i] as const).filter(([l]) => /^\s*\w+:\s*\S/.test(l) && !l.trim().startsWith('#'));
    if (!keyed.length) return ls;
    const [l, i] = keyed[at % keyed.length];
    return ls.map((x, j) => (j === i ? `${l.slice(0, l.indexOf(':') + 1)} ${v}` : x));
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...INSERTS), fc.nat(3)).map(([at, ins, indent]) => (ls: string[]) => {
    const i = at % (ls.length + 1);
    return [...ls.slice(0, i), ...ins.split('\n').map((x) => '  '.repeat(indent) + x), ...ls.slice(i)];
  }),
  fc.nat().map((at) => (ls: string[]) => (ls.length ? [...ls.slice(0, (at % ls.length) + 1), ls[at % ls.length], ...ls.slice((at % ls.length) + 1)] : ls)),
  fc.nat().map((at) => (ls: string[]) => ls.slice(0, at % (ls.length + 1))),
  fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 8 })).map(
    ([at, junk]) =>
      (ls: string[]) =>
        ls.map((l, i) => (i === at % Math.max(1, ls.length) ? l + junk : l)),
  ),
);

const CONFIG_BASE = fs.readFileSync(path.join(FIXTURES, 'config_temporal_pca.yaml'), 'utf8').split('\n');
const LABELS_17 = path.join(FIXTURES, 'labels_17kp.csv');

describe('adversarial configs: check and explain', () => {
  it('every mutated config: exit 0, or exit 2 with one-line errors naming the file', async () => {
    const codes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.constantFrom('check', 'explain'), async (ms, withLabels, cmd) => {
        const dir = caseDir();
        const file = path.join(dir, 'config.yaml');
        fs.writeFileSync(file, ms.reduce((ls, m) => m(ls), CONFIG_BASE).join('\n'));
        const r = await poseloss([cmd, file, ...(withLabels ? ['--labels', LABELS_17] : [])]);
        codes.add(r.code);
        if (r.code === 0) expect(r.out.length).toBeGreaterThan(0);
        else expectCleanFailure(r, [file, LABELS_17], `${cmd} ${fs.readFileSync(file, 'utf8')}`);
      }),
      { numRuns: 80 * SCALE },
    );
    expect([...codes].sort()).toEqual([0, 2]); // the generators reach both outcomes
  });
});

// ---- pose CSVs through metrics -------------------------------------------------------------

const METRICS_CONFIG =
  'data:\n  keypoint_names: [nose, ear]\n  columns_for_singleview_pca: [0, 1]\nlosses:\n  temporal: { epsilon: 5.0 }\n  pca_singleview: { components_to_keep: 2, epsilon: null }\n';
const header = (set: boolean, lik = true) => {
  const coords = lik ? ['x', 'y', 'likelihood'] : ['x', 'y'];
  return [
    ['scorer', ...Array(2 * coords.length).fill('s'), ...(set ? ['set'] : [])],
    ['bodyparts', ...['nose', 'ear'].flatMap((k) => coords.map(() => k)), ...(set ? [''] : [])],
    ['coords', ...coords, ...coords, ...(set ? [''] : [])],
  ].map((r) => r.join(','));
};
const LABELS =
  [...header(false, false), ...Array.from({ length: 12 }, (_, f) => `img${f}.png,${10 + f},${20 + ((f * 7) % 5)},${30 + ((f * 3) % 4)},${40 + f * 2}`)].join(
    '\n',
  ) + '\n';
const VIDEO = [...header(false), ...Array.from({ length: 8 }, (_, f) => `${f},${10 + f},20.5,0.9,30,${40 + f},0.8`)];
const LABELED = [...header(true), ...Array.from({ length: 6 }, (_, f) => `img${f}.png,${11 + f},21,0.9,31,${41 + f * 2},0.8,train`)];

const CELLS = [
  '',
  'nan',
  '-nan',
  'NA',
  'N/A',
  'null',
  'None',
  '#N/A',
  '<NA>',
  'inf',
  '-Infinity',
  '1e400',
  '-1e309',
  '1e30',
  'abc',
  '0x1f',
  '1,5',
  '"3"',
  '"a,b"',
  '\0',
  '\uFFFD',
  ' 7 ',
  '1e-400',
  '+.5',
  '-0',
  '9'.repeat(400),
  'img0.png',
  'set',
  'x',
];
type CsvMutation = (rows: string[]) => string[];
const csvMutation: fc.Arbitrary<CsvMutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...CELLS)).map(([r, c, v]) => (rows: string[]) => {
    const i = r % rows.length;
    const cells = rows[i].split(',');
    cells[c % cells.length] = v;
    return rows.map((x, j) => (j === i ? cells.join(',') : x));
  }),
  fc.nat().map((r) => (rows: string[]) => rows.filter((_, j) => j !== r % rows.length)),
  fc.nat().map((r) => (rows: string[]) => [...rows.slice(0, (r % rows.length) + 1), rows[r % rows.length], ...rows.slice((r % rows.length) + 1)]),
  fc.nat().map((r) => (rows: string[]) => rows.map((x, j) => (j === r % rows.length ? `${x},extra` : x))),
  fc.nat().map((r) => (rows: string[]) => [...rows.slice(0, r % rows.length), '', ...rows.slice(r % rows.length)]),
  fc.constant((rows: string[]) => rows.map((x) => `${x}\r`)),
  fc.constant((rows: string[]) => ['\uFEFF' + rows[0], ...rows.slice(1)]),
  fc.nat().map(
    (n) => (rows: string[]) =>
      rows
        .join('\n')
        .slice(0, n % (rows.join('\n').length + 1))
        .split('\n'),
  ),
);

describe('adversarial pose CSVs: metrics', () => {
  it('every mutated predictions or labels file: valid outputs, or exit 2 naming the file and nothing written', async () => {
    const codes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('video', 'labeled', 'labels'), fc.array(csvMutation, { minLength: 1, maxLength: 3 }), async (which, ms) => {
        const dir = caseDir();
        const p = (n: string) => path.join(dir, n);
        const base = which === 'labeled' ? LABELED : which === 'labels' ? LABELS.trimEnd().split('\n') : VIDEO;
        const mutated = ms.reduce((rows, m) => m(rows), base).join('\n') + '\n';
        fs.writeFileSync(p('c.yaml'), METRICS_CONFIG);
        fs.writeFileSync(p('l.csv'), which === 'labels' ? mutated : LABELS);
        fs.writeFileSync(p('p.csv'), which === 'labeled' ? mutated : which === 'labels' ? LABELED.join('\n') + '\n' : mutated);
        const out = p('out');
        const r = await poseloss(['metrics', '--config', p('c.yaml'), '--labels', p('l.csv'), '--preds', p('p.csv'), '--out', out]);
        noStaging(dir);
        codes.add(r.code);
        if (r.code === 0) {
          const written = fs.readdirSync(out).sort();
          expect(written).toContain('report.html');
          for (const f of written.filter((n) => n.endsWith('.csv'))) {
            const rows = parse(fs.readFileSync(path.join(out, f), 'utf8')) as string[][];
            expect(
              rows.every((r) => r.length === rows[0].length),
              f,
            ).toBe(true);
            // values: empty (NaN) or a number; the PCA metrics run in float32 as the reference's do (spec §13), so
            // coordinates beyond ~1e19 overflow there to inf, written as pandas writes it
            const ok = (c: string) => c === '' || Number.isFinite(Number(c)) || (f.includes('_pca_') && c === 'inf');
            const header = rows[0];
            const valueCols = header.map((h, i) => i).filter((i) => i > 0 && header[i] !== 'set');
            expect(
              rows.slice(1).every((r) => valueCols.every((i) => ok(r[i]))),
              f,
            ).toBe(true);
          }
        } else {
          expectCleanFailure(r, [p('p.csv'), p('l.csv'), p('c.yaml'), 'losses.', 'data.'], `${which}: ${JSON.stringify(mutated)}`);
          expect(fs.existsSync(out)).toBe(false);
        }
      }),
      { numRuns: 100 * SCALE },
    );
    expect([...codes].sort()).toEqual([0, 2]);
  });
});

// ---- argument lists --------------------------------------------------------------------------

describe('adversarial argument lists', () => {
  const dir = caseDir();
  const p = (n: string) => path.join(dir, n);
  fs.writeFileSync(p('c.yaml'), METRICS_CONFIG);
  fs.writeFileSync(p('l.csv'), LABELS);
  fs.writeFileSync(p('v.csv'), VIDEO.join('\n') + '\n');
  const values = [
    p('c.yaml'),
    p('l.csv'),
    p('v.csv'),
    p('missing.csv'),
    dir,
    '/proc/self/x',
    '/dev/zero',
    '/dev/null',
    '',
    '-',
    '--',
    'constructor',
    '__proto__',
    'x=y',
    p('new=out'),
  ];
  const options = [
    '--config',
    '--labels',
    '--preds',
    '--out',
    '--steps',
    '--seed',
    '--quick',
    '--fast',
    '-x',
    '--config=',
    `--out=${p('o=1')}`,
    '--preds=--out',
    '--debug',
  ];
  const token = fc.oneof(fc.constantFrom(...values), fc.constantFrom(...options));
  const codes = new Set<number>();

  it('metrics, check, explain, verify with any argv: exit 0, 2 (or 1 for a failing verify case), never a stack or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('metrics', 'check', 'explain', 'verify'), fc.array(token, { maxLength: 9 }), async (cmd, argv) => {
        const r = await poseloss([cmd, ...argv.filter((a) => a !== '--debug')]);
        const text = [...r.out, ...r.err].join('\n');
        expect(text, `${cmd} ${argv.join(' ')}`).not.toMatch(STACK);
        expect(cmd === 'verify' ? [0, 1, 2] : [0, 2], `${cmd} ${argv.join(' ')}: ${text}`).toContain(r.code);
        if (r.code === 2) expect(r.out).toEqual([]);
        if (r.code === 2)
          expect(
            r.err.some((l) => l.startsWith('error: ')),
            text,
          ).toBe(true);
        codes.add(r.code);
      }),
      { numRuns: 80 * SCALE },
    );
    noStaging(dir);
    expect(codes.has(2)).toBe(true);
  });
});

describe('demo and example refuse bad arguments before any work', () => {
  const file = path.join(caseDir(), 'a-file');
  fs.writeFileSync(file, '');
  it.each([
    [['demo', '--steps', '0'], '--steps: expected an integer ≥ 1'],
    [['demo', '--seed', 'x'], '--seed: expected an integer ≥ 0'],
    [['demo', '--quick', '--out', '/proc/self/x'], '--out /proc/self/x: is on a special filesystem'],
    [['demo', '--quick', '--out', file], `--out ${file}: exists and is not a directory`],
    [['demo', '--out'], '--out needs a value'],
    [['example', 'extra'], 'unexpected argument(s): extra'],
    [['example', '--json'], "unknown option '--json'"],
  ])('%j', async (argv, message) => {
    const t0 = Date.now();
    const r = await poseloss(argv);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err.find((l) => l.startsWith('error: '))).toContain(message);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

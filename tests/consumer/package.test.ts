import { execFile, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as poseloss from '../../src/index.js';
import { hasChromium, launchChromium, warnIfNoChromium } from '../chromium.js';

/**
 * poseloss as a user gets it: `npm pack` (which builds dist/ through `prepare`), the tarball
 * installed into a fresh project beside the tfjs versions we test with, then (a) a plain .mjs
 * script, (b) a require() script, (c) tsc on a strict consumer under both module resolutions,
 * (d) the installed `poseloss` command, (e) an esbuild browser bundle in headless Chromium.
 * The consumer's files are in tests/consumer/project/; cases.js is what they all compute, and
 * this test computes it too, on the sources, for the exact comparison.
 */

warnIfNoChromium('the browser-bundle consumer');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = path.join(root, 'tests', 'consumer', 'project');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  sideEffects: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

interface CaseResult {
  loss: string;
  kernel: string | null;
  value: number[];
  grad: number[];
}
type RunCases = (tfjs: typeof tf, lib: typeof poseloss) => Promise<CaseResult[]>;

/** Children get no npm_* variables of the `npm test` around us (they would steer the nested npm). */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
const sh = (cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> => spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
const ok = (r: SpawnSyncReturns<string>, what: string): string => {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stderr}\n${r.stdout}`.slice(0, 4000));
  return r.stdout;
};

const RESOLUTIONS = ['nodenext', 'bundler'] as const;
/** tsc on the consumer, one run per resolution, started as soon as the project is installed (they take longest). */
let typecheck: Record<(typeof RESOLUTIONS)[number], Promise<{ status: number; stdout: string }>>;
const tsc = (tsconfig: string) =>
  new Promise<{ status: number; stdout: string }>((resolve) =>
    execFile(
      process.execPath,
      [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig],
      { cwd: project, env, maxBuffer: 64 << 20 },
      (err, stdout) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    ),
  );

/**
 * The README's and docs' code examples (```ts and ```js blocks), one file each, for tsc on the
 * consumer: a block that starts with `// continued` is appended to the one before it.
 */
const writeExamples = (dir: string): number => {
  fs.mkdirSync(dir, { recursive: true });
  const docs = [
    'README.md',
    ...fs
      .readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  let count = 0;
  for (const doc of docs) {
    const blocks: { ext: string; code: string }[] = [];
    for (const [, ext, code] of fs.readFileSync(path.join(root, doc), 'utf8').matchAll(/^```(ts|js)\n([\s\S]*?)^```/gm)) {
      const last = blocks[blocks.length - 1];
      if (code!.startsWith('// continued') && last) last.code += code;
      else blocks.push({ ext: ext!, code: code! });
    }
    blocks.forEach((b, i) => fs.writeFileSync(path.join(dir, `${doc.replace(/\W/g, '_')}-${i + 1}.${b.ext}`), `${b.code}\nexport {};\n`));
    count += blocks.length;
  }
  return count;
};

let examples: number;
let tmp: string;
let project: string;
let files: string[];
let expected: CaseResult[];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-consumer-'));
  const packed = JSON.parse(ok(sh('npm', ['pack', '--json', '--pack-destination', tmp], root), 'npm pack')) as {
    filename: string;
    files: { path: string }[];
  }[];
  files = packed[0]!.files.map((f) => f.path).sort();
  project = path.join(tmp, 'project');
  fs.cpSync(fixture, project, { recursive: true });
  examples = writeExamples(path.join(project, 'examples'));
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  const pin = (name: string) => `${name}@${deps[name]}`;
  ok(
    sh(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        path.join(tmp, packed[0]!.filename),
        ...Object.keys(pkg.peerDependencies).map(pin),
        pin('fp-ts'),
      ],
      project,
    ),
    'npm install (the tarball)',
  );
  typecheck = { nodenext: tsc('tsconfig.nodenext.json'), bundler: tsc('tsconfig.bundler.json') };
  const { runCases } = (await import(path.join(fixture, 'cases.js'))) as { runCases: RunCases };
  expected = await runCases(tf, poseloss);
}, 300_000);

afterAll(async () => {
  if (typecheck) await Promise.all(Object.values(typecheck));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Fused kernels ran (none null) and every value and gradient equals the sources' own, bit for bit. */
const expectSameResults = (results: CaseResult[]) => {
  expect(results.map((r) => r.kernel)).toEqual(expected.map((r) => r.kernel));
  for (const r of results) expect(r.kernel, `${r.loss}: the fused kernel`).not.toBeNull();
  expect(results).toEqual(expected);
};

describe('the packed package', () => {
  it('holds dist/, bin/, README.md and package.json only, and every file package.json points at', () => {
    const outside = files.filter((f) => !f.startsWith('dist/') && !f.startsWith('bin/') && !['README.md', 'package.json', 'LICENSE'].includes(f));
    expect(outside).toEqual([]);
    const targets = [
      ...Object.values(pkg.bin),
      ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
      ...pkg.sideEffects,
      'dist/demo/demo.yaml',
    ].map((f) => f.replace(/^\.\//, ''));
    for (const f of targets) expect(files, f).toContain(f);
    // the build's JavaScript comes with its declarations and source maps
    for (const js of files.filter((f) => f.endsWith('.js') && f.startsWith('dist/'))) {
      expect(files, `${js}: .d.ts`).toContain(js.replace(/\.js$/, '.d.ts'));
      expect(files, `${js}: source map`).toContain(`${js}.map`);
    }
  });

  it('needs no TypeScript runner at run time: tsx and esbuild are development dependencies only', () => {
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.dependencies)).not.toContain('esbuild');
    expect(fs.existsSync(path.join(project, 'node_modules', 'tsx'))).toBe(false);
  });
});

describe('a Node consumer of the installed tarball', () => {
  it('(a) plain .mjs: loss values and gradients on wasm with the fused kernels, equal to the sources', () => {
    const r = sh(process.execPath, ['esm.mjs'], project);
    const out = JSON.parse(ok(r, 'node esm.mjs')) as { backend: string; results: CaseResult[] };
    expect(out.backend).toBe('wasm');
    expectSameResults(out.results);
    // one copy of tfjs: a second one would register every kernel again
    expect(r.stderr).not.toContain('already registered');
  });

  it('(b) require(): the same numbers', () => {
    const r = sh(process.execPath, ['require.cjs'], project);
    const out = JSON.parse(ok(r, 'node require.cjs')) as { backend: string; results: CaseResult[] };
    expect(out.backend).toBe('wasm');
    expectSameResults(out.results);
    expect(r.stderr).not.toContain('already registered');
  });

  it.each(RESOLUTIONS)(
    '(c) tsc, strict consumer and every README/docs example, moduleResolution %s: no error in our .d.ts, the consumer or an example; every @ts-expect-error used',
    async (resolution) => {
      expect(examples).toBeGreaterThanOrEqual(4);
      const r = await typecheck[resolution];
      const errors = [...r.stdout.matchAll(/^(\S[^(\n]*)\(\d+,\d+\): error (TS\d+): (.*)$/gm)].map(([, file, code, msg]) => ({
        file: file!,
        code: code!,
        msg: msg!,
      }));
      // tfjs-layers' own declarations fail under skipLibCheck: false (2 errors, without poseloss too): upstream
      const ours = errors.filter((e) => !e.file.startsWith('node_modules/@tensorflow/'));
      expect(ours, r.stdout).toEqual([]);
      if (errors.length === 0) expect(r.status).toBe(0);
    },
    120_000,
  );

  it('(d) npx poseloss --version and npx poseloss example run the compiled command', () => {
    expect(ok(sh('npx', ['poseloss', '--version'], project), 'npx poseloss --version').trim()).toBe(pkg.version);
    const example = ok(sh('npx', ['poseloss', 'example'], project), 'npx poseloss example');
    for (const name of ['temporal', 'heatmap_mse', 'pca_singleview']) expect(example).toContain(name);
  }, 120_000);
});

describe.skipIf(!hasChromium)('a browser page: the tarball bundled by esbuild (default browser settings)', () => {
  it('(e) computes the same values and gradients in headless Chromium, on wasm with the fused kernels, without a process global', async () => {
    const www = path.join(tmp, 'www');
    const bundle = await build({
      entryPoints: [path.join(project, 'browser.js')],
      bundle: true,
      outfile: path.join(www, 'bundle.js'),
      absWorkingDir: project,
      logLevel: 'silent',
    });
    expect(bundle.errors).toEqual([]);
    fs.writeFileSync(path.join(www, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="bundle.js"></script>\n');
    // tfjs-backend-wasm's own binaries, where the page tells initBackend they are (wasmPaths: '/wasm/')
    const wasmDir = path.join(project, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const file =
        url === '/' ? path.join(www, 'index.html') : url.startsWith('/wasm/') ? path.join(wasmDir, path.basename(url)) : path.join(www, path.basename(url));
      const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.js') ? 'text/javascript' : 'text/html';
      fs.readFile(file, (err, data) => (err ? res.writeHead(404).end() : res.writeHead(200, { 'content-type': type }).end(data)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => void requests.push(new URL(r.url()).pathname));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (globalThis as { poselossResult?: unknown }).poselossResult !== undefined, null, { timeout: 60_000 });
      const out = (await page.evaluate(() => (globalThis as { poselossResult?: unknown }).poselossResult)) as {
        error?: string;
        backend: string;
        hasProcess: boolean;
        results: CaseResult[];
      };
      expect(out.error).toBeUndefined();
      expect(errors).toEqual([]);
      expect(out.backend).toBe('wasm');
      expect(out.hasProcess).toBe(false);
      expectSameResults(out.results);
      // tfjs-backend-wasm's binary came from the wasmPaths prefix; poseloss's kernels needed no request
      expect(requests.filter((r) => r.endsWith('.wasm')).every((r) => r.startsWith('/wasm/tfjs-backend-wasm'))).toBe(true);
      expect(requests.some((r) => r.startsWith('/wasm/'))).toBe(true);
      expect(requests.filter((r) => r.includes('kernels'))).toEqual([]);
    } finally {
      await browser.close();
      server.close();
    }
  }, 120_000);
});

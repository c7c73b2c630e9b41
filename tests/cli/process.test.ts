import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Process-level behaviour that needs a real process: exit codes of uncaught errors (with the
 * wasm backend's own handler installed first), and SIGINT/SIGTERM removing unfinished outputs.
 * Everything else about the CLI runs in process (tests/cli/program.test.ts, tests/adversarial).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = path.join(root, 'tests', 'cli', 'fixtures', 'boundary.ts');
const tsx = ['--import', 'tsx'];
const child = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [...tsx, fixture, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

describe('the process boundary (after the wasm backend installed its handlers)', () => {
  it('an unexpected exception: one line and "this is a bug", exit 1, no stack and no library source', () => {
    const r = child(['throw'], { POSELOSS_BACKEND: 'wasm' });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual(['poseloss: internal error: TypeError: boom from a timer', expect.stringMatching(/^this is a bug in poseloss/)]);
  });

  it('an unhandled rejection: the same', () => {
    const r = child(['reject'], { POSELOSS_BACKEND: 'wasm' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^poseloss: internal error: RangeError: a rejected promise\nthis is a bug/);
  });

  it('POSELOSS_DEBUG=1 adds the stack trace', () => {
    const r = child(['throw'], { POSELOSS_BACKEND: 'wasm', POSELOSS_DEBUG: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('a user error thrown anywhere: one line, exit 2', () => {
    const r = child(['user']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('error: x.csv, line 3: something the user can fix');
  });
});

/** Starts `args` (node + tsx), resolves when stdout has a line matching `ready`; then `kill(sig)`. */
const startUntil = (args: string[], ready: RegExp, nodeArgs: string[] = tsx) =>
  new Promise<{ kill: (sig: NodeJS.Signals) => Promise<{ code: number | null; stderr: string }>; line: string }>((resolve, reject) => {
    const p = spawn(process.execPath, [...nodeArgs, ...args], { cwd: root, env: process.env });
    let out = '';
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; stderr: string }>((res) => p.on('exit', (code) => res({ code, stderr })));
    const timer = setTimeout(() => (p.kill('SIGKILL'), reject(new Error(`no ${ready} within 90 s; stderr: ${stderr}`))), 90_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => ready.test(l));
      if (line) {
        clearTimeout(timer);
        resolve({ line, kill: (sig) => (p.kill(sig), exited) });
      }
    });
  });

describe('interrupted runs leave nothing behind', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${sig} while outputs are staged: staging removed, exit ${code}, a message`, async () => {
      const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-signal-'));
      const dir = path.join(parent, 'out');
      const run = await startUntil([fixture, 'stage', dir], /^STAGED /);
      const staged = run.line.slice('STAGED '.length);
      expect(fs.existsSync(staged)).toBe(true);
      const r = await run.kill(sig);
      expect(r.code).toBe(code);
      expect(r.stderr).toContain(`poseloss: interrupted by ${sig}; unfinished outputs removed, nothing written`);
      expect(fs.readdirSync(parent)).toEqual([]);
      fs.rmSync(parent, { recursive: true, force: true });
    });
  }

  it('the `poseloss` launcher is the process doing the work: SIGTERM to its pid stops it, nothing is written later (#16.4)', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-signal-bin-'));
    const dir = path.join(parent, 'demo');
    const run = await startUntil([path.join(root, 'bin', 'poseloss.js'), 'demo', '--quick', '--out', dir], /^training: /, []);
    const t0 = Date.now();
    const r = await run.kill('SIGTERM');
    expect(r.code).toBe(143);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await new Promise((res) => setTimeout(res, 3_000)); // a child left running would write its outputs now
    expect(fs.readdirSync(parent)).toEqual([]);
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('SIGTERM during demo training stops it at once: exit 143, no --out folder', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-signal-demo-'));
    const dir = path.join(parent, 'demo');
    const run = await startUntil([path.join(root, 'src', 'cli', 'main.ts'), 'demo', '--quick', '--out', dir], /^training: /);
    const t0 = Date.now();
    const r = await run.kill('SIGTERM');
    expect(r.code).toBe(143);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.stderr).toContain('poseloss: interrupted by SIGTERM');
    expect(fs.readdirSync(parent)).toEqual([]);
    fs.rmSync(parent, { recursive: true, force: true });
  });
});

/**
 * `npm run bench [-- --json] [--quick] [--filter <substring>] [--peer]`: median ms per call of
 * each loss, forward and forward+backward, tensors leaked per call, and the reference's
 * numbers (PyTorch, one thread) beside ours: hard-coded where measured earlier, or, with
 * `--peer`, measured in the same run by `bench/peer/run.py` on Debian's PyTorch.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { initBackend } from '../src/backend/index.js';
import { memoryFloor } from './floor.js';
import { FULL, measure, QUICK } from './measure.js';
import { workloads } from './workloads.js';

interface Row {
  workload: string;
  median_ms: number | null;
  leaked_tensors: number | null;
  reference_ms: number | null;
  /** ours / reference. */
  ratio: number | null;
  samples: number;
  /** The scalar read on the last call (a sanity check: finite). */
  value: number | null;
  note?: string;
}

const usage = 'usage: npm run bench -- [--json] [--quick] [--filter <substring>] [--peer]';

const parseArgs = (argv: string[]) => {
  const o = { json: false, quick: false, filter: '', peer: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--quick') o.quick = true;
    else if (a === '--peer') o.peer = true;
    else if (a === '--filter' && i + 1 < argv.length) o.filter = argv[++i];
    else if (a.startsWith('--filter=')) o.filter = a.slice('--filter='.length);
    else if (a === '--help' || a === '-h') console.log(usage), process.exit(0);
    else console.error(`unknown argument '${a}'\n${usage}`), process.exit(2);
  }
  return o;
};

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Backend in words: name, why, and for wasm its SIMD and thread count. */
const backendDetail = async (name: string, how: string): Promise<string> => {
  if (name !== 'wasm') return `${name} (${how})`;
  const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'simd' : 'no simd';
  return `wasm (${how}; ${simd}, ${getThreadsCount()} thread${getThreadsCount() === 1 ? '' : 's'})`;
};

// ---------------------------------------------------------------- the peer (reference) run

/** Debian's interpreter, where `apt-get install python3-torch` puts PyTorch; POSELOSS_PEER_PYTHON overrides. */
const PEER_PYTHON = process.env.POSELOSS_PEER_PYTHON ?? '/usr/bin/python3';
const PEER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'peer', 'run.py');

interface Peer {
  /** Reference medians by workload name; undefined when the peer did not run. */
  readonly ms?: ReadonlyMap<string, number>;
  /** The reference's loss values by workload name (the same seeded inputs as ours). */
  readonly values?: ReadonlyMap<string, number>;
  /** In words: "measured now (torch …)" or why the hard-coded numbers are used. */
  readonly note: string;
}

const HARD_CODED = 'hard-coded numbers measured earlier';

/** Run the reference (bench/peer/run.py) now, if `PEER_PYTHON` can import torch. */
const runPeer = (o: { quick: boolean; filter: string }, log: (s: string) => void): Peer => {
  const probe = spawnSync(PEER_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`);
    return { note: `not run: ${PEER_PYTHON} cannot import torch (${why}; apt-get install python3-torch); ${HARD_CODED}` };
  }
  log(`peer: ${PEER_PYTHON} ${PEER_SCRIPT}${o.quick ? ' --quick' : ''}`);
  const args = [PEER_SCRIPT, ...(o.quick ? ['--quick'] : []), ...(o.filter ? ['--filter', o.filter] : [])];
  // Its progress goes to our stderr; its stdout is one JSON object.
  const r = spawnSync(PEER_PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 << 20 });
  if (r.error || r.status !== 0) return { note: `failed: ${r.error?.message ?? `exit ${r.status}`}; ${HARD_CODED}` };
  try {
    const out = JSON.parse(r.stdout) as {
      torch: string;
      threads?: number;
      malloc?: string;
      rows: { workload: string; median_ms: number | null; value?: number | null }[];
    };
    const ms = new Map(out.rows.filter((x) => typeof x.median_ms === 'number').map((x) => [x.workload, x.median_ms as number]));
    const values = new Map(out.rows.filter((x) => typeof x.value === 'number').map((x) => [x.workload, x.value as number]));
    const threads = out.threads ?? 1;
    const malloc = out.malloc && out.malloc !== 'default' ? `, ${out.malloc} malloc` : '';
    return { ms, values, note: `measured now (bench/peer/run.py, torch ${out.torch}, ${threads} thread${threads === 1 ? '' : 's'}${malloc})` };
  } catch (e) {
    return { note: `failed: unreadable output (${message(e)}); ${HARD_CODED}` };
  }
};

const fmt = (v: number | null, digits = 3): string => (v === null ? '—' : v >= 100 ? v.toFixed(1) : v.toPrecision(digits));

const table = (rows: Row[]): string => {
  const head = ['workload', 'median_ms', 'reference_ms', 'ratio', 'leaked_tensors', 'note'];
  const body = rows.map((r) => [
    r.workload,
    r.median_ms === null ? 'unavailable' : fmt(r.median_ms),
    fmt(r.reference_ms),
    r.ratio === null ? '—' : `${r.ratio.toFixed(1)}×`,
    r.leaked_tensors === null ? '—' : String(r.leaked_tensors),
    (r.note ?? '').length > 90 ? `${r.note!.slice(0, 87)}...` : (r.note ?? ''),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
};

const main = async (): Promise<void> => {
  const args = parseArgs(process.argv.slice(2));
  const opts = args.quick ? QUICK : FULL;
  const info = await initBackend();
  const detail = await backendDetail(info.name, info.how);
  const list = workloads().filter((w) => w.name.includes(args.filter));
  if (list.length === 0) console.error(`no workload matches '${args.filter}'`), process.exit(2);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`backend: ${detail} — ${list.length} workloads, ${args.quick ? 'quick' : 'full'} run`);

  const started = performance.now();
  const tensorsAtStart = tf.memory().numTensors;
  const rows: Row[] = [];
  for (const [i, w] of list.entries()) {
    const row: Row = { workload: w.name, median_ms: null, leaked_tensors: null, reference_ms: w.referenceMs ?? null, ratio: null, samples: 0, value: null };
    try {
      const s = await w.setup();
      if (either.isLeft(s)) row.note = `unavailable: ${s.left}`;
      else {
        try {
          const m = measure(s.right, w.name, opts);
          Object.assign(row, { median_ms: m.medianMs, leaked_tensors: m.leakedTensors, samples: m.samples, value: Number.isNaN(m.value) ? null : m.value });
          if (row.reference_ms !== null) row.ratio = m.medianMs / row.reference_ms;
          const notes = [s.right.note, Number.isFinite(m.value) ? undefined : `non-finite loss ${m.value}`].filter(Boolean);
          if (notes.length) row.note = notes.join('; ');
        } finally {
          s.right.dispose();
        }
      }
    } catch (e) {
      row.note = `unavailable: failed: ${message(e)}`;
    }
    rows.push(row);
    log(`[${i + 1}/${list.length}] ${w.name}: ${row.median_ms === null ? row.note : `${fmt(row.median_ms)} ms (${row.samples} samples)`}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const stray = tf.memory().numTensors - tensorsAtStart;

  // The reference's medians: measured now with --peer (falling back to the hard-coded ones).
  let peer: Peer = { note: HARD_CODED };
  if (args.peer) {
    peer = runPeer(args, log);
    if (peer.ms)
      for (const row of rows) {
        row.reference_ms = peer.ms.get(row.workload) ?? null;
        row.ratio = row.median_ms !== null && row.reference_ms !== null ? row.median_ms / row.reference_ms : null;
      }
  }
  log(`peer: ${peer.note}`);

  // Same inputs on both sides: the loss values must agree (a row that declares a deviating scale, D3, after it)
  const scaleOf = new Map(list.map((w) => [w.name, w.referenceValueScale ?? 1]));
  const compared = peer.values ? rows.filter((r) => r.value !== null && peer.values!.has(r.workload)) : [];
  const agreement = compared.length
    ? compared.reduce(
        (worst, r) => {
          const ref = peer.values!.get(r.workload)!;
          const ours = r.value! * scaleOf.get(r.workload)!;
          const rel = Math.abs(ours - ref) / Math.max(Math.abs(ref), 1e-12);
          return rel > worst.rel ? { rel, workload: r.workload } : worst;
        },
        { rel: 0, workload: '' },
      )
    : null;
  const scaled = compared.filter((r) => scaleOf.get(r.workload) !== 1).length;

  // heatmap_mse fwd+bwd against the memory-bandwidth floor (target: within 3×)
  const floorRow = rows.find((r) => r.workload === 'heatmap_mse/16x17x64x64/fwd+bwd' && r.median_ms !== null);
  const measured = floorRow ? memoryFloor() : null;
  const floor = measured && { ...measured, ratio: floorRow!.median_ms! / measured.floorMs, cacheRatio: floorRow!.median_ms! / measured.cacheFloorMs };

  if (args.json) {
    const round = (v: number | null) => (v === null ? null : Number(v.toPrecision(4)));
    const out = rows.map((r) => ({ ...r, median_ms: round(r.median_ms), ratio: round(r.ratio) }));
    const memory_floor = floor && {
      workload: floor.workload,
      megabytes: round(floor.megabytes),
      copy_gb_per_s: round(floor.gbPerS),
      floor_ms: round(floor.floorMs),
      ratio: round(floor.ratio),
      cache_copy_gb_per_s: round(floor.cacheGbPerS),
      cache_floor_ms: round(floor.cacheFloorMs),
      cache_ratio: round(floor.cacheRatio),
    };
    const value_agreement = agreement && { rows: compared.length, max_relative_difference: agreement.rel, workload: agreement.workload };
    console.log(
      JSON.stringify({
        backend: info.name,
        backend_detail: detail,
        run: args.quick ? 'quick' : 'full',
        seconds: round(seconds),
        peer: peer.note,
        rows: out,
        memory_floor,
        value_agreement,
      }),
    );
    return;
  }
  console.log(`backend: ${detail}`);
  console.log(`median ms per call; fwd reads the scalar, fwd+bwd = value and gradients w.r.t. the predictions;`);
  console.log(`reference: PyTorch, one thread; ratio = ours / reference; leaked_tensors per call`);
  console.log(`peer: ${peer.note}\n`);
  console.log(table(rows));
  if (floor)
    console.log(
      `\nmemory floor: ${floor.workload} moves ${floor.megabytes.toFixed(1)} MB. Copies of 64 MiB run at ${floor.gbPerS.toFixed(1)} GB/s here (main memory): ≥ ${fmt(floor.floorMs)} ms, measured ${fmt(floorRow!.median_ms)} ms = ${floor.ratio.toFixed(1)}×. ` +
        `Copies of buffers this size run at ${floor.cacheGbPerS.toFixed(1)} GB/s (they stay in cache, as the bench's reused batch does): ≥ ${fmt(floor.cacheFloorMs)} ms = ${floor.cacheRatio.toFixed(1)}×`,
    );
  if (agreement)
    console.log(
      `\nvalues: ours and the reference's agree on ${compared.length} rows to ${agreement.rel.toExponential(1)} (relative, worst: ${agreement.workload}${scaled ? `; ${scaled} scaled by their declared factor, D3` : ''})`,
    );
  console.log(
    `\n${rows.length} workloads in ${seconds.toFixed(1)} s (${args.quick ? 'quick' : 'full'} run)${stray ? `; ${stray} tensors left alive after disposing every workload` : ''}`,
  );
};

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});

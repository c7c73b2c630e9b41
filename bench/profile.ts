/**
 * `npx tsx bench/profile.ts <workload>`: time per TensorFlow.js kernel in one call of a
 * workload (tf.profile), to see where a slow row spends its time.
 */
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { initBackend } from '../src/backend/index.js';
import { workloads } from './workloads.js';

/** tf.customGrad runs as an unnamed scope: in poseloss that is a fused SIMD kernel (src/kernels/). */
const label = (kernel: string): string => (kernel === 'unnamed scope' ? 'fused kernel' : kernel);

const main = async (): Promise<void> => {
  const name = process.argv[2];
  const all = workloads();
  const w = all.find((x) => x.name === name);
  if (!w) {
    console.error(`usage: npx tsx bench/profile.ts <workload>\nworkloads:\n  ${all.map((x) => x.name).join('\n  ')}`);
    process.exit(2);
  }
  const info = await initBackend();
  const s = await w.setup();
  if (either.isLeft(s)) throw new Error(`unavailable: ${s.left}`);
  for (let i = 0; i < 3; i++) s.right.run();
  const t0 = performance.now();
  s.right.run();
  const ms = performance.now() - t0;
  const prof = await tf.profile(() => void s.right.run());
  const byKernel = new Map<string, { calls: number; ms: number }>();
  for (const k of prof.kernels) {
    const e = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += Number(k.kernelTimeMs);
    byKernel.set(label(k.name), e);
  }
  console.log(`${name} on ${info.name}: ${ms.toFixed(2)} ms per call (unprofiled)\n`);
  console.log('kernel'.padEnd(24), 'calls'.padStart(5), 'ms'.padStart(9));
  for (const [k, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) console.log(k.padEnd(24), String(e.calls).padStart(5), e.ms.toFixed(2).padStart(9));
  const slow = prof.kernels.filter((k) => Number(k.kernelTimeMs) > 1);
  if (slow.length) console.log('\nkernel calls over 1 ms:');
  for (const k of slow)
    console.log(`  ${label(k.name)} ${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}: ${Number(k.kernelTimeMs).toFixed(2)} ms`);
  s.right.dispose();
};

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

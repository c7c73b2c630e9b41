/**
 * Time one prepared workload with tinybench (warmup, then samples until both a time budget
 * and a minimum count are met) and count the tensors it leaks per call.
 */
import * as tf from '@tensorflow/tfjs';
import { Bench } from 'tinybench';
import type { Prepared } from './workloads.js';

export interface MeasureOptions {
  /** Sampling budget per workload, ms; sampling also runs at least `iterations` calls. */
  readonly timeMs: number;
  readonly iterations: number;
  readonly warmupMs: number;
  readonly warmupIterations: number;
  /** Calls made to count leaked tensors. */
  readonly leakCalls: number;
}

export const FULL: MeasureOptions = { timeMs: 1500, iterations: 8, warmupMs: 300, warmupIterations: 3, leakCalls: 5 };
export const QUICK: MeasureOptions = { timeMs: 120, iterations: 3, warmupMs: 25, warmupIterations: 1, leakCalls: 1 };

export interface Measured {
  readonly medianMs: number;
  readonly samples: number;
  /** `tf.memory().numTensors` after `leakCalls` calls minus before, divided by `leakCalls`. */
  readonly leakedTensors: number;
  /** The scalar the last call read. */
  readonly value: number;
}

/** Tensors left behind per call, after the workload has been warmed up. */
export const leakedPerCall = (run: () => number, calls: number): number => {
  const before = tf.memory().numTensors;
  for (let i = 0; i < calls; i++) run();
  return (tf.memory().numTensors - before) / calls;
};

export const measure = (p: Prepared, name: string, o: MeasureOptions): Measured => {
  let value = NaN;
  const call = (): void => void (value = p.run());
  const bench = new Bench({
    time: o.timeMs,
    iterations: o.iterations,
    warmup: o.warmupIterations > 0,
    warmupTime: o.warmupMs,
    warmupIterations: o.warmupIterations,
    throws: true,
  });
  bench.add(name, call);
  bench.runSync();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw new Error(`${name}: tinybench ended in state ${r.state}`);
  return { medianMs: r.latency.p50, samples: r.latency.samplesCount, leakedTensors: leakedPerCall(() => p.run(), o.leakCalls), value };
};

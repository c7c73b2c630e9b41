/**
 * The memory-bandwidth floor of a workload: the bytes it must move at least once, over the rate
 * at which this machine copies memory (`TypedArray.set`, i.e. memcpy: read + write), measured now.
 */
export interface Floor {
  readonly workload: string;
  readonly megabytes: number;
  readonly gbPerS: number;
  readonly floorMs: number;
}

/** heatmap_mse fwd+bwd at 16×17×64×64: read targets and predictions, write the gradient. */
export const HEATMAP_FLOOR = { workload: 'heatmap_mse/16x17x64x64/fwd+bwd', bytes: 3 * 16 * 17 * 64 * 64 * 4 };

/** Copy rate in GB/s: the median of `rounds` copies of `bytes` between two fresh buffers (past cache sizes). */
export const copyRate = (bytes = 64 << 20, rounds = 15): number => {
  const src = new Float32Array(bytes / 4).fill(1);
  const dst = new Float32Array(bytes / 4);
  dst.set(src); // fault the pages in
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = performance.now();
    dst.set(src);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return (2 * bytes) / (times[rounds >> 1] / 1000) / 1e9;
};

export const memoryFloor = (): Floor => {
  const gbPerS = copyRate();
  return { workload: HEATMAP_FLOOR.workload, megabytes: HEATMAP_FLOOR.bytes / 1e6, gbPerS, floorMs: HEATMAP_FLOOR.bytes / (gbPerS * 1e9) * 1000 };
};

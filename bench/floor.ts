/**
 * The memory-bandwidth floor of a workload: the bytes it must move at least once, over the rate
 * at which this machine copies memory (`TypedArray.set`, i.e. memcpy: read + write), measured now
 * — for buffers far larger than the caches (64 MiB), and for buffers the workload's size, which
 * stay in the last-level cache when the same batch is used call after call, as the bench does.
 */
export interface Floor {
  readonly workload: string;
  readonly megabytes: number;
  /** Copy rate of 64 MiB buffers (main memory), GB/s, and the floor it gives, ms. */
  readonly gbPerS: number;
  readonly floorMs: number;
  /** Copy rate of buffers the workload's size (cache-resident when reused), GB/s, and its floor. */
  readonly cacheGbPerS: number;
  readonly cacheFloorMs: number;
}

/** heatmap_mse fwd+bwd at 16×17×64×64: read targets and predictions, write the gradient. */
const MAP_BYTES = 16 * 17 * 64 * 64 * 4;
export const HEATMAP_FLOOR = { workload: 'heatmap_mse/16x17x64x64/fwd+bwd', bytes: 3 * MAP_BYTES };

/** Copy rate in GB/s: the median of `rounds` copies of `bytes` between two buffers. */
export const copyRate = (bytes: number, rounds = 15): number => {
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
  const gbPerS = copyRate(64 << 20);
  const cacheGbPerS = copyRate(MAP_BYTES, 41);
  const ms = (rate: number) => (HEATMAP_FLOOR.bytes / (rate * 1e9)) * 1000;
  return { workload: HEATMAP_FLOOR.workload, megabytes: HEATMAP_FLOOR.bytes / 1e6, gbPerS, floorMs: ms(gbPerS), cacheGbPerS, cacheFloorMs: ms(cacheGbPerS) };
};

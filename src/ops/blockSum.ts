import type * as tf from '@tensorflow/tfjs';

/** Elements a backend Sum adds in one float32 run; blocks' sums are added the same way, stage by stage. */
export const SUM_BLOCK = 64;

/**
 * Sum over the last axis in stages: blocks of SUM_BLOCK summed, then blocks of those sums, and
 * so on (a pairwise summation with 64-way nodes). The wasm backend's Sum adds a row in one
 * float32 accumulator, off by ~n·ε for n elements (−6.3e-4 relative for 1.1M squared
 * differences); in stages the error is ~log₆₄(n)·64·ε at worst. The fused kernels sum in
 * float32 blocks of 64 too.
 */
const sumLastAxis = (x: tf.Tensor): tf.Tensor => {
  let v = x;
  const outer = x.shape.slice(0, -1);
  for (let n = v.shape[v.rank - 1]; n > SUM_BLOCK; n = v.shape[v.rank - 1]) {
    const blocks = Math.ceil(n / SUM_BLOCK);
    if (blocks * SUM_BLOCK > n) v = v.pad([...outer.map((): [number, number] => [0, 0]), [0, blocks * SUM_BLOCK - n]]);
    v = v.reshape([...outer, blocks, SUM_BLOCK]).sum(-1);
  }
  return v.sum(-1);
};

/**
 * Accurate sum of `x` over its trailing `axes` axes (all axes by default; a scalar then). Used
 * wherever the tfjs-ops path sums many elements, so composed pipelines meet the tolerance the
 * fused kernels meet.
 */
export const blockSum = (x: tf.Tensor, axes: number = x.rank): tf.Tensor => {
  const outer = x.shape.slice(0, x.rank - axes);
  const inner = x.shape.slice(x.rank - axes).reduce((a, d) => a * d, 1);
  return sumLastAxis(x.reshape([...outer, inner]));
};

/** `blockSum` over any `axes` (removed from the shape, as `x.sum(axes)`): moved to the end first when they are not already last. */
export const blockSumAxes = (x: tf.Tensor, axes: readonly number[]): tf.Tensor => {
  if (axes.length === 0) return x;
  const red = [...new Set(axes.map((a) => (a < 0 ? x.rank + a : a)))].sort((a, b) => a - b);
  const keep = x.shape.map((_, i) => i).filter((i) => !red.includes(i));
  const trailing = red.every((a, i) => a === x.rank - red.length + i);
  return blockSum(trailing ? x : x.transpose([...keep, ...red]), red.length);
};

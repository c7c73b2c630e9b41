import type * as tf from '@tensorflow/tfjs';
import { blockSum } from './blockSum.js';

/** What a compute taking logs of maps needs of them (BuiltCompute.domain): a NaN loss is reported once with it. */
export const LOG_DOMAIN = 'non-negative, finite maps: it takes their logs (use maps after a softmax; raw logits go negative)';

/** The reference adds this to both distributions before taking logs (no renormalisation). */
export const KL_OFFSET = 1e-10;

/** KL(T ‖ P) per map = Σ_hw T·(ln T − ln P), summed over the last two axes; T, P already offset. */
export const klPerMap = (t: tf.Tensor, p: tf.Tensor): tf.Tensor => blockSum(t.mul(t.log().sub(p.log())), 2);

/** Jensen–Shannon per map: ½KL(T‖M) + ½KL(P‖M), M = (T+P)/2; T, P already offset. */
export const jsPerMap = (t: tf.Tensor, p: tf.Tensor): tf.Tensor => {
  const m = t.add(p).mul(0.5);
  return klPerMap(t, m).add(klPerMap(p, m)).mul(0.5);
};

import type * as t from 'io-ts';
import { Epsilon, finite, inRange, strict } from '../config/codecs.js';

/** log_weight alone (heatmap, multiview supervised losses: no epsilon, as the reference). */
export const WeightOnly = strict('loss parameters', { log_weight: finite }, { log_weight: 0 });

/** Regression losses accept an epsilon and, as the reference, never apply it. */
export const RegressionParams = strict('regression parameters', { log_weight: finite, epsilon: Epsilon }, { log_weight: 0, epsilon: 0 });

/** Temporal losses: epsilon (scalar or per keypoint) and the confidence threshold. */
export const TemporalParams = strict(
  'temporal parameters',
  { log_weight: finite, epsilon: Epsilon, prob_threshold: inRange(0, 1) },
  { log_weight: 0, epsilon: 0, prob_threshold: 0 },
);

export type TemporalParams = t.TypeOf<typeof TemporalParams>;

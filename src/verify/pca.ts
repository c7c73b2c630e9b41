import type * as tf from '@tensorflow/tfjs';
import type { Loss } from '../pipeline/loss.js';

/** Compare a PCA loss's fitted state with `expected.pca` (filled in with the PCA issue). */
export const comparePca = (loss: Loss, _expected: Record<string, unknown>, _pred: tf.Tensor | undefined): string | null =>
  loss.fitted ? null : 'pca: the loss has no fitted PCA state';

import * as tf from '@tensorflow/tfjs';
import { recordingGradients, withMemory } from './memory.js';

/**
 * A fused loss kernel: one pass over the inputs' memory computing the reduced loss and,
 * when a gradient is being recorded, its closed-form gradient w.r.t. the prediction
 * inputs — wrapped in `tf.customGrad` so it composes with autodiff on either side.
 * `forward(ins, grads)` returns the loss; `grads` (one buffer per prediction; zeroed unless the
 * kernel says it writes every entry) are filled with ∂loss/∂prediction, or are null when no
 * gradient is recorded.
 */
export type FusedForward = (ins: Float32Array[], grads: Float32Array[] | null) => number;

export const fusedLoss = (constants: readonly tf.Tensor[], predictions: readonly tf.Tensor[], forward: FusedForward, writesEveryGradient = false): tf.Scalar => {
  const f = tf.customGrad(((...args: unknown[]) => {
    const preds = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const withGrad = recordingGradients();
    const outs = withMemory([...constants, ...preds], [[], ...(withGrad ? preds.map((p) => p.shape) : [])], (ins, o) => {
      const grads = withGrad ? o.slice(1) : null;
      if (!writesEveryGradient) grads?.forEach((g) => g.fill(0));
      o[0][0] = forward(ins, grads);
    });
    const [value, ...grads] = outs;
    save(grads);
    return {
      value: value as tf.Scalar,
      // the upstream gradient is a scalar in memory here; when it is 1 (a loss differentiated
      // directly) the saved gradient is returned as is — a clone shares its memory, no pass over it
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const one = dy.size === 1 && dy.dataSync()[0] === 1;
        return saved.map((g) => (one ? g.clone() : g.mul(dy)));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (...xs: tf.Tensor[]) => tf.Scalar)(...predictions);
};

import * as tf from '@tensorflow/tfjs';

/**
 * Comparisons and logical ops are piecewise constant: their gradient is zero (TensorFlow
 * returns None). tfjs registers none, so any comparison on a path from a prediction to the
 * loss (a validity mask, a `where` condition) would make `tf.grad` throw. Register zero
 * gradients for those kernels that lack one; existing registrations are left alone.
 */
const KERNELS: Record<string, string[]> = {
  Greater: ['a', 'b'],
  Less: ['a', 'b'],
  LessEqual: ['a', 'b'],
  Equal: ['a', 'b'],
  NotEqual: ['a', 'b'],
  LogicalAnd: ['a', 'b'],
  LogicalOr: ['a', 'b'],
  LogicalNot: ['x'],
  Any: ['x'],
  All: ['x'],
};

export const registerZeroGradients = (): void => {
  for (const [kernelName, inputs] of Object.entries(KERNELS)) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: inputs,
      gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((name, i) => [name, () => tf.zeros((saved[i] as tf.Tensor).shape)])),
    });
  }
};

registerZeroGradients();

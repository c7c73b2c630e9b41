import * as tf from '@tensorflow/tfjs';

/** Whether a gradient is being recorded (inside tf.grad / tf.grads / an optimizer step). */
export const recordingGradients = (): boolean => (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;

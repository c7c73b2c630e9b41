import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createLossOrThrow } from '../../src/index.js';

/**
 * `loss.kernel` names the fused kernel only while it runs: on a backend whose tensors are not in
 * memory poseloss can reach (webgl, native TensorFlow) the loss runs as tfjs ops and says null.
 * Stand-in for such a backend: the cpu backend's kernels registered under another name.
 */
const OTHER = 'poseloss-test-opaque';

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('loss.kernel', () => {
  it('is the fused kernel on wasm and cpu, null where tfjs ops run, for the same loss object', async () => {
    const loss = createLossOrThrow('temporal', { epsilon: 1 });
    const keypoints_pred = [
      [0, 0, 10, 10],
      [3, 4, 10, 10],
      [3, 4, 40, 50],
    ];
    const value = () => tf.tidy(() => loss({ keypoints_pred: tf.tensor2d(keypoints_pred) }, 'train').loss.dataSync()[0]!);

    expect(tf.getBackend()).toBe('wasm');
    expect(loss.kernel).toBe('temporal');
    const fused = value();

    const cpu = tf.findBackendFactory('cpu');
    expect(cpu).not.toBeNull();
    tf.registerBackend(OTHER, cpu!);
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: OTHER });
    await tf.setBackend(OTHER);
    expect(loss.kernel).toBeNull();
    expect(value()).toBeCloseTo(fused, 5);

    await tf.setBackend('cpu');
    expect(loss.kernel).toBe('temporal');
  });
});

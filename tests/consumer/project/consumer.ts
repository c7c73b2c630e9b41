// (c) a strict TypeScript consumer of the published .d.ts (tsconfig.nodenext.json, tsconfig.bundler.json).
import * as tf from '@tensorflow/tfjs';
import { either } from 'fp-ts';
import { createLoss, createLossOrThrow, initBackend, type Loss, type LossResult } from 'poseloss';
import { readYaml } from 'poseloss/node';

export const example = async (): Promise<number> => {
  await initBackend('wasm', { wasmPaths: '/wasm/' });
  const keypoints_pred = tf.tensor2d([[0, 0, 10, 10], [3, 4, 10, 10]]);
  const built = createLoss('temporal', { log_weight: 11, epsilon: 20, prob_threshold: 0.05 });
  if (either.isLeft(built)) throw new Error(built.left.map((e) => `${e.path}: ${e.message}`).join('\n'));
  const temporal: Loss<'keypoints_pred' | 'confidences'> = built.right;
  const confidences = tf.ones([2, 2]);
  const r: LossResult = temporal({ keypoints_pred, confidences }, 'train');
  const grad: tf.Tensor = tf.grad((x: tf.Tensor) => temporal({ keypoints_pred: x, confidences }, 'train').loss)(keypoints_pred);
  const kernel: string | null = temporal.kernel;
  const mse = createLossOrThrow('heatmap_mse', { log_weight: 0 });
  const config = readYaml('config.yaml');
  console.log(grad.shape, kernel, mse.reads, either.isRight(config));
  return (await r.loss.data())[0] ?? NaN;
};

export const mistakes = (keypoints_pred: tf.Tensor): void => {
  const temporal = createLossOrThrow('temporal', { log_weight: 11 });
  // @ts-expect-error a wrong input key
  temporal({ keypoints_prd: keypoints_pred }, 'train');
};

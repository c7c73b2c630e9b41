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
  const temporal: Loss<'keypoints_pred' | 'confidences', 'confidences'> = built.right;
  const r: LossResult = temporal({ keypoints_pred }, 'train');
  const grad: tf.Tensor = tf.grad((x: tf.Tensor) => temporal({ keypoints_pred: x, confidences: tf.ones([2, 2]) }, 'train').loss)(keypoints_pred);
  const kernel: string | null = temporal.kernel;
  const mse = createLossOrThrow('heatmap_mse', { log_weight: 0 });
  const config = readYaml('config.yaml');
  console.log(grad.shape, kernel, mse.reads, either.isRight(config));
  return (await r.loss.data())[0] ?? NaN;
};

/** Losses of different keys in one list: a typed loss is also a `Loss`. */
export const all: Loss[] = [createLossOrThrow('temporal'), createLossOrThrow('heatmap_mse'), createLossOrThrow(String('regression'))];

export const mistakes = (keypoints_pred: tf.Tensor): void => {
  // @ts-expect-error a misspelt parameter
  createLoss('temporal', { log_weigth: 11 });
  // @ts-expect-error an unknown loss
  createLoss('temporl', { log_weight: 11 });
  // @ts-expect-error a wrongly typed parameter
  createLossOrThrow('temporal', { log_weight: 'eleven' });
  // @ts-expect-error a required parameter left out (the image sizes have no default)
  createLoss('supervised_reprojection_heatmap_mse', { log_weight: 1 });
  const temporal = createLossOrThrow('temporal', { log_weight: 11 });
  temporal({ keypoints_pred }, 'train'); // confidences are optional
  // @ts-expect-error a wrong input key
  temporal({ keypoints_prd: keypoints_pred }, 'train');
  // @ts-expect-error an input that is not a tensor
  temporal({ keypoints_pred, confidences: [1, 2] }, 'train');
};

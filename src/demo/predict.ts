import * as tf from '@tensorflow/tfjs';
import type { Video } from './dataset.js';
import type { HeatmapModel } from './model.js';

export interface VideoPredictions {
  readonly frames: number;
  /** frames × 2K, pixels. */
  readonly keypoints: Float32Array;
  /** frames × K. */
  readonly confidences: Float32Array;
}

/** The model's keypoints and confidences on every frame of a video, in chunks (bounded memory). */
export const predictVideo = async (model: HeatmapModel, video: Video, chunk = 50): Promise<VideoPredictions> => {
  const K = model.options.keypoints;
  const s = video.size;
  const keypoints = new Float32Array(video.frames * 2 * K);
  const confidences = new Float32Array(video.frames * K);
  for (let t = 0; t < video.frames; t += chunk) {
    const n = Math.min(chunk, video.frames - t);
    const [kp, conf] = tf.tidy(() => {
      const x = tf.tensor4d(video.pixels.subarray(t * s * s, (t + n) * s * s), [n, s, s, 1]);
      const p = model.predict(x);
      return [p.keypoints, p.confidences];
    });
    keypoints.set(await kp.data(), t * 2 * K);
    confidences.set(await conf.data(), t * K);
    tf.dispose([kp, conf]);
  }
  return { frames: video.frames, keypoints, confidences };
};

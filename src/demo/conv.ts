import * as tf from '@tensorflow/tfjs';

/**
 * A 3×3, stride-1, 'same' convolution that trains on every backend. The wasm backend has the
 * forward Conv2D kernel (XNNPACK, fast) but not Conv2DBackpropFilter, so `tf.conv2d` — and
 * `tf.layers.conv2d` — cannot be trained there. Here the forward pass is `tf.conv2d`, the
 * input gradient a convolution of dy with the flipped, transposed filter, and the filter
 * gradient an im2col matrix product; all three are kernels wasm has.
 */

/** (B, H, W, C) → (B·H·W, 9C): the 3×3 neighbourhood of every pixel (zero padded), in filter order (dy, dx, c). */
const im2col = (x: tf.Tensor4D): tf.Tensor2D => {
  const [b, h, w, c] = x.shape;
  const p = x.pad([
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const parts: tf.Tensor4D[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) parts.push(p.slice([0, dy, dx, 0], [b, h, w, c]) as tf.Tensor4D);
  return tf.concat(parts, 3).reshape([b * h * w, 9 * c]);
};

const conv = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.conv2d(x, w, 1, 'same'),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const [b, h, wd] = xs.shape;
      const f = ws.shape[3];
      const dw = im2col(xs)
        .transpose()
        .matMul(dy.reshape([b * h * wd, f]))
        .reshape(ws.shape);
      const flipped = ws.reverse([0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
      const dx = tf.conv2d(dy as tf.Tensor4D, flipped, 1, 'same');
      return [dx, dw];
    },
  };
});

/** 3×3 'same' convolution of x (B, H, W, C) with w (3, 3, C, F). */
export const conv3x3 = (x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D => {
  if (w.shape[0] !== 3 || w.shape[1] !== 3 || w.shape[2] !== x.shape[3])
    throw new Error(`conv3x3: filter (${w.shape.join(',')}) does not fit input (${x.shape.join(',')}): expected (3, 3, ${x.shape[3]}, F)`);
  return conv(x, w) as tf.Tensor4D;
};

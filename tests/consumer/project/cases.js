// What every consumer computes — the Node .mjs and require scripts, the browser page and the
// test itself (on the sources) — so their numbers can be compared exactly: a temporal loss on
// keypoints and a heatmap_mse on heatmaps, each value with its gradient.

const seq = (n, f) => Array.from({ length: n }, (_, i) => f(i));

export const CASES = [
  {
    loss: 'temporal',
    params: { log_weight: 11, epsilon: 2, prob_threshold: 0.05 },
    inputs: { keypoints_pred: { shape: [6, 8], values: seq(48, (i) => 10 * Math.sin(0.7 * i) + (i % 8)) } },
    wrt: 'keypoints_pred',
  },
  {
    loss: 'heatmap_mse',
    params: { log_weight: 0 },
    inputs: {
      heatmaps_targ: { shape: [2, 3, 8, 8], values: seq(384, (i) => Math.exp(-(((i % 64) - 27) ** 2) / 40)) },
      heatmaps_pred: { shape: [2, 3, 8, 8], values: seq(384, (i) => 0.5 + 0.5 * Math.sin(0.37 * i)) },
    },
    wrt: 'heatmaps_pred',
  },
];

/** Each case's kernel, value and gradient, with the given TensorFlow.js and poseloss modules. */
export const runCases = async (tf, poseloss) => {
  const out = [];
  for (const c of CASES) {
    const loss = poseloss.createLossOrThrow(c.loss, c.params);
    const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
    const value = loss(inputs, 'train').loss;
    const grad = tf.grad((x) => loss({ ...inputs, [c.wrt]: x }, 'train').loss)(inputs[c.wrt]);
    out.push({ loss: c.loss, kernel: loss.kernel, value: Array.from(await value.data()), grad: Array.from(await grad.data()) });
    tf.dispose([value, grad, ...Object.values(inputs)]);
  }
  return out;
};

import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/backend/index.js';
import { createLossOrThrow } from './src/losses/registry.js';
await initBackend((process.argv[2] ?? 'wasm') as any);
let seed = 1; const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
for (const [B, K, H, W] of [[16, 17, 64, 64], [48, 17, 96, 96]]) {
  const n = B * K * H * W;
  const t = new Float32Array(n).map(() => rnd() * 0.1), p = new Float32Array(n).map(() => rnd() * 0.1);
  let s = 0; for (let i = 0; i < n; i++) { const d = t[i] - p[i]; s += d * d * H * W; }
  const ref = s / n;
  const tt = tf.tensor4d(t, [B, K, H, W]), pt = tf.tensor4d(p, [B, K, H, W]);
  for (const fused of [true, false]) {
    const loss = createLossOrThrow('heatmap_mse', {}, { fused });
    const v = loss({ heatmaps_targ: tt, heatmaps_pred: pt }).loss.dataSync()[0];
    const reps = 20; const t0 = performance.now();
    for (let r = 0; r < reps; r++) tf.tidy(() => { const g = tf.valueAndGrad((x: tf.Tensor) => loss({ heatmaps_targ: tt, heatmaps_pred: x }).loss)(pt); g.grad.dataSync(); });
    const ms = (performance.now() - t0) / reps;
    console.log(`${B}x${K}x${H}x${W} fused=${fused} rel err ${((v - ref) / ref).toExponential(2)} fwd+bwd ${ms.toFixed(2)} ms`);
  }
  tf.dispose([tt, pt]);
}

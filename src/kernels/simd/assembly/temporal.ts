// AssemblyScript: temporal — ‖x[t+1, j] − x[t, j]‖ over frame pairs of keypoints (B, 2K).
import { pairValidityArgs, temporalArgs } from './descriptors';

/**
 * For each pair (t, j) with `valid[t·k + j]` ≠ 0, relu(‖x[t+1, j] − x[t, j]‖ − eps[j]) (eps:
 * f64 per keypoint) is summed; the sum × `scale` is returned and, when g ≠ 0, its gradient
 * (g is zeroed first). An unmasked NaN distance makes the result NaN.
 */
export function temporal(args: usize): f64 {
  const x = temporalArgs.x(args);
  const g = temporalArgs.g(args);
  const frames = temporalArgs.frames(args);
  const k = temporalArgs.k(args);
  const valid = temporalArgs.valid(args);
  const eps = temporalArgs.eps(args);
  const scale = temporalArgs.scale(args);
  const row = k << 1; // floats per frame
  if (g) memory.fill(g, 0, <usize>(frames * row) << 2);
  let total: f64 = 0;
  for (let t = 0; t < frames - 1; t++)
    for (let j = 0; j < k; j++) {
      if (!load<u8>(valid + t * k + j)) continue;
      const a = x + (<usize>(t * row + 2 * j) << 2);
      const b = a + (<usize>row << 2);
      const dx = <f64>load<f32>(b) - <f64>load<f32>(a);
      const dy = <f64>load<f32>(b, 4) - <f64>load<f32>(a, 4);
      const n = Math.sqrt(dx * dx + dy * dy);
      const v = <f64><f32>n - load<f64>(eps + (<usize>j << 3)); // the distance as the reference's float32, against ε
      if (v > 0) {
        total += v;
        if (g && n > 0) {
          const gx = (dx / n) * scale;
          const gy = (dy / n) * scale;
          const ga = g + (a - x);
          const gb = g + (b - x);
          store<f32>(gb, <f32>(<f64>load<f32>(gb) + gx));
          store<f32>(gb, <f32>(<f64>load<f32>(gb, 4) + gy), 4);
          store<f32>(ga, <f32>(<f64>load<f32>(ga) - gx));
          store<f32>(ga, <f32>(<f64>load<f32>(ga, 4) - gy), 4);
        }
      } else if (v != v) total = NaN;
    }
  return total * scale;
}

/**
 * Validity of each frame pair (t, t+1) and keypoint j into `valid` (a byte each): invalid where
 * a confidence mask's threshold (masks: f64 pairs below, drop) exceeds conf at t or t+1
 * (compared in float32). Returns how many pairs stay in the mean: zeroed pairs do, dropped
 * ones do not. Without `conf` every pair is valid.
 */
export function pairValidity(args: usize): i32 {
  const conf = pairValidityArgs.conf(args);
  const frames = pairValidityArgs.frames(args);
  const k = pairValidityArgs.k(args);
  const masks = pairValidityArgs.masks(args);
  const nMasks = pairValidityArgs.nMasks(args);
  const valid = pairValidityArgs.valid(args);
  const pairs = (frames - 1) * k;
  memory.fill(valid, 1, pairs);
  if (!conf || nMasks == 0) return pairs;
  let count = pairs;
  for (let i = 0; i < pairs; i++) {
    const a = load<f32>(conf + (<usize>i << 2));
    const b = load<f32>(conf + (<usize>(i + k) << 2));
    let dropped = false;
    for (let m = 0; m < nMasks; m++) {
      const below = <f32>load<f64>(masks + (<usize>m << 4));
      if (a < below || b < below) {
        store<u8>(valid + i, 0);
        if (load<f64>(masks + (<usize>m << 4), 8) != 0) dropped = true;
      }
    }
    if (dropped) count--;
  }
  return count;
}

/**
 * Heatmap losses that take logs (heatmap_kl, heatmap_js, temporal_heatmap_kl; issue 15 item 5)
 * need non-negative maps. A prediction with negative values gives a NaN loss, and the loss
 * says why once (a console warning), on the fused and the tfjs-ops path; losses without logs
 * stay silent. A small model whose head ends in a softmax trains with every heatmap loss for
 * 300 SGD steps with finite weights and a falling loss.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLossOrThrow } from '../../src/losses/registry.js';
import type { Loss } from '../../src/pipeline/loss.js';

const LOG_LOSSES = ['heatmap_kl', 'heatmap_js', 'temporal_heatmap_kl'] as const;
const HEATMAP_LOSSES = ['heatmap_mse', ...LOG_LOSSES.slice(0, 2), 'temporal_heatmap_mse', 'temporal_heatmap_kl'] as const;
const B = 6;
const K = 2;
const H = 6;

/** Normalised gaussian maps at a keypoint moving across frames: (B, K, H, H). */
const targets = (): tf.Tensor4D =>
  tf.tidy(() => {
    const ax = tf.range(0, H).reshape([1, 1, 1, H]);
    const ay = tf.range(0, H).reshape([1, 1, H, 1]);
    const cx = tf.linspace(1, H - 2, B * K).reshape([B, K, 1, 1]);
    const cy = tf.linspace(H - 2, 1, B * K).reshape([B, K, 1, 1]);
    const g = ax.sub(cx).square().add(ay.sub(cy).square()).mul(-0.5).exp();
    return g.div(g.sum([2, 3], true)) as tf.Tensor4D;
  });

const inputsFor = (loss: Loss, pred: tf.Tensor, targ: tf.Tensor): Record<string, tf.Tensor> =>
  loss.reads.includes('heatmaps_targ') ? { heatmaps_targ: targ, heatmaps_pred: pred } : { heatmaps_pred: pred, confidences: tf.onesLike(pred.sum([2, 3])) };

afterEach(() => void vi.restoreAllMocks());

/** Let the loss's asynchronous read of its value settle. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('a negative prediction map: NaN loss, and one warning saying why', () => {
  it.each(LOG_LOSSES.flatMap((n) => [[n, true] as const, [n, false] as const]))('%s (fused %s)', async (name, fused) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const loss = createLossOrThrow(name, {}, { fused }) as Loss;
    const targ = targets();
    const pred = targ.sub(0.05); // some pixels negative
    const ins = inputsFor(loss, pred, targ);
    for (let i = 0; i < 3; i++) {
      const r = loss(ins);
      expect(r.loss.dataSync()[0]).toBeNaN();
      tf.dispose([r.loss, r.weight, r.weighted]);
      await settle();
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toBe(
      `poseloss: ${name} is NaN: ${name} needs heatmaps_pred to hold non-negative, finite maps: it takes their logs (use maps after a softmax; raw logits go negative) (this warning is shown once)`,
    );
    tf.dispose([targ, pred, ...Object.values(ins)]);
  });

  it.each(['heatmap_mse', 'temporal_heatmap_mse'])('%s takes no logs: finite, no warning', async (name) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const loss = createLossOrThrow(name) as Loss;
    const targ = targets();
    const pred = targ.sub(0.05);
    const ins = inputsFor(loss, pred, targ);
    const r = loss(ins);
    expect(Number.isFinite(r.loss.dataSync()[0])).toBe(true);
    await settle();
    expect(warn).not.toHaveBeenCalled();
    tf.dispose([targ, pred, r.loss, r.weight, r.weighted, ...Object.values(ins)]);
  });
});

describe('training a small softmax-headed model with each heatmap loss', () => {
  it.each(HEATMAP_LOSSES)('%s: 300 SGD steps, weights finite, loss falls', (name) => {
    const loss = createLossOrThrow(name, name.startsWith('temporal') ? { epsilon: 0 } : {}) as Loss;
    const targ = targets();
    const x = tf.tidy(() => tf.eye(B).concat(tf.ones([B, 1]), 1));
    const w = tf.variable(tf.randomNormal([B + 1, K * H * H], 0, 0.5, 'float32', 3));
    const model = () => tf.tidy(() => tf.softmax(x.matMul(w).reshape([B, K, H * H])).reshape([B, K, H, H]));
    const value = (): tf.Scalar => {
      const pred = model();
      return loss(inputsFor(loss, pred, targ)).loss;
    };
    const first = tf.tidy(() => value().dataSync()[0]);
    const opt = tf.train.sgd(name.startsWith('temporal') ? 10 : 0.5);
    for (let i = 0; i < 300; i++) tf.dispose(opt.minimize(value, true, [w])!);
    const last = tf.tidy(() => value().dataSync()[0]);
    const ws = w.dataSync();
    expect(ws.every(Number.isFinite), 'weights finite').toBe(true);
    expect(Number.isFinite(last)).toBe(true);
    expect(last, `${name}: ${first} → ${last}`).toBeLessThan(first);
    tf.dispose([targ, x, w]);
    opt.dispose();
  });
});

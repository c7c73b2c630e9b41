/**
 * The short form of `npm run leaks` (bench/leaks.ts; the full form makes 10⁴ calls per loop):
 * every built-in loss, fused and on the tfjs-ops path, and the default factory, called plainly,
 * inside tf.grad, in an optimizer step and rejected inside tf.grad — on wasm and cpu — leaves
 * the engine's tensor count and bytes where they were.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakLoops, MODES } from '../../bench/leaks.js';
import { lossNames } from '../../src/losses/registry.js';

const CALLS = 5;

describe(`leak loops, short form (${CALLS} calls per loop)`, () => {
  let initial = '';
  beforeAll(() => void (initial = tf.getBackend()));
  afterAll(async () => void (await tf.setBackend(initial)));

  it.each(['wasm', 'cpu'])('%s: tensor count and bytes flat for every loss, factory and mode', async (backend) => {
    if (!(await tf.setBackend(backend))) return void console.warn(`SKIP leak loops on ${backend}: backend unavailable`);
    const rows = leakLoops(CALLS);
    // every registered loss × (fused, tfjs ops) + the factory, each in every mode
    expect(rows.length).toBe((lossNames().length * 2 + 1) * MODES.length);
    for (const r of rows)
      expect({ subject: r.subject, mode: r.mode, tensors: r.tensors, bytes: r.bytes }).toEqual({ subject: r.subject, mode: r.mode, tensors: 0, bytes: 0 });
  });
});

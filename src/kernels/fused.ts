import * as tf from '@tensorflow/tfjs';
import { type Heap, recordingGradients, withHeap } from './memory.js';

/**
 * A fused loss kernel: one pass over the inputs' memory (a SIMD WebAssembly kernel, see
 * simd/) computing the reduced loss and, when a gradient is being recorded, its closed-form
 * gradient w.r.t. the prediction inputs — wrapped in `tf.customGrad` so it composes with
 * autodiff on either side. `heap.ins` are the inputs' byte offsets ([constants...,
 * predictions...]), `grads` the gradients' offsets (the kernel writes every entry) or null when
 * no gradient is recorded; the scratch region has the `scratchBytes` the kernel asked for.
 */
export type SimdForward = (heap: Heap, grads: number[] | null) => number;

/** A kernel ready to run: its forward and the scratch bytes it needs. */
export interface SimdKernel {
  readonly forward: SimdForward;
  readonly scratchBytes: number;
}

/** [value, ...gradients]: the loss and, when `withGrad`, its gradients w.r.t. the predictions. */
type Evaluate = (predictions: tf.Tensor[], withGrad: boolean) => tf.Tensor[];

/**
 * `save(tensors)` with the engine's clone made a view. tfjs keeps a clone of what a custom
 * gradient saves, and on the wasm backend a clone (Identity) copies the buffer — 4.4 MB for a
 * 16×17×64×64 heatmap gradient, a third of heatmap_mse's fwd+bwd. A Reshape to the same shape
 * shares the buffer, reference counted, which is all a saved (immutable) tensor needs.
 */
export const saveWithoutCopy = (save: tf.GradSaveFunc, tensors: tf.Tensor[]): void => {
  const engine = tf.engine() as unknown as { clone(x: tf.Tensor): tf.Tensor };
  const own = Object.hasOwn(engine, 'clone');
  const clone = engine.clone;
  engine.clone = (x) => x.reshape(x.shape);
  try {
    save(tensors);
  } finally {
    if (own) engine.clone = clone;
    else delete (engine as { clone?: unknown }).clone;
  }
};

/**
 * `tf.customGrad` around an evaluation that yields the value and the closed-form gradients
 * together. When the value is not finite (`finite()` after the evaluation), every gradient entry
 * is NaN, as on the tfjs-ops path (README "How a pipeline runs": non-finite inputs).
 */
const customLoss = (predictions: readonly tf.Tensor[], evaluate: Evaluate, finite: () => boolean): tf.Scalar => {
  const f = tf.customGrad(((...args: unknown[]) => {
    const preds = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [value, ...grads] = evaluate(preds, recordingGradients());
    saveWithoutCopy(save, grads);
    return {
      value: value as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => (finite() ? scaleSaved(saved, dy) : saved.map((g) => tf.fill(g.shape, NaN))),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (...xs: tf.Tensor[]) => tf.Scalar)(...predictions);
};

/**
 * Gradients a kernel computed in its forward pass (saved), times the upstream gradient dy. dy is a
 * scalar in memory here; when it is 1 (a loss differentiated directly) each saved gradient is
 * returned as a view of the same memory: the engine disposes what it saved after backprop, and a
 * clone would copy (the wasm backend's Identity copies; its Reshape shares the buffer).
 */
export const scaleSaved = (saved: readonly tf.Tensor[], dy: tf.Tensor): tf.Tensor[] => {
  const one = dy.size === 1 && dy.dataSync()[0] === 1;
  return saved.map((g) => (one ? g.reshape(g.shape) : g.mul(dy)));
};

const outputShapes = (preds: tf.Tensor[], withGrad: boolean) => [[], ...(withGrad ? preds.map((p) => p.shape) : [])];

export const simdLoss = (constants: readonly tf.Tensor[], predictions: readonly tf.Tensor[], { forward, scratchBytes }: SimdKernel): tf.Scalar => {
  let finite = true;
  return customLoss(
    predictions,
    (preds, withGrad) =>
      withHeap([...constants, ...preds], outputShapes(preds, withGrad), scratchBytes, (heap) => {
        const value = Math.fround(forward(heap, withGrad ? heap.outs.slice(1) : null));
        finite = Number.isFinite(value);
        new Float32Array(heap.memory.buffer, heap.outs[0], 1)[0] = value;
      }),
    () => finite,
  );
};

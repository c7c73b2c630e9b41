import * as tf from '@tensorflow/tfjs';

/**
 * Direct access to tensor memory on the backends that keep it in this process: the cpu
 * backend's typed arrays and the wasm backend's heap. Fused kernels loop over it once
 * instead of chaining tfjs ops; elsewhere (native TensorFlow) they are not used.
 */
interface WasmBackend {
  dataIdMap: { get(id: object): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}
interface CpuBackend {
  data: { get(id: object): { values: Float32Array } };
}

export const memoryKernelsAvailable = (): boolean => {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu';
};

/**
 * Allocate `outShapes` float32 outputs, then call `fn` with views of the (float32) inputs
 * and of the outputs, and return the outputs. Views are taken after every allocation
 * (a wasm heap growth detaches older views) and must not outlive `fn`.
 */
export const withMemory = (inputs: readonly tf.Tensor[], outShapes: readonly number[][], fn: (ins: Float32Array[], outs: Float32Array[]) => void): tf.Tensor[] => {
  const name = tf.getBackend();
  for (const t of inputs) if (t.dtype !== 'float32') throw new Error(`fused kernel: expected float32 input, got ${t.dtype}`);
  if (name === 'wasm') {
    const b = tf.backend() as unknown as WasmBackend;
    const outs = outShapes.map((s) => tf.engine().makeTensorFromTensorInfo(b.makeOutput(s, 'float32')));
    const view = (t: tf.Tensor) => new Float32Array(b.wasm.HEAPU8.buffer, b.dataIdMap.get(t.dataId).memoryOffset, t.size);
    fn(inputs.map(view), outs.map(view));
    return outs;
  }
  if (name === 'cpu') {
    const b = tf.backend() as unknown as CpuBackend;
    const bufs = outShapes.map((s) => new Float32Array(s.reduce((a, d) => a * d, 1)));
    fn(
      inputs.map((t) => b.data.get(t.dataId).values),
      bufs,
    );
    return bufs.map((buf, i) => tf.tensor(buf, outShapes[i], 'float32'));
  }
  throw new Error(`fused kernels need the cpu or wasm backend, not ${name}`);
};

/** Whether a gradient is being recorded (inside tf.grad / tf.grads): only then compute it. */
export const recordingGradients = (): boolean => (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;

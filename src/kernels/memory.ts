import * as tf from '@tensorflow/tfjs';
import { callKernel, DESCRIPTOR_BYTES, type KernelArgs, type KernelName } from './simd/descriptors.js';
import { type SimdKernels, simdKernels } from './simd/index.js';

/**
 * Direct access to tensor memory on the backends that keep it in this process: the cpu
 * backend's typed arrays and the wasm backend's heap. Fused kernels loop over it once
 * instead of chaining tfjs ops; elsewhere (native TensorFlow) they are not used.
 */
interface WasmBackend {
  dataIdMap: { get(id: object): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array; asm: { memory: WebAssembly.Memory }; _malloc(bytes: number): number; _free(ptr: number): void };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}
interface CpuBackend {
  data: { get(id: object): { values: Float32Array } };
}

/** The memory the kernels run on for the current backend: the wasm heap, or poseloss's own. */
const kernelMemory = (name: string): WebAssembly.Memory | null =>
  name === 'wasm' ? (tf.backend() as unknown as WasmBackend).wasm.asm.memory : name === 'cpu' ? own : null;

const usable = new Map<string, boolean>();

/**
 * Whether the fused kernels can run on the current backend: cpu or wasm, and the module
 * instantiates on its memory (a shared, multi-threaded wasm heap would refuse it). Otherwise
 * losses take the tfjs-ops path, with one warning saying why.
 */
export const memoryKernelsAvailable = (): boolean => {
  const name = tf.getBackend();
  let ok = usable.get(name);
  if (ok === undefined) {
    ok = false;
    try {
      // inside the try: another tfjs-backend-wasm version may keep its heap elsewhere
      const memory = kernelMemory(name);
      if (memory) {
        simdKernels(memory);
        ok = true;
      }
    } catch (e) {
      console.warn(`poseloss: fused kernels unavailable on the ${name} backend (${e instanceof Error ? e.message : String(e)}); using tfjs ops`);
    }
    usable.set(name, ok);
  }
  return ok;
};

/** Whether a gradient is being recorded (inside tf.grad / tf.grads): only then compute it. */
export { recordingGradients } from '../ops/recording.js';

/**
 * What a SIMD kernel sees: the kernels, byte offsets of the inputs and outputs in their memory,
 * the scratch bytes at `scratch` (8-byte aligned) that `fn` may fill through `memory.buffer`,
 * and `run`, which writes a kernel's descriptor (simd/descriptors.ts) into its own region
 * (`descriptor`, DESCRIPTOR_BYTES, not part of the scratch) and runs the kernel on it.
 */
export interface Heap {
  readonly kernels: SimdKernels;
  readonly memory: WebAssembly.Memory;
  readonly ins: number[];
  readonly outs: number[];
  readonly scratch: number;
  readonly descriptor: number;
  run<K extends KernelName>(name: K, args: KernelArgs<K>): number;
}

/** The Heap for buffers already placed in `memory`. */
export const heapOn = (memory: WebAssembly.Memory, ins: number[], outs: number[], scratch: number, descriptor: number): Heap => {
  const kernels = simdKernels(memory);
  return { kernels, memory, ins, outs, scratch, descriptor, run: (name, args) => callKernel(memory, kernels, descriptor, name, args) };
};

/** poseloss's own memory for the cpu backend: inputs are copied in, outputs copied out. */
const own = new WebAssembly.Memory({ initial: 1 });
const align = (n: number) => (n + 15) & ~15;

/**
 * Allocate `outShapes` float32 outputs, then call `fn` with pointers for the SIMD kernels to
 * the (float32) inputs, the outputs and `scratchBytes` of scratch, and return the outputs. On
 * the wasm backend these are the tensors' own heap offsets (no copies; scratch from the
 * backend's allocator); on the cpu backend, copies in poseloss's own memory.
 */
export const withHeap = (inputs: readonly tf.Tensor[], outShapes: readonly number[][], scratchBytes: number, fn: (heap: Heap) => void): tf.Tensor[] => {
  const name = tf.getBackend();
  for (const t of inputs) if (t.dtype !== 'float32') throw new Error(`fused kernel: expected float32 input, got ${t.dtype}`);
  const sizes = outShapes.map((s) => s.reduce((a, d) => a * d, 1));
  if (name === 'wasm') {
    const b = tf.backend() as unknown as WasmBackend;
    const outs = outShapes.map((s) => tf.engine().makeTensorFromTensorInfo(b.makeOutput(s, 'float32')));
    // the descriptor first, then the scratch (DESCRIPTOR_BYTES, a multiple of 16, keeps the allocator's alignment)
    const block = b.wasm._malloc(DESCRIPTOR_BYTES + scratchBytes);
    try {
      const at = (t: tf.Tensor) => b.dataIdMap.get(t.dataId).memoryOffset;
      fn(heapOn(b.wasm.asm.memory, inputs.map(at), outs.map(at), block + DESCRIPTOR_BYTES, block));
    } finally {
      b.wasm._free(block);
    }
    return outs;
  }
  if (name === 'cpu') {
    const b = tf.backend() as unknown as CpuBackend;
    let end = 16;
    const place = (n: number) => ((end = align(end)), (end += n), end - n);
    const ins = inputs.map((t) => place(t.size * 4));
    const outs = sizes.map((n) => place(n * 4));
    const descriptor = place(DESCRIPTOR_BYTES);
    const scratch = place(scratchBytes);
    const grow = Math.ceil(end / 65536) - own.buffer.byteLength / 65536;
    if (grow > 0) own.grow(grow);
    inputs.forEach((t, i) => new Float32Array(own.buffer, ins[i], t.size).set(b.data.get(t.dataId).values));
    fn(heapOn(own, ins, outs, scratch, descriptor));
    return sizes.map((n, i) => tf.tensor(new Float32Array(own.buffer, outs[i], n).slice(), outShapes[i], 'float32'));
  }
  throw new Error(`fused kernels need the cpu or wasm backend, not ${name}`);
};

import * as tf from '@tensorflow/tfjs';

export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Native TensorFlow bindings, when a user has installed one (optional dependencies). */
const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const tryNative = async (): Promise<string | null> => {
  for (const pkg of NATIVE) {
    try {
      await import(/* @vite-ignore */ pkg);
      if (await tf.setBackend('tensorflow')) return pkg;
    } catch {
      // not installed, or its binary failed to install: try the next
    }
  }
  return null;
};

const tryWasm = async (): Promise<boolean> => {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
};

export interface BackendInfo {
  readonly name: string;
  /** Why this one: forced by POSELOSS_BACKEND, or the first that worked in auto order. */
  readonly how: string;
}

let chosen: Promise<BackendInfo> | undefined;

const choose = async (choice: BackendChoice): Promise<BackendInfo> => {
  const forced = `forced by POSELOSS_BACKEND=${choice}`;
  if (choice === 'tensorflow') {
    const pkg = await tryNative();
    if (!pkg) throw new Error(`POSELOSS_BACKEND=tensorflow: neither ${NATIVE.join(' nor ')} could be loaded (install one with npm)`);
    return { name: 'tensorflow', how: `${forced} (${pkg})` };
  }
  if (choice === 'wasm') {
    if (!(await tryWasm())) throw new Error('POSELOSS_BACKEND=wasm: @tensorflow/tfjs-backend-wasm could not be initialised');
    return { name: 'wasm', how: forced };
  }
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    return { name: 'cpu', how: forced };
  }
  const pkg = await tryNative();
  if (pkg) return { name: 'tensorflow', how: `auto: ${pkg} is installed` };
  if (await tryWasm()) return { name: 'wasm', how: 'auto: embedded default' };
  await tf.setBackend('cpu');
  return { name: 'cpu', how: 'auto: wasm unavailable, pure-JS fallback' };
};

/**
 * Select the TensorFlow.js backend once per process: `POSELOSS_BACKEND` (auto | wasm | cpu |
 * tensorflow) or the argument forces one; auto prefers native TensorFlow when installed,
 * then the embedded wasm backend, then the cpu backend.
 */
export const initBackend = (choice?: BackendChoice): Promise<BackendInfo> => {
  if (!chosen) {
    const env = (process.env.POSELOSS_BACKEND ?? 'auto').toLowerCase();
    const c = choice ?? env;
    if (!(BACKEND_CHOICES as readonly string[]).includes(c))
      return Promise.reject(new Error(`POSELOSS_BACKEND=${c}: expected one of ${BACKEND_CHOICES.join(', ')}`));
    chosen = choose(c as BackendChoice).then(async (info) => (await tf.ready(), info));
  }
  return chosen;
};

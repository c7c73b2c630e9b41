import * as tf from '@tensorflow/tfjs';
import type { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { envVar, isNode } from './env.js';

export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'webgl', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendOptions {
  /**
   * Where tfjs-backend-wasm's own `.wasm` files are served, passed to its `setWasmPaths`
   * before the backend starts: a URL prefix ending in `/`, or a map from file name to URL.
   * Needed in a browser page when they are not beside the page (poseloss's own kernels are
   * embedded in its JavaScript and need nothing).
   */
  readonly wasmPaths?: Parameters<typeof setWasmPaths>[0];
}

/** Native TensorFlow bindings, used when a user has installed one (poseloss does not depend on them). */
const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const tryNative = async (): Promise<string | null> => {
  if (!isNode()) return null;
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

const tryWasm = async (o: BackendOptions): Promise<boolean> => {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (o.wasmPaths !== undefined) wasm.setWasmPaths(o.wasmPaths);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
};

const tryWebgl = async (): Promise<boolean> => {
  try {
    return await tf.setBackend('webgl');
  } catch {
    return false;
  }
};

export interface BackendInfo {
  readonly name: string;
  /** Why this one: forced by POSELOSS_BACKEND or the argument, or the first that worked in auto order. */
  readonly how: string;
}

let chosen: Promise<BackendInfo> | undefined;

const choose = async (choice: BackendChoice, o: BackendOptions, forced: string): Promise<BackendInfo> => {
  if (choice === 'tensorflow') {
    const pkg = await tryNative();
    if (!pkg) throw new Error(`${forced}: neither ${NATIVE.join(' nor ')} could be loaded (install one with npm, in Node)`);
    return { name: 'tensorflow', how: `${forced} (${pkg})` };
  }
  if (choice === 'wasm') {
    if (!(await tryWasm(o))) throw new Error(`${forced}: @tensorflow/tfjs-backend-wasm could not be initialised`);
    return { name: 'wasm', how: forced };
  }
  if (choice === 'webgl') {
    if (!(await tryWebgl())) throw new Error(`${forced}: the webgl backend could not be initialised (no WebGL here)`);
    return { name: 'webgl', how: forced };
  }
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    return { name: 'cpu', how: forced };
  }
  const pkg = await tryNative();
  if (pkg) return { name: 'tensorflow', how: `auto: ${pkg} is installed` };
  if (await tryWasm(o)) return { name: 'wasm', how: 'auto: embedded default' };
  if (!isNode() && (await tryWebgl())) return { name: 'webgl', how: 'auto: wasm unavailable, webgl fallback' };
  await tf.setBackend('cpu');
  return { name: 'cpu', how: 'auto: wasm unavailable, pure-JS fallback' };
};

/**
 * Select the TensorFlow.js backend once per process or page: the argument or, in Node,
 * `POSELOSS_BACKEND` (auto | wasm | cpu | webgl | tensorflow) forces one; auto prefers native
 * TensorFlow when installed (Node), then the embedded wasm backend, then webgl (browser),
 * then the cpu backend.
 */
export const initBackend = (choice?: BackendChoice, options: BackendOptions = {}): Promise<BackendInfo> => {
  if (!chosen) {
    const env = envVar('POSELOSS_BACKEND');
    const c = choice ?? (env ?? 'auto').toLowerCase();
    const forced = choice ? `forced by initBackend('${choice}')` : `forced by POSELOSS_BACKEND=${c}`;
    if (!(BACKEND_CHOICES as readonly string[]).includes(c))
      return Promise.reject(new Error(`${choice ? 'initBackend' : 'POSELOSS_BACKEND'}=${c}: expected one of ${BACKEND_CHOICES.join(', ')}`));
    chosen = choose(c as BackendChoice, options, forced).then(async (info) => (await tf.ready(), info));
  }
  return chosen;
};

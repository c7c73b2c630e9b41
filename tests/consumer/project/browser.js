// (e) a browser page's script, bundled by esbuild with default browser settings. The default
// backend choice (auto: wasm first); tfjs-backend-wasm's own .wasm files are served under /wasm/
// (setWasmPaths through initBackend); poseloss's kernels are inside the bundle.
import * as tf from '@tensorflow/tfjs';
import * as poseloss from 'poseloss';
import { runCases } from './cases.js';

poseloss
  .initBackend('auto', { wasmPaths: '/wasm/' })
  .then(async (backend) => ({ backend: backend.name, hasProcess: typeof process !== 'undefined', results: await runCases(tf, poseloss) }))
  .then(
    (r) => (window.poselossResult = r),
    (e) => (window.poselossResult = { error: String((e && e.stack) || e) }),
  );

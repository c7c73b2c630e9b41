import * as fc from 'fast-check';
import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { compileExpr } from '../../src/expr/index.js';
import { exprKernel, exprRegion } from '../../src/kernels/expr.js';
import type { SimdForward } from '../../src/kernels/fused.js';
import { type HeatmapKind, heatmapKernel } from '../../src/kernels/heatmap.js';
import { type KernelMask, keypointKernel } from '../../src/kernels/keypoints.js';
import { type Heap, heapOn } from '../../src/kernels/memory.js';
import { multiviewLossKernel, pairsKernel, reprojectKernel, rigOf } from '../../src/kernels/multiview.js';
import { pcaKernel } from '../../src/kernels/pca.js';
import { reprojectionKernel } from '../../src/kernels/reprojection.js';
import { callKernel, DESCRIPTOR_BYTES, DESCRIPTORS, type DescriptorKernels, type KernelName } from '../../src/kernels/simd/descriptors.js';
import { simdKernels } from '../../src/kernels/simd/index.js';
import { temporalHeatmapKernel, temporalKernel } from '../../src/kernels/temporal.js';
import { fitKeypointPca } from '../../src/pca/fit.js';
import type { PcaFormat } from '../../src/pca/types.js';
import { AXIS_ORDER } from '../../src/pipeline/keys.js';
import { rigArb } from '../geometry/rig.js';

/**
 * The SIMD kernels write into the tfjs wasm heap, where a stray store would corrupt other
 * tensors or the allocator. Here each runs in a memory of its own with every buffer between
 * guard zones (and unaligned where the real heap may be): after the call, only its gradient
 * buffers and its scratch may have changed — and its descriptor only by the TypeScript writer:
 * every wasm call is checked to take the descriptor's address and to leave its bytes as they were.
 */
const GUARD = 48;
const FILL = 0xa5;

const runGuarded = (inputs: Float32Array[], gradSizes: number[], scratchBytes: number, forward: SimdForward, misalign: number) => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  let end = GUARD + misalign;
  const regions: [number, number][] = []; // [start, bytes] of buffers the kernel may write
  const place = (bytes: number, writable: boolean) => {
    const at = end;
    if (writable) regions.push([at, bytes]);
    end += bytes + GUARD + 4; // keep float alignment, break 16-byte alignment
    return at;
  };
  const ins = inputs.map((a) => place(a.byteLength, false));
  const outs = [place(4, true), ...gradSizes.map((n) => place(4 * n, true))];
  const descriptor = (end + 15) & ~15; // the allocator hands out aligned blocks
  regions.push([descriptor, DESCRIPTOR_BYTES]); // written by callKernel, checked per call below
  const scratch = (descriptor + DESCRIPTOR_BYTES + GUARD + 15) & ~15;
  regions.push([scratch, scratchBytes]);
  end = scratch + scratchBytes + GUARD;
  const need = Math.ceil((end + GUARD) / 65536) - 1;
  if (need > 0) memory.grow(need);
  const bytes = new Uint8Array(memory.buffer);
  bytes.fill(FILL);
  inputs.forEach((a, i) => new Float32Array(memory.buffer, ins[i], a.length).set(a));
  const before = bytes.slice();
  const plain = simdKernels(memory);
  const checked = Object.fromEntries(
    (Object.keys(DESCRIPTORS) as KernelName[]).map((name) => [
      name,
      (at: number) => {
        if (at !== descriptor) throw new Error(`${name} called with ${at}, not the descriptor's address ${descriptor}`);
        const written = new Uint8Array(memory.buffer, descriptor, DESCRIPTOR_BYTES).slice();
        const result = plain[name](at);
        const now = new Uint8Array(memory.buffer, descriptor, DESCRIPTOR_BYTES);
        if (now.some((b, i) => b !== written[i])) throw new Error(`${name} wrote into its descriptor`);
        return result;
      },
    ]),
  ) as unknown as DescriptorKernels;
  const heap: Heap = {
    ...heapOn(memory, ins, outs, scratch, descriptor),
    kernels: { ...plain, ...checked },
    run: (name, args) => callKernel(memory, checked, descriptor, name, args),
  };
  const value = forward(heap, gradSizes.length ? outs.slice(1) : null);
  const after = new Uint8Array(memory.buffer);
  const writable = (i: number) => regions.some(([s, n]) => i >= s && i < s + n);
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i] && !writable(i)) throw new Error(`byte ${i} changed outside the kernel's buffers`);
  return value;
};

const floats = (n: number, seed: number, zeroEvery = 0) => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, (_, i) => ((s = (s * 1664525 + 1013904223) >>> 0), zeroEvery && i % zeroEvery === 0 ? 0 : s / 2 ** 32));
};

describe('SIMD kernels stay inside their buffers (guard zones, odd sizes, misaligned inputs)', () => {
  it('heatmap_mse / heatmap_kl / heatmap_js', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<HeatmapKind>('heatmap_mse', 'heatmap_kl', 'heatmap_js'),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 23 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        (kind, maps, pixels, masked, grad, mis, seed) => {
          const { forward, scratchBytes } = heatmapKernel(kind, maps, pixels, masked, seed % 2 === 0);
          const t = floats(maps * pixels, seed, 3);
          const v = runGuarded([t, floats(maps * pixels, seed + 1)], grad ? [maps * pixels] : [], scratchBytes, forward, 4 * mis);
          expect(Number.isFinite(v)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('temporal_heatmap_mse / temporal_heatmap_kl', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 19 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        (kl, frames, k, pixels, grad, mis, seed) => {
          const eps = Float64Array.from({ length: k }, (_, j) => 0.01 * j);
          const { forward, scratchBytes } = temporalHeatmapKernel(kl, frames, k, pixels, eps, [{ below: 0.3, mode: 'zero' }], true, seed % 2 === 0);
          runGuarded([floats(frames * k, seed), floats(frames * k * pixels, seed + 1)], grad ? [frames * k * pixels] : [], scratchBytes, forward, 4 * mis);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reprojection (Gaussian maps rendered at keypoints, compared with targets)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 11 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        (maps, h, w, grad, mis, seed) => {
          const kernel = reprojectionKernel(maps, { height: h, width: w }, { height: 2 * h, width: 2 * w }, 1.25, seed % 2 === 0);
          const kp = Float32Array.from(floats(2 * maps, seed), (v, i) => (i % 5 === 4 ? NaN : v * 2 * (i % 2 ? h : w)));
          runGuarded([floats(maps * h * w, seed + 1, 3), kp], grad ? [2 * maps] : [], kernel.scratchBytes, kernel.forward, 4 * mis);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('temporal (keypoints)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        (frames, k, conf, grad, mis, seed) => {
          const eps = new Float64Array(k).fill(0.05);
          const { forward, scratchBytes } = temporalKernel(frames, k, eps, conf ? [{ below: 0.3, mode: 'drop' }] : [], conf, seed % 2 === 0);
          const ins = [...(conf ? [floats(frames * k, seed)] : []), floats(frames * 2 * k, seed + 1)];
          runGuarded(ins, grad ? [frames * 2 * k] : [], scratchBytes, forward, 4 * mis);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('pca_singleview (columns, every centering) / pca_multiview', () => {
    const k = 7;
    const labels = { data: Float64Array.from(floats(60 * 2 * k, 7), (v) => 100 * v), rows: 60, cols: 2 * k };
    const formats: PcaFormat[] = [
      { kind: 'singleview', columns: null, centering: null },
      { kind: 'singleview', columns: [0, 2, 3, 5, 6], centering: 'mean' },
      { kind: 'singleview', columns: [1, 4, 5], centering: 'median' },
      {
        kind: 'multiview',
        matches: [
          [0, 1, 2],
          [3, 4, 5],
        ],
      },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...formats),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.constantFrom(0, 0.5),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        (format, frames, grad, eps, mis, seed) => {
          const fit = fitKeypointPca(labels, { format, componentsToKeep: { kind: 'fraction', f: 0.8 }, percentile: 99 });
          if (either.isLeft(fit)) throw new Error(fit.left);
          const { forward, scratchBytes } = pcaKernel(fit.right, k, eps, seed % 2 === 0);
          const x = Float32Array.from(floats(frames * 2 * k, seed), (v) => 100 * v);
          runGuarded([x], grad ? [frames * 2 * k] : [], scratchBytes, forward(frames), 4 * mis);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keypoint losses: elementwise and norms, NaN and confidence masks, 3-D target broadcast', () => {
    const masks: KernelMask[] = [
      { input: 0, kind: 'nan', element: true, below: 0, drop: true },
      { input: 1, kind: 'nan', element: false, below: 0, drop: false },
      { input: 2, kind: 'below', element: false, below: 0.3, drop: true },
    ];
    fc.assert(
      fc.property(
        fc.record({
          frames: fc.integer({ min: 1, max: 5 }),
          pairs: fc.integer({ min: 1, max: 3 }),
          k: fc.integer({ min: 1, max: 19 }),
          c: fc.integer({ min: 1, max: 3 }),
          broadcast: fc.boolean(),
          kind: fc.constantFrom<Parameters<typeof keypointKernel>[1]>(
            { elementwise: 'squared_error', param: 1 },
            { elementwise: 'huber', param: 0.5 },
            { norm: 1 },
          ),
          nMasks: fc.integer({ min: 0, max: 3 }),
          grads: fc.subarray([0, 1] as (0 | 1)[]),
          mis: fc.integer({ min: 0, max: 3 }),
          seed: fc.integer(),
        }),
        ({ frames, pairs, k, c, broadcast, kind, nMasks, grads, mis, seed }) => {
          const pred = frames * pairs * k * c;
          const targ = broadcast ? frames * k * c : pred;
          const eps = new Float64Array(k).fill(0.1);
          const { forward, scratchBytes } = keypointKernel(
            { frames, pairs, keypoints: k, coords: c, targetBroadcast: broadcast },
            kind,
            masks.slice(0, nMasks),
            eps,
            grads,
            true,
            seed % 2 === 0,
          );
          const t = floats(targ, seed).map((v, i) => (i % 7 === 3 ? NaN : v));
          const ins = [t, floats(pred, seed + 1), floats(frames * k, seed + 2)];
          runGuarded(
            ins,
            grads.map((i) => (i === 0 ? targ : pred)),
            scratchBytes,
            (heap, gs) => forward(heap.ins)(heap, gs),
            4 * mis,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('expr (register program: every op, broadcast inputs and constants, whole and partial reductions)', () => {
    const inputs = { P: ['batch', 'keypoints', 'height', 'width'], T: ['batch', 'keypoints', 'height', 'width'], w: ['batch', 'keypoints'] };
    const values = [
      'where(abs(P - T) < 0.5, log1p(P * w), pow(abs(P) + 0.1, w) - exp(-P) + sqrt(abs(T)) / max(P, T) + min(P, 0.3) + log(abs(P) + 1) + square(P) * s + 0.5 ^ P)',
      'topk_mean(mean((P * w - T * w) ^ 2, height, width), keypoints, 1)',
      // the one-pass squared-difference form: whole, weights absent / constant / broadcast on either side
      '(P - T) ^ 2 * w',
      '0.5 * (T - P * s) ^ 2',
      'sum((P * 2 - T) ^ 2, width)',
      'sum(where(and(P > T, not(isnan(P))), P / (T + 1), -P) * s, keypoints, height, width)',
    ];
    fc.assert(
      fc.property(
        fc.record({
          b: fc.integer({ min: 1, max: 3 }),
          k: fc.integer({ min: 2, max: 4 }),
          h: fc.integer({ min: 1, max: 9 }),
          w: fc.integer({ min: 1, max: 23 }),
          value: fc.constantFrom(...values),
          mean: fc.boolean(),
          grad: fc.boolean(),
          mis: fc.integer({ min: 0, max: 3 }),
          seed: fc.integer(),
        }),
        ({ b, k, h, w, value, mean, grad, mis, seed }) => {
          const c = compileExpr(
            { defs: [['s', { values: Array.from({ length: k }, (_, i) => i + 1), axis: 'keypoints' }]], value },
            { axes: AXIS_ORDER, inputs },
          );
          if (either.isLeft(c)) throw new Error(JSON.stringify(c.left));
          const region = exprRegion(c.right, (n) => n === 'P', mean);
          if (!region) throw new Error(`not fused: ${value}`);
          const sizes: Record<string, number> = { batch: b, keypoints: k, height: h, width: w };
          const kernel = exprKernel(region, sizes);
          const data = (n: string, i: number) =>
            floats(
              inputs[n as keyof typeof inputs].reduce((a, ax) => a * sizes[ax], 1),
              seed + i,
            );
          const ins = [...region.constants, ...region.predictions].map(data);
          const nOut = kernel.outShape.reduce((a, d) => a * d, 1);
          runGuarded(
            ins,
            [nOut, ...(grad ? [b * k * h * w] : [])],
            kernel.scratchBytes,
            (heap, gs) => (kernel.run(heap, gs![0], grad ? gs!.slice(1) : null, 0), 0),
            4 * mis,
          );
          // a partial reduction's gradient pass: upstream gradients per block (some 0: skipped chunks), only the gradient written
          if (!region.whole) {
            const seeds = floats(nOut, seed + 9, 2);
            runGuarded([...ins, seeds], [b * k * h * w], kernel.scratchBytes, (heap, gs) => (kernel.run(heap, 0, gs, heap.ins[ins.length]), 0), 4 * mis);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('multiview (the loss with every mask, ε, both triangulations; the transform forward and its gradient; triangulate_pairs forward and gradient)', () => {
    fc.assert(
      fc.property(
        rigArb({ minV: 2, maxV: 5 }),
        fc.record({
          B: fc.integer({ min: 1, max: 4 }),
          K: fc.integer({ min: 1, max: 7 }),
          pairwise: fc.boolean(),
          nMasks: fc.integer({ min: 0, max: 2 }),
          eps: fc.boolean(),
          grad: fc.boolean(),
          mis: fc.integer({ min: 0, max: 3 }),
          seed: fc.integer(),
        }),
        (cams, { B, K, pairwise, nMasks, eps, grad, mis, seed }) => {
          const rig = rigOf(cams);
          const n = B * rig.V * K;
          const tri = pairwise ? 'pairwise_median' : 'dlt';
          // pixels around the image centre, some missing; confidences in [0, 1)
          const pts = Float32Array.from(floats(2 * n, seed), (v, i) => (i % 11 === 5 ? NaN : 300 + 400 * v));
          const conf = floats(n, seed + 1);
          const spec = {
            rig,
            triangulation: tri,
            below: 0.1,
            confMasks: Array.from({ length: nMasks }, (_, i) => ({ below: 0.2 * i })),
            dropNaNPred: true,
            dropNaNReprojected: seed % 2 === 0,
            epsilon: eps ? new Float64Array(K).fill(0.5) : null,
            sum: seed % 3 === 0,
          } as const;
          const at = { tconf: 0, masks: spec.confMasks.map((_, i) => (i === 0 ? 0 : -1)), pts: 1 };
          const loss = multiviewLossKernel(spec, B, K, at);
          runGuarded([conf, pts], grad ? [2 * n] : [], loss.scratchBytes, loss.forward, 4 * mis);
          const k = reprojectKernel(rig, tri, 0.1, B, K);
          runGuarded([pts, conf], [2 * n], k.scratchBytes, (heap, gs) => (k.forward(heap, heap.ins[0], heap.ins[1], gs![0]), 0), 4 * mis);
          const dy = floats(2 * n, seed + 2);
          runGuarded([pts, conf, dy], [2 * n], k.scratchBytes, (heap, gs) => (k.backward(heap, heap.ins[0], heap.ins[1], heap.ins[2], gs![0]), 0), 4 * mis);
          // triangulate_pairs: (B, V, K, 2) → (B, P, K, 3), and its gradient from dy (B, P, K, 3)
          const np = (B * rig.V * (rig.V - 1) * K) / 2;
          const pk = pairsKernel(rig, B, K);
          runGuarded([pts], [3 * np], pk.scratchBytes, (heap, gs) => (pk.forward(heap, heap.ins[0], gs![0]), 0), 4 * mis);
          const dyPairs = floats(3 * np, seed + 3);
          runGuarded([pts, dyPairs], [2 * n], pk.scratchBytes, (heap, gs) => (pk.backward(heap, heap.ins[0], heap.ins[1], gs![0]), 0), 4 * mis);
        },
      ),
      { numRuns: 150 },
    );
  });
});

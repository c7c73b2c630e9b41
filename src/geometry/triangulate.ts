import * as tf from '@tensorflow/tfjs';
import { type CameraTensors, viewsLast } from './cameraTensors.js';
import { type Sym3, solveSym3 } from './solve3.js';
import { nanWhereNot, presentXY, splitXY } from './undistort.js';

/** Newton steps after the least-squares start; 2 meet the vectors' float32 tolerances with 4–5× margin (README "Multi-camera geometry"). */
export const DLT_REFINE_STEPS = 2;

/** (..., ...views, K) → (..., ...views[:-1], K, lastView): the views being combined on the last axis. */
const lastViewLast = (x: tf.Tensor): tf.Tensor => {
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return x.transpose(perm);
};

const sumViews = (x: tf.Tensor): tf.Tensor => x.sum(-1);

type Vec3 = [tf.Tensor, tf.Tensor, tf.Tensor];

/** Rows of A for masked, weighted x, y (..., K, V): a = first three entries, a4 = the last; and the 3×3 AᵀA (+I where not ok). */
const rowsOf = (cams: Pick<CameraTensors, 'R' | 't'>, x: tf.Tensor, y: tf.Tensor, w: tf.Tensor, notOk: tf.Tensor) => {
  const { R, t } = cams;
  const ax = [0, 1, 2].map((j) => x.mul(R[2][j]).sub(R[0][j]).mul(w)) as Vec3;
  const ay = [0, 1, 2].map((j) => y.mul(R[2][j]).sub(R[1][j]).mul(w)) as Vec3;
  const ax4 = x.mul(t[2]).sub(t[0]).mul(w);
  const ay4 = y.mul(t[2]).sub(t[1]).mul(w);
  const dot = (i: number, j: number) => sumViews(ax[i].mul(ax[j]).add(ay[i].mul(ay[j])));
  const B = { s00: dot(0, 0).add(notOk), s01: dot(0, 1), s02: dot(0, 2), s11: dot(1, 1).add(notOk), s12: dot(1, 2), s22: dot(2, 2).add(notOk) };
  return { ax, ay, ax4, ay4, B };
};

/** Residuals of the rows at X, and f = ‖r‖²/(‖X‖² + 1). */
const residuals = (r: ReturnType<typeof rowsOf>, X: readonly tf.Tensor[]) => {
  const Xv = X.map((c) => c.expandDims(-1));
  const rx = r.ax[0].mul(Xv[0]).add(r.ax[1].mul(Xv[1])).add(r.ax[2].mul(Xv[2])).add(r.ax4); // (..., K, V)
  const ry = r.ay[0].mul(Xv[0]).add(r.ay[1].mul(Xv[1])).add(r.ay[2].mul(Xv[2])).add(r.ay4);
  const q = X[0].square().add(X[1].square()).add(X[2].square()).add(1);
  return { rx, ry, q, f: sumViews(rx.square().add(ry.square())).div(q) };
};

const shifted = (B: Sym3, f: tf.Tensor): Sym3 => ({ ...B, s00: B.s00.sub(f), s11: B.s11.sub(f), s22: B.s22.sub(f) });

/**
 * The DLT point (..., K, 3) from masked x, y, w (..., K, V) — least squares, then `steps`
 * Newton steps — with an implicit gradient: X is the stationary point of
 * F(X) = ‖A₃X + a₄‖²/(‖X‖² + 1), so dX/dθ = −H⁻¹ ∂G/∂θ with G = ∇F = 2(A₃ᵀr − F·X)/q and
 * H = ∇²F = 2(A₃ᵀA₃ − F·I)/q there. With v = H⁻¹·dL/dX, dL/dθ = −∂⟨G, v⟩/∂θ, written out per
 * row: ∂⟨G,v⟩/∂aᵢ = (2/q)(cᵢX + rᵢv − (2s/q)rᵢX), ∂⟨G,v⟩/∂a4ᵢ = (2/q)(cᵢ − (2s/q)rᵢ) with
 * cᵢ = aᵢ·v, s = X·v. One 3×3 solve and a few elementwise ops instead of differentiating the
 * iterations (checked against central differences of the float64 SVD reference). No gradient
 * to the weights.
 */
/** The rotation entries R[i][j] and translation t[i] as 12 tensors, and back: the camera enters dlt as inputs, so its gradient uses saved copies (a call's camera tensors may be gone by the backward pass). */
const rtOf = (cams: CameraTensors): tf.Tensor[] => [...cams.R.flat(), ...cams.t];
const camsOf = (rt: readonly tf.Tensor[]): Pick<CameraTensors, 'R' | 't'> => ({ R: [rt.slice(0, 3), rt.slice(3, 6), rt.slice(6, 9)], t: rt.slice(9, 12) });

const dlt = (steps: number) =>
  tf.customGrad(((x: tf.Tensor, y: tf.Tensor, w: tf.Tensor, notOk: tf.Tensor, ...rest: unknown[]) => {
    const save = rest.pop() as tf.GradSaveFunc;
    const rt = rest as tf.Tensor[];
    const rows = rowsOf(camsOf(rt), x, y, w, notOk);
    const b = [0, 1, 2].map((j) => sumViews(rows.ax[j].mul(rows.ax4).add(rows.ay[j].mul(rows.ay4))).neg()) as Vec3;
    let X = solveSym3(rows.B, b);
    for (let i = 0; i < steps; i++) {
      const { rx, ry, f } = residuals(rows, X);
      const g = [0, 1, 2].map((j) => sumViews(rows.ax[j].mul(rx).add(rows.ay[j].mul(ry))).sub(f.mul(X[j]))) as Vec3;
      const d = solveSym3(shifted(rows.B, f), g);
      X = [X[0].sub(d[0]), X[1].sub(d[1]), X[2].sub(d[2])];
    }
    const value = tf.stack(X, -1);
    save([x, y, w, notOk, value, ...rt]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ys, ws, no, Xs, ...savedRt] = saved;
        const cams = camsOf(savedRt);
        const r = rowsOf(cams, xs, ys, ws, no);
        const X3 = tf.unstack(Xs, -1);
        const { rx, ry, q, f } = residuals(r, X3);
        const half = q.mul(0.5);
        const v = solveSym3(shifted(r.B, f), tf.unstack(dy, -1) as Vec3).map((c) => c.mul(half));
        const s = X3[0].mul(v[0]).add(X3[1].mul(v[1])).add(X3[2].mul(v[2])).expandDims(-1); // (..., K, 1)
        const two = tf.scalar(2).div(q).expandDims(-1);
        const k2 = s.mul(two); // 2s/q
        const Xv = X3.map((c) => c.expandDims(-1));
        const vv = v.map((c) => c.expandDims(-1));
        const { R, t } = cams;
        // d⟨G,v⟩/dx via a_x = w(x·R₂ − R₀), a4_x = w(x·t₂ − t₀); the same for y with R₁, t₁
        const along = (a: Vec3, res: tf.Tensor) => {
          const c = a[0].mul(vv[0]).add(a[1].mul(vv[1])).add(a[2].mul(vv[2]));
          const gA = [0, 1, 2].map((j) => c.mul(Xv[j]).add(res.mul(vv[j])).sub(k2.mul(res).mul(Xv[j])).mul(two)); // ∂/∂aⱼ
          const gA4 = c.sub(k2.mul(res)).mul(two);
          const dAdx = gA[0].mul(R[2][0]).add(gA[1].mul(R[2][1])).add(gA[2].mul(R[2][2])).add(gA4.mul(t[2]));
          return dAdx.mul(ws).neg();
        };
        return [along(r.ax, rx), along(r.ay, ry), tf.zerosLike(ws), tf.zerosLike(no), ...savedRt.map((c) => tf.zerosLike(c))];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
    x: tf.Tensor,
    y: tf.Tensor,
    w: tf.Tensor,
    notOk: tf.Tensor,
    ...rt: tf.Tensor[]
  ) => tf.Tensor;

/**
 * DLT on components: normalised x, y (..., ...views, K) → X, Y, Z (..., ...views[:-1], K) and
 * whether each point had ≥ 2 views. See `triangulate`.
 */
export const triangulateXY = (
  xIn: tf.Tensor,
  yIn: tf.Tensor,
  cameras: CameraTensors,
  weights?: tf.Tensor,
  steps = DLT_REFINE_STEPS,
): { X: tf.Tensor; Y: tf.Tensor; Z: tf.Tensor; ok: tf.Tensor } => {
  const cams = viewsLast(cameras);
  const [x0, y0] = [lastViewLast(xIn), lastViewLast(yIn)]; // (..., K, V)
  const w0 = weights ? lastViewLast(weights) : null;
  const present = presentXY(x0, y0);
  const valid = w0 ? present.logicalAnd(w0.greater(0)) : present;
  const ok = sumViews(valid.cast('float32')).greaterEqual(2); // (..., K)
  // a point with < 2 views gets all-zero rows (and B := I below): every branch stays finite
  const use = valid.logicalAnd(ok.expandDims(-1));
  const w = w0 ? tf.where(use, w0, tf.zerosLike(w0)) : use.cast('float32');
  const x = tf.where(use, x0, tf.zerosLike(x0));
  const y = tf.where(use, y0, tf.zerosLike(y0));
  const notOk = tf.logicalNot(ok).cast('float32');
  const [X0, X1, X2] = tf.unstack(dlt(steps)(x, y, w, notOk, ...rtOf(cams)), -1);
  const X = [X0, X1, X2];
  const nan = nanWhereNot(ok);
  return { X: X[0].add(nan), Y: X[1].add(nan), Z: X[2].add(nan), ok };
};

/**
 * Linear (DLT) triangulation of undistorted normalised points (..., ...views, K, 2) seen by
 * `cams` (views shape (V), or (P, 2) for camera pairs) → (..., [P,] K, 3), over the last views
 * axis. A view takes part where its point is finite (and its weight > 0); fewer than 2 → NaN.
 *
 * Each view adds the rows x·P₂ − P₀ and y·P₂ − P₁ of A (P = [R | t]), multiplied by its
 * weight (as Iskakov et al.'s algebraic triangulation; weight 1 without `weights`). The DLT
 * point is the right singular vector of A for its smallest singular value, h = (X, 1)·s, i.e.
 * the minimiser of f(X) = ‖A₃X + a₄‖² / (‖X‖² + 1) (A = [A₃ | a₄]), whose stationary point solves
 * (A₃ᵀA₃ − f·I)·X = −A₃ᵀa₄. tfjs has no SVD or eigensolver, and float32 AᵀA loses the
 * precision the vectors need, so: start from least squares (f = 0), then Newton steps
 * X ← X − (A₃ᵀA₃ − f·I)⁻¹(A₃ᵀr − f·X) with the residual r = A₃X + a₄ taken from the rows (not
 * from AᵀA, which would cancel). Each 3×3 solve is closed-form (adjugate). Everything is
 * elementwise on (..., K, views) components plus sums over the views: static shapes, no
 * per-point loops, differentiable by autodiff. Missing views get weight 0 before any arithmetic.
 */
export const triangulate = (normalised: tf.Tensor, cams: CameraTensors, weights?: tf.Tensor, steps = DLT_REFINE_STEPS): tf.Tensor =>
  tf.tidy(() => {
    const [x, y] = splitXY(normalised);
    const r = triangulateXY(x, y, cams, weights, steps);
    return tf.stack([r.X, r.Y, r.Z], -1);
  });

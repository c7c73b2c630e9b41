"""Multi-camera geometry and the two unlabeled multi-view losses in PyTorch: the peer of
src/geometry/ and of the cycle_reprojection / triangulation_residual losses, for timing and as
an independent check (check_multiview.py runs it on ../shared/golden/multiview).

Written from ../shared/golden/multiview/README.md the way a PyTorch user would: OpenCV's
5-coefficient model, undistortion by exactly 5 fixed-point steps (OpenCV's undistortPoints
default, with its s < 0 guard), DLT by torch.linalg.svd of the stacked rows (aniposelib's
triangulate_simple, batched), every camera pair (itertools.combinations order) and numpy's
nanmedian of the pairs (mean of the two middle values; torch.nanmedian would take the lower).
Points are (..., V, K, 2) pixels; a missing point is NaN in both coordinates.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F


def rodrigues(r):
    th = math.sqrt(sum(v * v for v in r))
    if th == 0:
        return [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    x, y, z = (v / th for v in r)
    k = [[0, -z, y], [z, 0, -x], [-y, x, 0]]
    s, c1 = math.sin(th), 1 - math.cos(th)
    return [[(1.0 if i == j else 0.0) + s * k[i][j] + c1 * sum(k[i][m] * k[m][j] for m in range(3)) for j in range(3)]
            for i in range(3)]


class Cameras:
    """Per-view parameters shaped (V, 1) / (V, 1, 3, 3) / (V, 1, 3) to broadcast against (..., V, K)."""

    def __init__(self, cams, dtype=torch.float32):
        def col(vals):
            return torch.tensor(vals, dtype=dtype).reshape(-1, 1)

        self.names = [c["name"] for c in cams]
        self.fx = col([c["matrix"][0][0] for c in cams])
        self.fy = col([c["matrix"][1][1] for c in cams])
        self.cx = col([c["matrix"][0][2] for c in cams])
        self.cy = col([c["matrix"][1][2] for c in cams])
        self.k1, self.k2, self.p1, self.p2, self.k3 = (col([c["distortions"][i] for c in cams]) for i in range(5))
        self.R = torch.tensor([rodrigues(c["rotation"]) for c in cams], dtype=dtype).unsqueeze(1)
        self.t = torch.tensor([c["translation"] for c in cams], dtype=dtype).unsqueeze(1)
        self.P = torch.cat([self.R, self.t.unsqueeze(-1)], -1)  # (V, 1, 3, 4)
        self.pairs = list(itertools.combinations(range(len(cams)), 2))


def undistort(points, cams: Cameras, steps: int = 5):
    u, v = points[..., 0], points[..., 1]
    x0 = (u - cams.cx) / cams.fx
    y0 = (v - cams.cy) / cams.fy
    x, y = x0, y0
    frozen = torch.zeros_like(x0, dtype=torch.bool)
    for _ in range(steps):
        r2 = x * x + y * y
        s = 1 / (1 + ((cams.k3 * r2 + cams.k2) * r2 + cams.k1) * r2)
        dx = 2 * cams.p1 * x * y + cams.p2 * (r2 + 2 * x * x)
        dy = cams.p1 * (r2 + 2 * y * y) + 2 * cams.p2 * x * y
        frozen = frozen | (s < 0)
        x = torch.where(frozen, x0, (x0 - dx) * s)
        y = torch.where(frozen, y0, (y0 - dy) * s)
    return torch.stack([x, y], -1)


def project(points3d, cams: Cameras):
    """(..., K, 3) → (..., V, K, 2)."""
    xc = torch.einsum("vkij,...kj->...vki", cams.R, points3d) + cams.t
    x, y = xc[..., 0] / xc[..., 2], xc[..., 1] / xc[..., 2]
    r2 = x * x + y * y
    radial = 1 + ((cams.k3 * r2 + cams.k2) * r2 + cams.k1) * r2
    xd = x * radial + 2 * cams.p1 * x * y + cams.p2 * (r2 + 2 * x * x)
    yd = y * radial + cams.p1 * (r2 + 2 * y * y) + 2 * cams.p2 * x * y
    return torch.stack([cams.fx * xd + cams.cx, cams.fy * yd + cams.cy], -1)


def triangulate(normalised, P, valid):
    """DLT by SVD: normalised (..., V, K, 2), P (V, 1, 3, 4), valid (..., V, K) → (..., K, 3)."""
    w = valid.to(normalised.dtype).unsqueeze(-1)
    xy = torch.where(valid.unsqueeze(-1), normalised, torch.zeros_like(normalised))
    rx = (xy[..., 0:1] * P[..., 2, :] - P[..., 0, :]) * w  # (..., V, K, 4)
    ry = (xy[..., 1:2] * P[..., 2, :] - P[..., 1, :]) * w
    A = torch.stack([rx, ry], -2).movedim(-4, -3)  # (..., K, V, 2, 4)
    A = A.reshape(*A.shape[:-3], -1, 4)  # (..., K, 2V, 4)
    h = torch.linalg.svd(A, full_matrices=False).Vh[..., -1, :]
    X = h[..., :3] / h[..., 3:]
    ok = valid.sum(-2) >= 2
    return torch.where(ok.unsqueeze(-1), X, torch.full_like(X, math.nan))


def triangulate_pairs(normalised, cams: Cameras, valid):
    """(..., V, K, 2) → (..., P, K, 3)."""
    out = [triangulate(normalised[..., [i, j], :, :], cams.P[[i, j]], valid[..., [i, j], :]) for i, j in cams.pairs]
    return torch.stack(out, -3)


def nanmedian(x, dim):
    """numpy's nanmedian along dim (mean of the two middle finite values)."""
    finite = torch.isfinite(x)
    n = finite.sum(dim, keepdim=True)
    s = torch.sort(torch.where(finite, x, torch.full_like(x, math.inf)), dim).values
    lo = torch.gather(s, dim, ((n - 1).clamp(min=0) // 2))
    hi = torch.gather(s, dim, (n // 2).clamp(max=x.shape[dim] - 1))
    med = ((lo + hi) / 2).squeeze(dim)
    return torch.where(n.squeeze(dim) > 0, med, torch.full_like(med, math.nan))


def reprojection_error(observed, reprojected):
    d = torch.linalg.norm(observed - reprojected, dim=-1)
    return d


def undistorted(points, cams: Cameras):
    """(..., V, K, 2) pixels → (normalised points, NaN where missing; valid (..., V, K))."""
    valid = torch.isfinite(points).all(-1)
    und = undistort(torch.where(valid.unsqueeze(-1), points, torch.zeros_like(points)), cams)
    return torch.where(valid.unsqueeze(-1), und, torch.full_like(und, math.nan)), valid


def pairwise_points(points, cams: Cameras):
    """(..., V, K, 2) pixels → every camera pair's DLT point (..., P, K, 3): the reference's project_camera_pairs_to_3d."""
    und, valid = undistorted(points, cams)
    return triangulate_pairs(und, cams, valid)


def geometry(points, cams: Cameras):
    """Everything the vectors hold, from (V, N, 2) pixels."""
    und, valid = undistorted(points, cams)
    X = triangulate(und, cams.P, valid)
    rep = project(X, cams)
    err = reprojection_error(points, rep)
    fin = torch.isfinite(err)
    n = fin.sum(-2)
    mean = torch.where(n >= 2, torch.where(fin, err, torch.zeros_like(err)).sum(-2) / n.clamp(min=1), torch.full_like(err[0], math.nan))
    pw = triangulate_pairs(und, cams, valid)
    return {"undistorted": und, "points_3d": X, "reprojected": rep, "reprojection_error": err,
            "mean_reprojection_error": mean, "pairwise_points_3d": pw, "pairwise_median_points_3d": nanmedian(pw, -3)}


# ---------------------------------------------------------------- the two losses


def _masked_mean(term, keep):
    n = keep.sum()
    return torch.where(keep, term, torch.zeros_like(term)).sum() / n.clamp(min=1)


def _reprojection_loss(points, conf, cams, prob_threshold, epsilon, three_d):
    """points (B, V, K, 2), conf (B, V, K): relu(‖reprojection − prediction‖ − ε) over the
    (view, keypoint) entries whose confidence ≥ prob_threshold and whose 3-D point exists."""
    valid = torch.isfinite(points).all(-1) & (conf >= prob_threshold)
    safe = torch.where(valid.unsqueeze(-1), points, torch.zeros_like(points))
    und = undistort(safe, cams)
    X = three_d(und, valid)
    ok3 = torch.isfinite(X).all(-1)  # (B, K)
    Xs = torch.where(ok3.unsqueeze(-1), X, torch.zeros_like(X))
    rep = project(Xs, cams)
    d = torch.linalg.norm(rep - safe, dim=-1)
    keep = valid & ok3.unsqueeze(-2)
    return _masked_mean(F.relu(d - epsilon), keep)


def cycle_reprojection(points, conf, cams: Cameras, prob_threshold=0.05, epsilon=0.0):
    return _reprojection_loss(points, conf, cams, prob_threshold, epsilon,
                              lambda und, valid: nanmedian(triangulate_pairs(und, cams, valid), -3))


def triangulation_residual(points, conf, cams: Cameras, prob_threshold=0.05, epsilon=0.0):
    return _reprojection_loss(points, conf, cams, prob_threshold, epsilon,
                              lambda und, valid: triangulate(und, cams.P, valid))

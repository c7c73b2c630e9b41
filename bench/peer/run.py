"""Time the reference losses (bench/peer/reference.py, PyTorch, one thread) on the bench's
workloads, and print one JSON object on stdout:

    {"torch": "<version>", "rows": [{"workload": ..., "median_ms": ..., "value": ..., "samples": ...}, ...]}

Run with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 bench/peer/run.py [--quick] [--filter <substring>]

Inputs follow bench/inputs.ts and bench/workloads.ts: the same seeded generator (mulberry32,
ported), the same shapes, seeds and draw order, so the arrays match ours up to float rounding
and `value` can be compared with our rows.

fwd = one call and `.item()`; fwd+bwd = one call, `.backward()` with respect to the loss's
prediction inputs, `.item()`. Warmup, then the median of the per-call samples, taken until
both a time budget and a minimum count are met. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402
import multiview as mv  # noqa: E402
import mmpose  # noqa: E402

K = 17
MIRRORED_COLUMN_MATCHES = [list(range(0, 8)), list(range(8, 16))]
MISSING = 2
TARGET = {"sigma": 1.25, "floor": 0.0}
PRED = {"sigma": 1.6, "floor": 1e-4}

# ---------------------------------------------------------------- inputs (as bench/inputs.ts)

_M = 0xFFFFFFFF


class Rng:
    """mulberry32, as src/example/random.ts."""

    def __init__(self, seed: int):
        self.a = seed & _M

    def uniform(self) -> float:
        self.a = (self.a + 0x6D2B79F5) & _M
        t = self.a
        t = ((t ^ (t >> 15)) * (t | 1)) & _M
        t ^= (t + ((t ^ (t >> 7)) * (t | 61))) & _M
        return ((t ^ (t >> 14)) & _M) / 4294967296

    def normal(self) -> float:
        return math.sqrt(-2 * math.log(1 - self.uniform())) * math.cos(2 * math.pi * self.uniform())

    def int(self, n: int) -> int:
        return math.floor(self.uniform() * n)


def missing_keypoints(r: Rng, frames: int, k: int, missing: int) -> np.ndarray:
    m = np.zeros(frames * k, dtype=bool)
    for f in range(frames):
        left = missing
        while left > 0:
            j = r.int(k)
            if not m[f * k + j]:
                m[f * k + j] = True
                left -= 1
    return m


def uniform01(r: Rng, n: int) -> np.ndarray:
    return np.array([r.uniform() for _ in range(n)], dtype=np.float32)


def random_walk(r: Rng, frames: int, k: int, size: float, step: float) -> np.ndarray:
    out = np.zeros(frames * 2 * k, dtype=np.float32)
    margin = size * 0.1

    def reflect(v):
        return 2 * margin - v if v < margin else 2 * (size - margin) - v if v > size - margin else v

    for c in range(2 * k):
        out[c] = margin + r.uniform() * (size - 2 * margin)
    for f in range(1, frames):
        for c in range(2 * k):
            out[f * 2 * k + c] = reflect(float(out[(f - 1) * 2 * k + c]) + step * r.normal())
    return out


def jitter(r: Rng, x: np.ndarray, sd: float) -> np.ndarray:
    return np.array([float(v) + sd * r.normal() for v in x], dtype=np.float32)


def with_nan(x: np.ndarray, missing: np.ndarray) -> np.ndarray:
    out = x.copy().reshape(-1, 2)
    out[missing] = np.nan
    return out.reshape(-1)


def heatmaps(kps, frames, k, h, w, sigma, floor, scale, missing=None) -> np.ndarray:
    """Normalised Gaussian maps (frames, k, h, w); a missing keypoint gets an all-zero map."""
    out = np.zeros((frames * k, h, w), dtype=np.float32)
    xs = np.arange(w, dtype=np.float64)
    ys = np.arange(h, dtype=np.float64)
    for m in range(frames * k):
        if missing is not None and missing[m]:
            continue
        cx = float(kps[2 * m]) / scale
        cy = float(kps[2 * m + 1]) / scale
        gx = np.exp(-((xs - cx) ** 2) / (2 * sigma**2))
        gy = np.exp(-((ys - cy) ** 2) / (2 * sigma**2))
        g = gy[:, None] * gx[None, :] + floor
        s = g.sum()
        if s == 0:
            continue
        out[m] = (g.astype(np.float32).astype(np.float64) / s).astype(np.float32)
    return out.reshape(frames, k, h, w)


class PoseModel:
    LATENT = 4

    def __init__(self, r: Rng, structure: Rng | None = None):
        structure = structure or Rng(7)
        self.r = r
        self.mean = [[70 + structure.uniform() * 120, 30 + structure.uniform() * 60, 10 + structure.uniform() * 50]
                     for _ in range(K)]
        self.load = [[12 * structure.normal() for _ in range(self.LATENT)] for _ in range(K * 3)]

    def _points3d(self, noise: float) -> np.ndarray:
        r = self.r
        z = [r.normal() for _ in range(self.LATENT)]
        p = np.zeros(K * 3, dtype=np.float32)
        for i in range(K * 3):
            v = self.mean[i // 3][i % 3] + noise * r.normal()
            for l in range(self.LATENT):
                v += self.load[i][l] * z[l]
            p[i] = v
        return p

    @staticmethod
    def _view(p: np.ndarray) -> np.ndarray:
        out = np.zeros(2 * K, dtype=np.float32)
        for k in range(K):
            mirrored = 8 <= k < 16
            q = k - 8 if mirrored else k
            out[2 * k] = p[3 * q]
            out[2 * k + 1] = float(p[3 * q + 2]) + 150 if mirrored else p[3 * q + 1]
        return out

    def points3d(self, frames: int) -> np.ndarray:
        return np.concatenate([self._points3d(1) for _ in range(frames)])

    def keypoints(self, frames: int) -> np.ndarray:
        return np.concatenate([self._view(self._points3d(1)) for _ in range(frames)])


def pca_labels(seed: int, rows: int = 1000) -> np.ndarray:
    r = Rng(seed)
    data = PoseModel(r).keypoints(rows).astype(np.float64).reshape(rows, 2 * K)
    for f in range(rows):
        if r.uniform() < 0.1:
            k = r.int(K)
            data[f, 2 * k] = data[f, 2 * k + 1] = np.nan
    return data


_memo: dict = {}


def memo(key, make):
    if key not in _memo:
        _memo[key] = make()
    return _memo[key]


def heatmap_batch(b, h, w, seed):
    def make():
        r = Rng(seed)
        scale = 4
        kp = random_walk(r, b, K, h * scale, 8)
        miss = missing_keypoints(r, b, K, MISSING)
        return {
            "heatmaps_targ": heatmaps(kp, b, K, h, w, scale=scale, missing=miss, **TARGET),
            "heatmaps_pred": heatmaps(jitter(r, kp, 4), b, K, h, w, scale=scale, **PRED),
        }
    return lambda: memo(("heatmaps", b, h, w, seed), make)


def video_heatmaps(b, h, w, seed):
    def make():
        r = Rng(seed)
        kp = random_walk(r, b, K, h * 4, 6)
        return {
            "heatmaps_pred": heatmaps(kp, b, K, h, w, scale=4, **PRED),
            "confidences": uniform01(r, b * K).reshape(b, K),
        }
    return lambda: memo(("video-heatmaps", b, h, w, seed), make)


def video_keypoints(b, seed):
    def make():
        r = Rng(seed)
        return {
            "keypoints_pred": random_walk(r, b, K, 256, 12).reshape(b, 2 * K),
            "confidences": uniform01(r, b * K).reshape(b, K),
        }
    return lambda: memo(("video-keypoints", b, seed), make)


def labeled_keypoints(b, seed):
    def make():
        r = Rng(seed)
        truth = PoseModel(r).keypoints(b)
        miss = missing_keypoints(r, b, K, MISSING)
        return {
            "keypoints_targ": with_nan(truth, miss).reshape(b, 2 * K),
            "keypoints_pred": jitter(r, truth, 3).reshape(b, 2 * K),
        }
    return lambda: memo(("labeled-keypoints", b, seed), make)


def pairwise3d(b, pairs, seed):
    def make():
        r = Rng(seed)
        truth = PoseModel(r).points3d(b).reshape(b, K, 3)
        miss = missing_keypoints(r, b, K, MISSING).reshape(b, K)
        targ = truth.copy()
        targ[miss] = np.nan
        pred = np.zeros((b, pairs, K, 3), dtype=np.float32)
        for f in range(b):
            for p in range(pairs):
                pred[f, p] = np.array([float(v) + 2 * r.normal() for v in truth[f].reshape(-1)],
                                      dtype=np.float32).reshape(K, 3)
        return {"keypoints_targ_3d": targ, "keypoints_pred_3d": pred}
    return lambda: memo(("pairwise", b, pairs, seed), make)


def reprojection(b, h, w, seed):
    def make():
        r = Rng(seed)
        kp = random_walk(r, b, K, 256, 8)
        miss = missing_keypoints(r, b, K, MISSING)
        return {
            "heatmaps_targ": heatmaps(kp, b, K, h, w, scale=256 / h, missing=miss, **TARGET),
            "keypoints_pred_2d_reprojected": jitter(r, kp, 3).reshape(b, K, 2),
        }
    return lambda: memo(("reprojection", b, h, w, seed), make)


def rig():
    """The bench's 3-camera rig, as bench/inputs.ts RIG."""
    cams = []
    for i, yaw in enumerate((-0.5, 0.0, 0.5)):
        R = mv.rodrigues([0.0, yaw, 0.0])
        c = (130, 60, 35)
        t = [-(R[j][0] * c[0] + R[j][1] * c[1] + R[j][2] * c[2]) + (600 if j == 2 else 0) for j in range(3)]
        cams.append({"name": f"cam{i}", "size": [512, 512], "matrix": [[800, 0, 256], [0, 800, 256], [0, 0, 1]],
                     "distortions": [-0.05, 0.01, 0, 0, 0], "rotation": [0.0, yaw, 0.0], "translation": t})
    return cams


def project_point(X, cam):
    """float64 projection of one point, as src/geometry/reference.ts projectRef."""
    R = mv.rodrigues(cam["rotation"])
    c = [R[i][0] * X[0] + R[i][1] * X[1] + R[i][2] * X[2] + cam["translation"][i] for i in range(3)]
    k1, k2, p1, p2, k3 = cam["distortions"]
    x, y = c[0] / c[2], c[1] / c[2]
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return cam["matrix"][0][0] * xd + cam["matrix"][0][2], cam["matrix"][1][1] * yd + cam["matrix"][1][2]


def projected_views(r: Rng, pts, b):
    """3-D points (b·K·3, flat) projected into every rig camera ±2 px: (b, V, K, 2), as bench/inputs.ts projectedViews."""
    cams = rig()
    V = len(cams)
    views = np.zeros(b * V * K * 2, dtype=np.float32)
    for f in range(b):
        for v in range(V):
            for k in range(K):
                o = 3 * (f * K + k)
                u, w = project_point([float(pts[o]), float(pts[o + 1]), float(pts[o + 2])], cams[v])
                i = ((f * V + v) * K + k) * 2
                views[i] = u + 2 * r.normal()
                views[i + 1] = w + 2 * r.normal()
    return views.reshape(b, V, K, 2)


def multiview_batch(b, seed):
    """Per-view predictions (b, V, K, 2) ±2 px and confidences, as bench/inputs.ts multiviewPredictions."""
    def make():
        r = Rng(seed)
        views = projected_views(r, PoseModel(r).points3d(b), b)
        conf = uniform01(r, b * views.shape[1] * K)
        return {"keypoints_pred_views": views, "confidences_views": conf.reshape(b, views.shape[1], K)}
    return lambda: memo(("multiview", b, seed), make)


def pairwise_views(b, seed):
    """3-D labels (2 of 17 NaN per frame) and per-view predictions of them ±2 px, as bench/workloads.ts pairwiseViews."""
    def make():
        r = Rng(seed)
        truth = PoseModel(r).points3d(b)
        miss = missing_keypoints(r, b, K, MISSING).reshape(b, K)
        targ = truth.reshape(b, K, 3).copy()
        targ[miss] = np.nan
        return {"keypoints_targ_3d": targ, "keypoints_pred_views": projected_views(r, truth, b)}
    return lambda: memo(("pairwise-views", b, seed), make)


def reprojection_views(b, h, w, seed):
    """Label maps (b, V·K, h, w) of the rig's views ±2 px (2 of 17 keypoints empty in every view) and per-view
    predictions ±2 px, as bench/workloads.ts reprojectionViews."""
    def make():
        r = Rng(seed)
        truth = PoseModel(r).points3d(b)
        miss = missing_keypoints(r, b, K, MISSING).reshape(b, 1, K)
        labels = projected_views(r, truth, b)
        V = labels.shape[1]
        miss_views = np.broadcast_to(miss, (b, V, K)).reshape(-1)
        scale = rig()[0]["size"][0] / w
        return {"heatmaps_targ": heatmaps(labels.reshape(-1), b, V * K, h, w, scale=scale, missing=miss_views, **TARGET).reshape(b, V * K, h, w),
                "keypoints_pred_views": projected_views(r, truth, b)}
    return lambda: memo(("reprojection-views", b, h, w, seed), make)


def factory_batch(b, h, w, seed):
    def make():
        r = Rng(seed)
        scale = 256 / h
        kp = PoseModel(r).keypoints(b)
        miss = missing_keypoints(r, b, K, MISSING)
        return {
            "heatmaps_targ": heatmaps(kp, b, K, h, w, scale=scale, missing=miss, **TARGET),
            "heatmaps_pred": heatmaps(jitter(r, kp, 4), b, K, h, w, scale=scale, **PRED),
            "keypoints_pred": jitter(r, kp, 3).reshape(b, 2 * K),
            "confidences": uniform01(r, b * K).reshape(b, K),
        }
    return lambda: memo(("factory", b, h, w, seed), make)


def weighted_keypoints(b, seed):
    def make():
        r = Rng(seed)
        truth = PoseModel(r).keypoints(b)
        return {
            "keypoints_targ": truth.reshape(b, 2 * K),
            "keypoints_pred": jitter(r, truth, 8).reshape(b, 2 * K),
            "keypoint_weights": uniform01(r, b * K).reshape(b, K),
        }
    return lambda: memo(("weighted-keypoints", b, seed), make)


def weighted_heatmaps(b, h, w, seed):
    def make():
        return {**heatmap_batch(b, h, w, seed)(), "keypoint_weights": uniform01(Rng(seed + 1000), b * K).reshape(b, K)}
    return lambda: memo(("weighted-heatmaps", b, h, w, seed), make)


def labels():
    return memo(("labels", 11), lambda: pca_labels(11))


# ---------------------------------------------------------------- workloads (as bench/workloads.ts)

TEMPORAL = {"log_weight": 11, "epsilon": 20, "prob_threshold": 0.05}
TEMPORAL_HEATMAP = {"log_weight": 11, "epsilon": 0, "prob_threshold": 0.05}
PCA_SINGLEVIEW = {"log_weight": 11, "components_to_keep": 0.99, "epsilon": None}
PCA_MULTIVIEW = {"log_weight": 11, "components_to_keep": 3, "epsilon": None, "mirrored_column_matches": MIRRORED_COLUMN_MATCHES}
SUPERVISED = {"log_weight": 0}
# the same loss from per-view 2-D predictions: undistort, every camera pair's DLT (torch.linalg.svd), then the loss
SUPERVISED_FROM_VIEWS = {"log_weight": 0, "predictions": "keypoints_pred_views"}
REPROJECTION = {"log_weight": 0, "original_image_height": 256, "original_image_width": 256,
                "downsampled_image_height": 64, "downsampled_image_width": 64}
# from per-view 2-D predictions: every camera pair's DLT, their mean projected (with distortion) into every view,
# scaled to the model's full-frame input, then ReprojectionHeatmapLoss on (B, V·K) maps
REPROJECTION_FROM_VIEWS = {**REPROJECTION, "predictions": "keypoints_pred_views"}

PREDICTION_KEYS = ("heatmaps_pred", "keypoints_pred", "keypoints_pred_3d", "keypoints_pred_2d_reprojected", "keypoints_pred_views")
MULTIVIEW = {"log_weight": 0, "epsilon": 1.0, "prob_threshold": 0.05}


def _both(loss, shape, params, data, needs_labels=False, name=None):
    return [(f"{name or loss}/{shape}/{mode}", loss, params, data, needs_labels, mode) for mode in ("fwd", "fwd+bwd")]


def workloads():
    return [
        *_both("heatmap_mse", "16x17x64x64", SUPERVISED, heatmap_batch(16, 64, 64, 1)),
        *_both("heatmap_kl", "16x17x64x64", SUPERVISED, heatmap_batch(16, 64, 64, 1)),
        *_both("heatmap_js", "16x17x64x64", SUPERVISED, heatmap_batch(16, 64, 64, 1)),
        *_both("heatmap_mse", "8x17x96x96", SUPERVISED, heatmap_batch(8, 96, 96, 2)),
        *_both("heatmap_kl", "8x17x96x96", SUPERVISED, heatmap_batch(8, 96, 96, 2)),
        *_both("temporal", "256x34", TEMPORAL, video_keypoints(256, 3)),
        *_both("temporal", "2048x34", TEMPORAL, video_keypoints(2048, 4)),
        *_both("temporal_heatmap_mse", "16x17x64x64", TEMPORAL_HEATMAP, video_heatmaps(16, 64, 64, 5)),
        *_both("temporal_heatmap_kl", "16x17x64x64", TEMPORAL_HEATMAP, video_heatmaps(16, 64, 64, 5)),
        *_both("pca_singleview", "256x34", PCA_SINGLEVIEW, labeled_keypoints(256, 6), True),
        *_both("pca_multiview", "256x34", PCA_MULTIVIEW, labeled_keypoints(256, 6), True),
        *_both("regression", "256x34", SUPERVISED, labeled_keypoints(256, 6)),
        *_both("rmse", "256x34", SUPERVISED, labeled_keypoints(256, 6)),
        *_both("supervised_pairwise_projections", "256x3x17x3", SUPERVISED, pairwise3d(256, 3, 7)),
        *_both("supervised_pairwise_projections", "256x3x17", SUPERVISED_FROM_VIEWS, pairwise_views(256, 10),
               name="supervised_pairwise_projections_from_views"),
        *_both("supervised_reprojection_heatmap_mse", "16x17x64x64", REPROJECTION, reprojection(16, 64, 64, 8)),
        *_both("supervised_reprojection_heatmap_mse", "16x3x17x64x64", REPROJECTION_FROM_VIEWS, reprojection_views(16, 64, 64, 12),
               name="supervised_reprojection_heatmap_mse_from_views"),
        *_both("cycle_reprojection", "256x3x17", MULTIVIEW, multiview_batch(256, 9)),
        *_both("triangulation_residual", "256x3x17", MULTIVIEW, multiview_batch(256, 9)),
        ("factory/default/fwd+bwd", "factory", None, factory_batch(16, 64, 64, 31), True, "fwd+bwd"),
        # MMPose's losses (bench/peer/mmpose.py) against their compositions in examples/losses/mmpose
        *_both("mmpose_wing", "256x17", None, weighted_keypoints(256, 9)),
        *_both("mmpose_adaptive_wing", "16x17x64x64", None, weighted_heatmaps(16, 64, 64, 1)),
        *_both("mmpose_keypoint_mse", "16x17x64x64", None, weighted_heatmaps(16, 64, 64, 1)),
        *_both("mmpose_ohkm_mse", "16x17x64x64", None, weighted_heatmaps(16, 64, 64, 1)),
    ]


def prepare(loss, params, data, needs_labels, mode):
    """A zero-argument call that runs the workload once and returns the scalar as a float."""
    arrays = data()
    grad = mode == "fwd+bwd"
    inputs = {k: torch.tensor(v, dtype=torch.float32, requires_grad=grad and k in PREDICTION_KEYS)
              for k, v in arrays.items()}
    preds = [t for t in inputs.values() if t.requires_grad]
    if loss == "factory":
        # The default objective: supervised heatmap_mse + unsupervised temporal and pca_singleview, anneal 1.
        supervised = ref.LossFactory({"heatmap_mse": SUPERVISED}, labels())
        unsupervised = ref.LossFactory({"temporal": TEMPORAL, "pca_singleview": PCA_SINGLEVIEW}, labels())

        def value():
            return supervised(stage="train", anneal_weight=1.0, **inputs)[0] + unsupervised(stage="train", anneal_weight=1.0, **inputs)[0]
    elif loss in ("cycle_reprojection", "triangulation_residual"):
        cams = mv.Cameras(rig())
        f = getattr(mv, loss)

        def value():
            return f(inputs["keypoints_pred_views"], inputs["confidences_views"], cams,
                     prob_threshold=params["prob_threshold"], epsilon=params["epsilon"])
    elif params and params.get("predictions") == "keypoints_pred_views" and loss == "supervised_reprojection_heatmap_mse":
        cams = mv.Cameras(rig())
        l = ref.create_loss(loss, {k: v for k, v in params.items() if k != "predictions"})
        size = rig()[0]["size"]  # a full-frame box: camera pixels → model-input pixels
        to_model = torch.tensor([params["original_image_width"] / size[0], params["original_image_height"] / size[1]])

        def value():
            X = mv.pairwise_points(inputs["keypoints_pred_views"], cams).mean(-3)  # (B, K, 3)
            rep = mv.project(X, cams) * to_model  # (B, V, K, 2)
            return l(stage="train", heatmaps_targ=inputs["heatmaps_targ"],
                     keypoints_pred_2d_reprojected=rep.reshape(rep.shape[0], -1, 2))[0]
    elif params and params.get("predictions") == "keypoints_pred_views":
        cams = mv.Cameras(rig())
        l = ref.create_loss(loss, {k: v for k, v in params.items() if k != "predictions"})

        def value():
            pw = mv.pairwise_points(inputs["keypoints_pred_views"], cams)
            return l(stage="train", keypoints_targ_3d=inputs["keypoints_targ_3d"], keypoints_pred_3d=pw)[0]
    elif loss.startswith("mmpose_"):
        f = mmpose.LOSSES[loss[len("mmpose_"):]]

        def value():
            return f(inputs)
    else:
        l = ref.create_loss(loss, params, labels() if needs_labels else None)

        def value():
            return l(stage="train", **inputs)[0]

    if not grad:
        return lambda: value().item()

    def call():
        for t in preds:
            t.grad = None
        v = value()
        v.backward()
        return v.item()
    return call


def measure(call, quick: bool):
    warm_ms, warm_n, time_ms, min_n, max_n = (25, 1, 150, 5, 200) if quick else (300, 3, 1500, 20, 5000)
    start = time.perf_counter()
    n = 0
    while n < warm_n or (time.perf_counter() - start) * 1e3 < warm_ms:
        call()
        n += 1
    samples = []
    value = math.nan
    start = time.perf_counter()
    while len(samples) < min_n or ((time.perf_counter() - start) * 1e3 < time_ms and len(samples) < max_n):
        t0 = time.perf_counter()
        value = call()
        samples.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(samples), len(samples), value


def steady_malloc() -> bool:
    """Stop glibc from returning big freed blocks to the OS after every call (mmap threshold
    32 MiB, no heap trimming). By default the heavy heatmap rows are bimodal from run to run
    (e.g. heatmap_mse/16x17x64x64/fwd 2 ms or 10 ms): each call's ~4 MiB tensors are either
    reused from the heap or mapped afresh and page-faulted, depending on malloc's history."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 1 << 30))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--filter", default="")
    p.add_argument("--steady-malloc", action="store_true",
                   help="glibc keeps freed memory (also POSELOSS_PEER_STEADY_MALLOC=1); see steady_malloc()")
    args = p.parse_args()
    malloc = "default"
    if args.steady_malloc or os.environ.get("POSELOSS_PEER_STEADY_MALLOC") == "1":
        malloc = "steady" if steady_malloc() else "default (mallopt failed)"
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rows = []
    todo = [w for w in workloads() if args.filter in w[0]]
    for i, (name, loss, params, data, needs_labels, mode) in enumerate(todo):
        row = {"workload": name, "median_ms": None}
        try:
            median, n, value = measure(prepare(loss, params, data, needs_labels, mode), args.quick)
            row.update(median_ms=round(median, 4), samples=n, value=value if math.isfinite(value) else None)
            print(f"[peer {i + 1}/{len(todo)}] {name}: {median:.3g} ms ({n} samples)", file=sys.stderr)
        except Exception as e:  # a failing workload is reported, not fatal
            row["note"] = f"failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            print(f"[peer {i + 1}/{len(todo)}] {name}: {row['note']}", file=sys.stderr)
        rows.append(row)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "malloc": malloc, "run": "quick" if args.quick else "full", "rows": rows}))


if __name__ == "__main__":
    main()

"""MMPose's pose losses in PyTorch, for the benchmark: our own restatement of the formulas in
../shared/golden/mmpose/README.md (MMPose's defaults, loss_weight 1), written the way MMPose
computes them (weights multiplied in before the residual where MMPose does, float32, torch ops).
`check_mmpose.py` checks each against the reference vectors.

Every function takes the poseloss input keys as torch tensors (keypoints (B, 2K), heatmaps
(B, K, H, W), keypoint_weights (B, K), instance_areas (B,)) and returns the scalar loss.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

OKS_SIGMAS = [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.072, 0.062]
BONE_PARENTS = [0, 0, 1, 1, 0, 4, 4, 0]


def _points(x: torch.Tensor) -> torch.Tensor:
    return x.view(x.shape[0], -1, 2)


def _weighted(inputs):
    """(w·p, w·t) as MMPose's heads pass them: weights of shape (B, K, 1) multiplied in first."""
    w = inputs["keypoint_weights"].unsqueeze(-1)
    return _points(inputs["keypoints_pred"]) * w, _points(inputs["keypoints_targ"]) * w


def wing(inputs, omega=10.0, epsilon=2.0):
    p, t = _weighted(inputs)
    delta = (t - p).abs()
    c = omega * (1.0 - math.log(1.0 + omega / epsilon))
    losses = torch.where(delta < omega, omega * torch.log(1.0 + delta / epsilon), delta - c)
    return torch.mean(torch.sum(losses, dim=[1, 2]), dim=0)


def soft_wing(inputs, omega1=2.0, omega2=20.0, epsilon=0.5):
    p, t = _weighted(inputs)
    delta = (t - p).abs()
    b = omega1 - omega2 * math.log(1.0 + omega1 / epsilon)
    losses = torch.where(delta < omega1, delta, omega2 * torch.log(1.0 + delta / epsilon) + b)
    return torch.mean(torch.sum(losses, dim=[1, 2]), dim=0)


def smooth_l1(inputs):
    p, t = _weighted(inputs)
    return F.smooth_l1_loss(p, t)


def l1(inputs):
    p, t = _weighted(inputs)
    return F.l1_loss(p, t)


def mse(inputs):
    p, t = _weighted(inputs)
    return F.mse_loss(p, t)


def mpjpe(inputs):
    w = inputs["keypoint_weights"].unsqueeze(-1)
    d = (_points(inputs["keypoints_pred"]) - _points(inputs["keypoints_targ"])) * w
    return torch.mean(torch.norm(d, dim=-1))


def bone(inputs, parents=BONE_PARENTS):
    p, t = _points(inputs["keypoints_pred"]), _points(inputs["keypoints_targ"])
    w = inputs["keypoint_weights"]
    children = [j for j, par in enumerate(parents) if par != j]
    par = [parents[j] for j in children]
    lp = torch.norm(p[:, children] - p[:, par], dim=-1) * w[:, children]
    lt = torch.norm(t[:, children] - t[:, par], dim=-1) * w[:, children]
    return torch.mean(torch.abs(lp.mean(dim=0) - lt.mean(dim=0)))


def oks(inputs, sigmas=OKS_SIGMAS, eps=1e-8):
    p, t = _points(inputs["keypoints_pred"]), _points(inputs["keypoints_targ"])
    w = inputs["keypoint_weights"]
    sig = torch.tensor(sigmas, dtype=torch.float32)
    area = inputs["instance_areas"]
    dist = torch.norm(p - t, dim=-1) / area.sqrt().clip(min=eps).unsqueeze(-1) / (sig * 2)
    o = (torch.exp(-dist.pow(2) / 2) * w / w.shape[1]).sum(dim=-1)
    return (1 - o).mean()


def keypoint_mse(inputs, skip_empty=False):
    pred, targ = inputs["heatmaps_pred"], inputs["heatmaps_targ"]
    w = inputs["keypoint_weights"].unsqueeze(-1).unsqueeze(-1)
    if skip_empty:
        w = w * (targ != 0).flatten(2).any(dim=2).float().unsqueeze(-1).unsqueeze(-1)
    return torch.mean(F.mse_loss(pred, targ, reduction="none") * w)


def keypoint_mse_skip_empty(inputs):
    return keypoint_mse(inputs, skip_empty=True)


def ohkm_mse(inputs, topk=4):
    pred, targ = inputs["heatmaps_pred"], inputs["heatmaps_targ"]
    w = inputs["keypoint_weights"].unsqueeze(-1).unsqueeze(-1)
    per_kp = F.mse_loss(pred * w, targ * w, reduction="none").mean(dim=(2, 3))
    top, _ = torch.topk(per_kp, k=topk, dim=1)
    return top.mean()


def adaptive_wing(inputs, alpha=2.1, omega=14.0, epsilon=1.0, theta=0.5):
    w = inputs["keypoint_weights"].unsqueeze(-1).unsqueeze(-1)
    pred, targ = inputs["heatmaps_pred"] * w, inputs["heatmaps_targ"] * w
    delta = (targ - pred).abs()
    e = alpha - targ
    r = theta / epsilon
    a = omega * (1 / (1 + torch.pow(r, e))) * e * torch.pow(r, e - 1) * (1 / epsilon)
    c = theta * a - omega * torch.log(1 + torch.pow(r, e))
    losses = torch.where(delta < theta, omega * torch.log(1 + torch.pow(delta / epsilon, e)), a * delta - c)
    return torch.mean(losses)


LOSSES = {
    f.__name__: f
    for f in [wing, soft_wing, smooth_l1, l1, mse, mpjpe, bone, oks, keypoint_mse, keypoint_mse_skip_empty, ohkm_mse, adaptive_wing]
}

"""The reference losses in PyTorch, for timing only: our own implementation, written from
/work/shared/spec/reference-behaviour.md (§0-§8, §11, §12), in the reference's style and op
order (boolean-mask gathers, torch.linalg.norm, Python loops over t where the reference
loops, kornia-style KL/JS, float32 matmuls for the PCA reprojection).

It reproduces the reference's behaviour, not ours: none of our deliberate deviations D1-D6
(an empty heatmap reduction is NaN, the reprojection heatmap factor is K·H, rmse pairs flat
kept coordinates, ...).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- §0 base class


class Loss:
    loss_name = "base"

    def __init__(self, epsilon=0.0, log_weight=0.0, **kwargs):
        self.epsilon = torch.tensor(epsilon, dtype=torch.float32)
        self.log_weight = torch.tensor(log_weight, dtype=torch.float32)

    @property
    def weight(self) -> torch.Tensor:
        return 1.0 / (2.0 * torch.exp(self.log_weight))

    def rectify_epsilon(self, loss: torch.Tensor) -> torch.Tensor:
        return F.relu(loss - self.epsilon)

    def reduce_loss(self, loss: torch.Tensor, method: str = "mean") -> torch.Tensor:
        if method == "mean":
            return torch.mean(loss)
        if method == "sum":
            return torch.sum(loss)
        raise ValueError(method)

    def log_loss(self, loss: torch.Tensor, stage) -> list[dict]:
        return [
            {"name": f"{stage}_{self.loss_name}_loss", "value": loss, "prog_bar": True},
            {"name": f"{self.loss_name}_weight", "value": self.weight},
        ]


# ---------------------------------------------------------------- kornia-style divergences


def _kl_div_2d(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(p || q) per (batch, channel) map of (B, C, H, W) tensors."""
    batch, chans, height, width = p.shape
    unsummed_kl = F.kl_div(
        q.reshape(batch * chans, height * width).log(),
        p.reshape(batch * chans, height * width),
        reduction="none",
    )
    return unsummed_kl.sum(-1).view(batch, chans)


def _js_div_2d(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    m = 0.5 * (p + q)
    return 0.5 * _kl_div_2d(p, m) + 0.5 * _kl_div_2d(q, m)


def kl_div_loss_2d(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """kornia's argument order: KL(target || input)."""
    out = _kl_div_2d(target, input)
    return out if reduction == "none" else out.mean() if reduction == "mean" else out.sum()


def js_div_loss_2d(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    out = _js_div_2d(target, input)
    return out if reduction == "none" else out.mean() if reduction == "mean" else out.sum()


# ---------------------------------------------------------------- §1 heatmap losses


class HeatmapLoss(Loss):
    def __init__(self, log_weight=0.0, **kwargs):
        super().__init__(log_weight=log_weight)  # no epsilon: never rectified

    def remove_nans(self, targets, predictions):
        squeezed_targets = targets.reshape(targets.shape[0], targets.shape[1], -1)
        all_zeros = torch.all(squeezed_targets == 0.0, dim=-1)
        return targets[~all_zeros], predictions[~all_zeros]

    def __call__(self, heatmaps_targ, heatmaps_pred, stage=None, **kwargs):
        clean_targets, clean_predictions = self.remove_nans(heatmaps_targ, heatmaps_pred)
        elementwise_loss = self.compute_loss(clean_targets, clean_predictions)
        scalar_loss = self.reduce_loss(elementwise_loss, method="mean")
        return scalar_loss, self.log_loss(scalar_loss, stage)


class HeatmapMSELoss(HeatmapLoss):
    loss_name = "heatmap_mse"

    def compute_loss(self, targets, predictions):
        h = targets.shape[1]
        w = targets.shape[2]
        return F.mse_loss(targets, predictions, reduction="none") * h * w


class HeatmapKLLoss(HeatmapLoss):
    loss_name = "heatmap_kl"

    def compute_loss(self, targets, predictions):
        return kl_div_loss_2d(predictions.unsqueeze(0) + 1e-10, targets.unsqueeze(0) + 1e-10, reduction="none")


class HeatmapJSLoss(HeatmapLoss):
    loss_name = "heatmap_js"

    def compute_loss(self, targets, predictions):
        return js_div_loss_2d(predictions.unsqueeze(0) + 1e-10, targets.unsqueeze(0) + 1e-10, reduction="none")


# ---------------------------------------------------------------- §3 temporal


def _union_mask(loss: torch.Tensor, confidences: torch.Tensor, prob_threshold: float) -> torch.Tensor:
    """ignore[t] | ignore[t+1], built in a Python loop over t as the reference does."""
    ignore = confidences < prob_threshold
    union = torch.zeros_like(loss, dtype=torch.bool)
    for t in range(loss.shape[0]):
        union[t] = ignore[t] | ignore[t + 1]
    return union


def _shape_epsilon(epsilon: torch.Tensor, loss: torch.Tensor) -> torch.Tensor:
    if epsilon.dim() == 0:
        return epsilon.expand(loss.shape)
    return epsilon.reshape(1, -1).repeat(loss.shape[0], 1)


class TemporalLoss(Loss):
    loss_name = "temporal"

    def __init__(self, epsilon=0.0, prob_threshold=0.0, log_weight=0.0, **kwargs):
        super().__init__(epsilon=epsilon, log_weight=log_weight)
        self.prob_threshold = torch.tensor(prob_threshold, dtype=torch.float32)

    def rectify_epsilon(self, loss):
        return F.relu(loss - _shape_epsilon(self.epsilon, loss))

    def remove_nans(self, loss, confidences):
        union = _union_mask(loss, confidences, self.prob_threshold)
        clean = loss.clone()
        clean[union] = 0.0
        return clean

    def compute_loss(self, predictions):
        diffs = predictions[1:] - predictions[:-1]
        reshape = diffs.reshape(diffs.shape[0], -1, 2)
        return torch.linalg.norm(reshape, ord=2, dim=2)

    def __call__(self, keypoints_pred, confidences=None, stage=None, **kwargs):
        elementwise_loss = self.compute_loss(keypoints_pred)
        if confidences is not None:
            elementwise_loss = self.remove_nans(elementwise_loss, confidences)
        epsilon_insensitive_loss = self.rectify_epsilon(elementwise_loss)
        scalar_loss = self.reduce_loss(epsilon_insensitive_loss, method="mean")
        return scalar_loss, self.log_loss(scalar_loss, stage)


# ---------------------------------------------------------------- §4 temporal heatmap


class TemporalHeatmapLoss(Loss):
    def __init__(self, loss_name="temporal_heatmap_mse", epsilon=0.0, prob_threshold=0.0, log_weight=0.0, **kwargs):
        if loss_name not in ("temporal_heatmap_mse", "temporal_heatmap_kl"):
            raise ValueError(f"Invalid loss_name: {loss_name}")
        super().__init__(epsilon=epsilon, log_weight=log_weight)
        self.loss_name = loss_name
        self.prob_threshold = torch.tensor(prob_threshold, dtype=torch.float32)

    def rectify_epsilon(self, loss):
        return F.relu(loss - _shape_epsilon(self.epsilon, loss))

    def remove_nans(self, loss, confidences):
        union = _union_mask(loss, confidences, self.prob_threshold)
        loss[union] = 0.0  # in place, as the reference does
        return loss

    def compute_loss(self, predictions):
        diffs = torch.zeros((predictions.shape[0] - 1, predictions.shape[1]), dtype=predictions.dtype)
        for t in range(diffs.shape[0]):
            if self.loss_name == "temporal_heatmap_mse":
                diffs[t] = torch.mean((predictions[t] - predictions[t + 1]) ** 2, dim=(1, 2))
            else:
                diffs[t] = kl_div_loss_2d(
                    predictions[t].unsqueeze(0) + 1e-10, predictions[t + 1].unsqueeze(0) + 1e-10, reduction="none"
                )[0]
        return diffs

    def __call__(self, heatmaps_pred, confidences, stage=None, **kwargs):
        elementwise_loss = self.compute_loss(heatmaps_pred)
        clean_loss = self.remove_nans(elementwise_loss, confidences)
        epsilon_insensitive_loss = self.rectify_epsilon(clean_loss)
        scalar_loss = self.reduce_loss(epsilon_insensitive_loss, method="mean")
        return scalar_loss, self.log_loss(scalar_loss, stage)


# ---------------------------------------------------------------- §5, §6 regression, rmse


class RegressionMSELoss(Loss):
    loss_name = "regression"

    def remove_nans(self, targets, predictions):
        mask = ~torch.isnan(targets)
        return targets[mask], predictions[mask]

    def compute_loss(self, targets, predictions):
        return F.mse_loss(targets, predictions, reduction="none")

    def __call__(self, keypoints_targ, keypoints_pred, stage=None, **kwargs):
        clean_targets, clean_predictions = self.remove_nans(keypoints_targ, keypoints_pred)
        elementwise_loss = self.compute_loss(clean_targets, clean_predictions)  # epsilon never applied
        scalar_loss = self.reduce_loss(elementwise_loss, method="mean")
        return scalar_loss, self.log_loss(scalar_loss, stage)


class RegressionRMSELoss(RegressionMSELoss):
    loss_name = "rmse"

    def compute_loss(self, targets, predictions):
        targs = targets.reshape(-1, 2)
        preds = predictions.reshape(-1, 2)
        return torch.sqrt(torch.mean(F.mse_loss(targs, preds, reduction="none"), dim=1))


# ---------------------------------------------------------------- §7 pairwise projections


class PairwiseProjectionsLoss(Loss):
    loss_name = "supervised_pairwise_projections"

    def __init__(self, log_weight=0.0, **kwargs):
        super().__init__(log_weight=log_weight)

    def remove_nans(self, loss):
        mask = ~torch.isnan(loss)
        kept = loss[mask]
        if kept.numel() == 0:
            return torch.nan_to_num(loss, nan=0.0).sum().reshape(1) * 0.0  # zero, graph preserved
        return kept

    def compute_loss(self, targets, predictions):
        targets = targets.unsqueeze(1).expand_as(predictions)
        invalid = torch.isnan(targets).any(dim=-1) | torch.isnan(predictions).any(dim=-1)
        zeros_t = torch.zeros_like(targets).detach()
        zeros_p = torch.zeros_like(predictions).detach()
        targets = torch.where(torch.isnan(targets), zeros_t, targets)
        predictions = torch.where(torch.isnan(predictions), zeros_p, predictions)
        dist = torch.linalg.norm(targets - predictions, dim=-1)
        dist = dist.clone()
        dist[invalid] = float("nan")
        return dist

    def __call__(self, keypoints_targ_3d, keypoints_pred_3d, stage=None, **kwargs):
        elementwise_loss = self.compute_loss(keypoints_targ_3d, keypoints_pred_3d)
        clean_loss = self.remove_nans(elementwise_loss)
        scalar_loss = self.reduce_loss(clean_loss, method="mean")
        return scalar_loss, self.log_loss(scalar_loss, stage)


# ---------------------------------------------------------------- §12, §8 reprojection heatmap


def generate_heatmaps(keypoints, height, width, output_shape, sigma=1.25, keep_gradients=False):
    keypoints = keypoints.clone() if keep_gradients else keypoints.detach().clone()
    out_height, out_width = output_shape
    keypoints[:, :, 0] *= out_width / width
    keypoints[:, :, 1] *= out_height / height
    x = keypoints[:, :, 0]
    y = keypoints[:, :, 1]
    bad = torch.isnan(x) | (x < -1) | (x > out_width + 1) | (y < -1) | (y > out_height + 1)
    x = torch.clamp(x, -1, out_width + 1)
    y = torch.clamp(y, -1, out_height + 1)
    yv, xv = torch.meshgrid(
        torch.arange(out_height, dtype=torch.float32), torch.arange(out_width, dtype=torch.float32), indexing="ij"
    )
    xv = xv.unsqueeze(0).unsqueeze(0)
    yv = yv.unsqueeze(0).unsqueeze(0)
    kx = x.unsqueeze(-1).unsqueeze(-1)
    ky = y.unsqueeze(-1).unsqueeze(-1)
    confidence = (xv - kx) ** 2 + (yv - ky) ** 2
    confidence = torch.exp(-confidence / (2 * sigma**2))
    heatmaps = confidence / torch.sum(confidence, dim=(2, 3), keepdim=True)
    heatmaps[bad] = 0.0
    return heatmaps


class ReprojectionHeatmapLoss(Loss):
    loss_name = "supervised_reprojection_heatmap_mse"

    def __init__(self, original_image_height, original_image_width, downsampled_image_height,
                 downsampled_image_width, log_weight=0.0, **kwargs):
        super().__init__(log_weight=log_weight)
        self.original_image_height = original_image_height
        self.original_image_width = original_image_width
        self.output_shape = (downsampled_image_height, downsampled_image_width)

    def remove_nans(self, loss, targets):
        squeezed_targets = targets.reshape(targets.shape[0], targets.shape[1], -1)
        all_zeros = torch.all(squeezed_targets == 0.0, dim=-1)
        kept = loss[~all_zeros]
        if kept.numel() == 0:
            return loss.sum().reshape(1) * 0.0
        return kept

    def compute_loss(self, targets, predictions):
        h = targets.shape[1]  # K on a 4-D tensor: the reference's K·H factor (§8, §15.1)
        w = targets.shape[2]
        return F.mse_loss(targets, predictions, reduction="none") * h * w

    def __call__(self, heatmaps_targ, keypoints_pred_2d_reprojected, stage=None, **kwargs):
        if keypoints_pred_2d_reprojected is None:
            raise ValueError(f"Reprojected keypoints not available for {stage} stage.")
        heatmaps_pred = generate_heatmaps(
            keypoints_pred_2d_reprojected, self.original_image_height, self.original_image_width,
            self.output_shape, sigma=1.25, keep_gradients=True,
        )
        elementwise_loss = self.compute_loss(heatmaps_targ, heatmaps_pred)
        clean_loss = self.remove_nans(elementwise_loss, heatmaps_targ)
        scalar_loss = self.reduce_loss(clean_loss, method="mean")
        return scalar_loss, self.log_loss(scalar_loss, stage)


# ---------------------------------------------------------------- §11 KeypointPCA, §2 PCALoss


def format_singleview_data_for_pca(data_arr, columns=None):
    data_arr = data_arr.reshape(data_arr.shape[0], -1, 2)
    if columns is not None:
        data_arr = data_arr[:, np.array(columns)]
    return data_arr.reshape(data_arr.shape[0], -1)


def format_multiview_data_for_pca(data_arr, mirrored_column_matches):
    n_views = len(mirrored_column_matches)
    n_keypoints = len(mirrored_column_matches[0])
    for view in mirrored_column_matches:
        assert len(view) == n_keypoints
    data_arr = data_arr.reshape(data_arr.shape[0], -1, 2)
    data_arr_views = []
    for view in mirrored_column_matches:
        data_arr_views.append(data_arr[:, np.array(view)])
    cat = torch.cat if isinstance(data_arr, torch.Tensor) else np.concatenate
    data_arr = cat(data_arr_views, 2)
    return data_arr.reshape(-1, 2 * n_views)


class KeypointPCA:
    """Fit on labels (numpy, float64 covariance), parameters as float32 tensors."""

    def __init__(self, loss_type, labels, components_to_keep=0.99, empirical_epsilon_percentile=99.0,
                 mirrored_column_matches=None, columns_for_singleview_pca=None):
        self.loss_type = loss_type
        self.components_to_keep = components_to_keep
        self.mirrored_column_matches = mirrored_column_matches
        self.columns_for_singleview_pca = columns_for_singleview_pca
        data = self.format(np.asarray(labels, dtype=np.float32))
        if data.shape[0] < data.shape[1]:
            raise ValueError(f"cannot fit PCA with {data.shape[0]} samples < {data.shape[1]} observation dimensions")
        mean = np.nanmean(data, axis=0).astype(np.float32)
        cov = np.ma.cov(np.ma.masked_invalid(data.astype(np.float64)), rowvar=False).filled(0.0)
        evals, evecs = np.linalg.eigh(cov)
        order = np.argsort(evals)[::-1]
        evals = np.clip(evals[order], 0.0, None)
        components = evecs[:, order].T
        signs = np.sign(components[np.arange(len(components)), np.argmax(np.abs(components), axis=1)])
        components = components * signs[:, None]
        ratio = evals / evals.sum()
        n = self._n_components_kept(ratio)
        self.parameters = {
            "mean": torch.tensor(mean, dtype=torch.float32),
            "kept_eigenvectors": torch.tensor(components[:n], dtype=torch.float32),
            "discarded_eigenvectors": torch.tensor(components[n:], dtype=torch.float32),
        }
        complete = data[~np.isnan(data).any(axis=1)]
        errors = self.compute_reprojection_error(torch.tensor(complete, dtype=torch.float32)).numpy()
        self.parameters["epsilon"] = torch.tensor(np.nanpercentile(errors, empirical_epsilon_percentile), dtype=torch.float32)

    def _n_components_kept(self, ratio):
        if self.loss_type == "pca_multiview":
            return 3
        c = self.components_to_keep
        if type(c) is int:
            return c
        if type(c) is float:
            if c == 1.0:
                return len(ratio)
            return int(np.argmax(np.cumsum(ratio) >= c)) + 1
        raise TypeError("components_to_keep must be int or float")

    def format(self, data_arr):
        if self.loss_type == "pca_multiview":
            return format_multiview_data_for_pca(data_arr, self.mirrored_column_matches)
        return format_singleview_data_for_pca(data_arr, self.columns_for_singleview_pca)

    def reproject(self, data_arr):
        mean = self.parameters["mean"]
        evecs = self.parameters["kept_eigenvectors"]
        assert data_arr.shape[1] == mean.shape[0] and data_arr.shape[1] % 2 == 0
        return (data_arr - mean) @ evecs.T @ evecs + mean

    def compute_reprojection_error(self, data_arr):
        reprojection = self.reproject(data_arr)
        diff = (data_arr - reprojection).reshape(data_arr.shape[0], -1, 2)
        return torch.linalg.norm(diff, dim=2)


class PCALoss(Loss):
    def __init__(self, loss_name, labels, components_to_keep=0.95, empirical_epsilon_percentile=99.0, epsilon=None,
                 empirical_epsilon_multiplier=1.0, mirrored_column_matches=None, columns_for_singleview_pca=None,
                 log_weight=0.0, **kwargs):
        if loss_name not in ("pca_singleview", "pca_multiview"):
            raise ValueError(f"Invalid loss_name: {loss_name}")
        if loss_name == "pca_multiview" and mirrored_column_matches is None:
            raise ValueError("must provide mirrored_column_matches in data config")
        super().__init__(log_weight=log_weight)
        self.loss_name = loss_name
        self.pca = KeypointPCA(loss_name, labels, components_to_keep, empirical_epsilon_percentile,
                               mirrored_column_matches, columns_for_singleview_pca)
        if epsilon is not None:
            self.epsilon = torch.tensor(epsilon, dtype=torch.float32)
        else:
            self.epsilon = self.pca.parameters["epsilon"] * empirical_epsilon_multiplier

    def compute_loss(self, predictions):
        return self.pca.compute_reprojection_error(predictions)

    def __call__(self, keypoints_pred, stage=None, **kwargs):
        keypoints_pred = self.pca.format(keypoints_pred)
        elementwise_loss = self.compute_loss(keypoints_pred)
        epsilon_insensitive_loss = self.rectify_epsilon(elementwise_loss)
        scalar_loss = self.reduce_loss(epsilon_insensitive_loss, method="mean")
        return scalar_loss, self.log_loss(scalar_loss, stage)


# ---------------------------------------------------------------- registry, §9 factory

LOSSES = {
    "regression": RegressionMSELoss,
    "rmse": RegressionRMSELoss,
    "heatmap_mse": HeatmapMSELoss,
    "heatmap_kl": HeatmapKLLoss,
    "heatmap_js": HeatmapJSLoss,
    "pca_singleview": PCALoss,
    "pca_multiview": PCALoss,
    "temporal": TemporalLoss,
    "temporal_heatmap_mse": TemporalHeatmapLoss,
    "temporal_heatmap_kl": TemporalHeatmapLoss,
    "supervised_pairwise_projections": PairwiseProjectionsLoss,
    "supervised_reprojection_heatmap_mse": ReprojectionHeatmapLoss,
}

ANNEAL_EXEMPT = ("heatmap_mse", "heatmap_kl", "heatmap_js")


def create_loss(name, params, labels=None):
    return LOSSES[name](loss_name=name, labels=labels, **params)


class LossFactory:
    def __init__(self, losses_params: dict, labels=None):
        self.names = list(losses_params)
        self.losses = [create_loss(n, p, labels) for n, p in losses_params.items()]

    def __call__(self, stage=None, anneal_weight=1.0, **kwargs):
        total = torch.tensor(0.0)
        logs = []
        for name, loss in zip(self.names, self.losses):
            value, loss_logs = loss(stage=stage, **kwargs)
            weighted = loss.weight * value
            a = 1.0 if anneal_weight is None or name in ANNEAL_EXEMPT else anneal_weight
            total = total + a * weighted
            logs += loss_logs + [{"name": f"{stage}_{name}_loss_weighted", "value": weighted}]
        return total, logs

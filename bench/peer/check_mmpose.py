"""Check bench/peer/mmpose.py against the MMPose reference vectors (loss and gradients, with the
golden README's tolerance |a − e| ≤ 1e-6 + 1e-4·|e|). Prints one line per file, exits 1 on a
mismatch.

    /usr/bin/python3 bench/peer/check_mmpose.py [DIR]   # default ../shared/golden/mmpose
"""

from __future__ import annotations

import glob
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmpose import LOSSES  # noqa: E402

PRED = ("keypoints_pred", "heatmaps_pred")


def tensor(t):
    return torch.tensor(np.array(t["data"], dtype=np.float32).reshape(t["shape"]))


def close(a, e):
    a, e = np.asarray(a, dtype=np.float64), np.asarray(e, dtype=np.float64)
    return bool(np.all(np.abs(a - e) <= 1e-6 + 1e-4 * np.abs(e)))


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "golden", "mmpose")
    bad = 0
    files = sorted(glob.glob(os.path.join(root, "*.json")))
    for path in files:
        case = json.load(open(path))
        name = case["params"]["loss_name"]
        inputs = {k: tensor(v) for k, v in case["inputs"].items()}
        for k in PRED:
            if k in inputs:
                inputs[k].requires_grad_(True)
        kwargs = {"sigmas": case["mmpose"]["sigmas"]} if name == "oks" else {}
        loss = LOSSES[name](inputs, **kwargs)
        loss.backward()
        ok = close(loss.item(), case["expected"]["loss"])
        for k, g in case["expected"]["grads"].items():
            ok = ok and close(inputs[k].grad.numpy().reshape(-1), g["data"])
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {os.path.basename(path)} loss {loss.item():.7g} expected {case['expected']['loss']:.7g}")
    print(f"{len(files) - bad}/{len(files)} files match")
    return 1 if bad or not files else 0


if __name__ == "__main__":
    sys.exit(main())

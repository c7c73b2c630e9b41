"""Run bench/peer/multiview.py on the multi-view vectors (../shared/golden/multiview) in float64
and float32 and print one line per case and dtype: PASS/FAIL and the largest difference per
field, then 'N passed, M failed'. Exit 1 on a failure.

    /usr/bin/python3 bench/peer/check_multiview.py [DIR]
"""

import glob
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import multiview as mv  # noqa: E402

ATOL = {"undistorted": 1e-8, "points_3d": 1e-5, "pairwise_points_3d": 1e-5, "pairwise_median_points_3d": 1e-5,
        "reprojected": 1e-3, "reprojection_error": 1e-3, "mean_reprojection_error": 1e-3}


def tensor(t, dtype):
    return torch.tensor([math.nan if v is None else v for v in t["data"]], dtype=dtype).reshape(t["shape"])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "golden", "multiview")
    passed = failed = 0
    for f in sorted(glob.glob(os.path.join(d, "*.json"))):
        c = json.load(open(f))
        for dtype in (torch.float64, torch.float32):
            cams = mv.Cameras(c["cameras"], dtype)
            got = mv.geometry(tensor(c["inputs"]["keypoints_2d"], dtype), cams)
            worst, bad = {}, []
            for k, atol in ATOL.items():
                e = tensor(c["expected"][k], torch.float64)
                a = got[k].to(torch.float64)
                if a.shape != e.shape or not torch.equal(torch.isnan(a), torch.isnan(e)):
                    bad.append(f"{k}: shape or NaN pattern differs")
                    continue
                m = (a - e).abs().nan_to_num(0.0).max().item() if e.numel() else 0.0
                worst[k] = m
                if m > atol:
                    bad.append(f"{k}: |diff| {m:.2e} > {atol}")
            ok = not bad and [list(p) for p in cams.pairs] == c["expected"]["camera_pairs"]
            passed += ok
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'} {c['case']} {str(dtype)[6:]} " + (", ".join(bad) if bad else " ".join(f"{k}={v:.1e}" for k, v in worst.items())))
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()

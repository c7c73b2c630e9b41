"""Independent check of `poseloss metrics --calibration` on the fly data with OpenCV (Debian's
python3-opencv): cv2.undistortPoints (its default 5 iterations), cv2.triangulatePoints for
every camera pair, DLT over all views by numpy's SVD (aniposelib's triangulate_simple) on
cv2's undistorted points, cv2.projectPoints into every view. Prints per-view median / 95th
percentile reprojection errors of the all-view DLT and of the median of the pairs, and the
largest difference from poseloss's <stem>_reprojection_error.csv files in OUT_DIR.

    /usr/bin/python3 bench/peer/check_fly_opencv.py CALIBRATION.toml OUT_DIR A.csv B.csv C.csv [--threshold 0.5]
"""

import argparse
import itertools
import os

import cv2
import numpy as np
import toml


def read_preds(path):
    raw = np.genfromtxt(path, delimiter=",", skip_header=3)[:, 1:]
    k = raw.shape[1] // 3
    raw = raw.reshape(len(raw), k, 3)
    return raw[..., :2], raw[..., 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("calibration")
    p.add_argument("out")
    p.add_argument("preds", nargs="+")
    p.add_argument("--threshold", type=float, default=0.5)
    a = p.parse_args()
    cal = toml.load(a.calibration)
    cams = [cal[s] for s in sorted(cal) if s != "metadata"]
    V = len(cams)
    xy, lik = zip(*(read_preds(f) for f in a.preds))
    pts = np.stack(xy)  # (V, N, K, 2)
    pts[np.stack(lik) < a.threshold] = np.nan
    _, N, K, _ = pts.shape
    und = np.full_like(pts, np.nan)
    Ps = []
    for v, c in enumerate(cams):
        Kmat = np.array(c["matrix"], float)
        dist = np.array(c["distortions"], float)
        ok = np.isfinite(pts[v]).all(-1)
        u = cv2.undistortPoints(pts[v][ok].reshape(-1, 1, 2), Kmat, dist).reshape(-1, 2)
        und[v][ok] = u
        R, _ = cv2.Rodrigues(np.array(c["rotation"], float))
        Ps.append(np.hstack([R, np.array(c["translation"], float).reshape(3, 1)]))
    flat = und.reshape(V, N * K, 2)
    # all-view DLT (aniposelib's triangulate_simple), one point at a time
    X = np.full((N * K, 3), np.nan)
    for i in range(N * K):
        rows = []
        for v in range(V):
            if np.isfinite(flat[v, i]).all():
                x, y = flat[v, i]
                rows += [x * Ps[v][2] - Ps[v][0], y * Ps[v][2] - Ps[v][1]]
        if len(rows) >= 4:
            h = np.linalg.svd(np.array(rows))[2][-1]
            X[i] = h[:3] / h[3]
    # every pair with cv2.triangulatePoints, numpy nanmedian
    pairs = []
    for i, j in itertools.combinations(range(V), 2):
        Xp = cv2.triangulatePoints(Ps[i], Ps[j], flat[i].T.copy(), flat[j].T.copy())
        Xp = (Xp[:3] / Xp[3]).T
        Xp[~(np.isfinite(flat[i]).all(-1) & np.isfinite(flat[j]).all(-1))] = np.nan
        pairs.append(Xp)
    with np.errstate(all="ignore"):
        Xmed = np.nanmedian(np.stack(pairs), axis=0)

    def errors(points):
        out = np.full((V, N * K), np.nan)
        ok = np.isfinite(points).all(-1)
        for v, c in enumerate(cams):
            proj, _ = cv2.projectPoints(points[ok].reshape(-1, 1, 3), np.array(c["rotation"], float),
                                        np.array(c["translation"], float), np.array(c["matrix"], float),
                                        np.array(c["distortions"], float))
            out[v, ok] = np.linalg.norm(proj.reshape(-1, 2) - pts[v].reshape(-1, 2)[ok], axis=-1)
        return out

    e_dlt, e_pairs = errors(X), errors(Xmed)
    print(f"{'view':8} {'n':>6} {'DLT median':>11} {'DLT p95':>9} {'pairs median':>13} {'pairs p95':>10} {'poseloss median':>16} {'poseloss p95':>13} {'max |diff| px':>14}")
    for v, (c, f) in enumerate(zip(cams, a.preds)):
        stem = os.path.basename(f)[:-4]
        ours = np.genfromtxt(os.path.join(a.out, f"{stem}_reprojection_error.csv"), delimiter=",", skip_header=1)[:, 1:].reshape(-1)
        d = e_dlt[v]
        m = np.isfinite(d)
        assert np.array_equal(m, np.isfinite(ours)), "NaN patterns differ"
        print(f"{c['name']:8} {m.sum():6d} {np.median(d[m]):11.4f} {np.percentile(d[m], 95):9.4f} "
              f"{np.nanmedian(e_pairs[v]):13.4f} {np.nanpercentile(e_pairs[v], 95):10.4f} "
              f"{np.median(ours[m]):16.4f} {np.percentile(ours[m], 95):13.4f} {np.abs(ours[m] - d[m]).max():14.2e}")


if __name__ == "__main__":
    main()

/**
 * Rodrigues vector → 3×3 rotation (float64): with θ = |r| and k = r/θ,
 * R = I + sin θ·[k]× + (1 − cos θ)·[k]×²; R = I for θ = 0 (OpenCV's cv2.Rodrigues).
 */
export const rodrigues = (r: readonly number[]): number[][] => {
  const th = Math.hypot(r[0], r[1], r[2]);
  if (th === 0)
    return [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
  const [x, y, z] = [r[0] / th, r[1] / th, r[2] / th];
  const K = [
    [0, -z, y],
    [z, 0, -x],
    [-y, x, 0],
  ];
  const s = Math.sin(th);
  const c1 = 1 - Math.cos(th);
  return [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? 1 : 0) + s * K[i][j] + c1 * (K[i][0] * K[0][j] + K[i][1] * K[1][j] + K[i][2] * K[2][j])));
};

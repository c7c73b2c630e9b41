/**
 * Keypoints as a Lightning Pose predictions CSV (3 header rows: scorer, bodyparts, coords;
 * x, y, likelihood per keypoint; the frame index first), so the demo's predictions can be
 * read back by `readPoseCsv` and the metrics tools like any model's.
 */
export const posePredictionsCsv = (
  names: readonly string[],
  keypoints: ArrayLike<number>,
  confidences: ArrayLike<number> | null,
  scorer = 'poseloss-demo',
): string => {
  const K = names.length;
  const frames = keypoints.length / (2 * K);
  const header = [
    ['scorer', ...names.flatMap(() => [scorer, scorer, scorer])],
    ['bodyparts', ...names.flatMap((n) => [n, n, n])],
    ['coords', ...names.flatMap(() => ['x', 'y', 'likelihood'])],
  ].map((r) => r.join(','));
  const rows = Array.from({ length: frames }, (_, f) =>
    [
      f,
      ...names.flatMap((_, k) => [
        keypoints[(f * K + k) * 2].toFixed(3),
        keypoints[(f * K + k) * 2 + 1].toFixed(3),
        confidences ? confidences[f * K + k].toFixed(4) : '1',
      ]),
    ].join(','),
  );
  return [...header, ...rows].join('\n') + '\n';
};

/**
 * What a tensor under a key holds, which fixes where its keypoint axis is:
 * - `flat`     (B, 2K): x, y of keypoint k at columns 2k, 2k+1
 * - `heatmaps` (B, K, H, W)
 * - `points`   (..., K, C): a trailing coordinate axis (3-D keypoints, reprojected 2-D keypoints)
 * - `grid`     (B, K) or (B, P, K): one value per keypoint (confidences, keypoint weights)
 * - `frames`   (B): one value per frame (instance areas)
 */
export type KeyKind = 'flat' | 'heatmaps' | 'points' | 'grid' | 'frames';

/** One input key: its kind, its named axes (their count is its rank), and whether it is a prediction (gradients flow to it). */
export interface KeyInfo {
  readonly kind: KeyKind;
  readonly axes: readonly string[];
  readonly prediction: boolean;
}

/** The dtype every input tensor must have: the input check rejects any other before a kernel or op sees it. */
export const INPUT_DTYPE = 'float32';

/**
 * THE input-key table: every input key a loss may read (README "Inputs"). Ranks, kinds and
 * which keys are predictions are read from here, and from nowhere else.
 */
export const INPUT_TABLE = {
  keypoints_targ: { kind: 'flat', axes: ['B', '2K'], prediction: false },
  keypoints_pred: { kind: 'flat', axes: ['B', '2K'], prediction: true },
  keypoints_pred_augmented: { kind: 'flat', axes: ['B', '2K'], prediction: true },
  heatmaps_targ: { kind: 'heatmaps', axes: ['B', 'K', 'H', 'W'], prediction: false },
  heatmaps_pred: { kind: 'heatmaps', axes: ['B', 'K', 'H', 'W'], prediction: true },
  confidences: { kind: 'grid', axes: ['B', 'K'], prediction: false },
  keypoints_targ_3d: { kind: 'points', axes: ['B', 'K', '3'], prediction: false },
  keypoints_pred_3d: { kind: 'points', axes: ['B', 'P', 'K', '3'], prediction: true },
  keypoints_pred_2d_reprojected: { kind: 'points', axes: ['B', 'K', '2'], prediction: true }, // original-image pixels
  keypoints_pred_views: { kind: 'points', axes: ['B', 'V', 'K', '2'], prediction: true }, // per camera view, pixels; NaN = missing
  confidences_views: { kind: 'grid', axes: ['B', 'V', 'K'], prediction: false }, // per camera view
  keypoint_weights: { kind: 'grid', axes: ['B', 'K'], prediction: false }, // soft per-keypoint weights (MMPose's target_weight)
  instance_areas: { kind: 'frames', axes: ['B'], prediction: false }, // px², for OKS
} as const satisfies Record<string, KeyInfo>;

export type InputKey = keyof typeof INPUT_TABLE;

export const INPUT_KEYS = Object.keys(INPUT_TABLE) as InputKey[];

/** Input keys that hold predictions: a loss's gradient is taken with respect to these. */
export const PREDICTION_KEYS: readonly InputKey[] = INPUT_KEYS.filter((k) => INPUT_TABLE[k].prediction);

export const isInputKey = (k: string): k is InputKey => Object.hasOwn(INPUT_TABLE, k);

/** Whether `key` is an input key holding a prediction. */
export const isPredictionKey = (k: string): boolean => isInputKey(k) && INPUT_TABLE[k].prediction;

export const INPUT_KINDS = Object.fromEntries(INPUT_KEYS.map((k) => [k, INPUT_TABLE[k].kind])) as Record<InputKey, KeyKind>;

/** The named axes of an input key, or null for a tensor a transform made. */
export const axesOf = (key: string): readonly string[] | null => (isInputKey(key) ? INPUT_TABLE[key].axes : null);

/**
 * Named axes, in their canonical order: what expressions broadcast and reduce by. Each
 * symbolic axis of the table is one or more named axes; a flat key's `2K` columns are
 * (keypoints, coords), so (B, 2K) is seen as (B, K, 2).
 */
export const AXIS_ORDER = ['batch', 'pairs', 'keypoints', 'coords', 'height', 'width'] as const;
const AXIS_NAMES: Readonly<Record<string, readonly (typeof AXIS_ORDER)[number][]>> = {
  B: ['batch'],
  P: ['pairs'],
  K: ['keypoints'],
  '2K': ['keypoints', 'coords'],
  '2': ['coords'],
  '3': ['coords'],
  H: ['height'],
  W: ['width'],
};

/** The named axes of an input key, e.g. keypoints_pred → (batch, keypoints, coords). */
export const namedAxes = (key: InputKey): readonly string[] => INPUT_TABLE[key].axes.flatMap((a) => AXIS_NAMES[a]);

/** A key's tensor shape seen along its named axes ((B, 2K) → (B, K, 2)). */
export const namedShape = (key: InputKey, shape: readonly number[]): number[] =>
  (INPUT_TABLE[key].axes as readonly string[]).flatMap((a, i) => (a === '2K' ? [shape[i] / 2, 2] : [shape[i]]));

/** The rank a key's tensor must have: its named axes for an input key; null (any rank ≥ 2) for a tensor a transform made. */
export const expectedRank = (key: string): number | null => (isInputKey(key) ? INPUT_TABLE[key].axes.length : null);

/**
 * Where a kind keeps its keypoints, as data: `inner` axes follow the keypoint axis (a map's
 * H × W, a point's coordinates), and `packed` values of one keypoint share the keypoint axis
 * (flat: x, y at columns 2k, 2k+1). Everything that maps a tensor of a kind to its keypoint grid
 * (and back) reads this table, not the kind's name.
 */
export const KIND_TABLE = {
  flat: { inner: 0, packed: 2 },
  heatmaps: { inner: 2, packed: 1 },
  points: { inner: 1, packed: 1 },
  grid: { inner: 0, packed: 1 },
  frames: { inner: 0, packed: 1 }, // one value per frame: no step masks or places keypoint values on it
} as const satisfies Record<KeyKind, { readonly inner: number; readonly packed: number }>;

/** The keypoint grid of a tensor: its axes up to the keypoint axis, that axis counting keypoints. */
export const gridShape = (kind: KeyKind, shape: readonly number[]): number[] => {
  const { inner, packed } = KIND_TABLE[kind];
  const g = shape.slice(0, shape.length - inner);
  g[g.length - 1] /= packed;
  return g;
};

/** Number of keypoints of a tensor of this kind. */
export const keypointCount = (kind: KeyKind, shape: readonly number[]): number => {
  const g = gridShape(kind, shape);
  return g[g.length - 1];
};

/** The shape of a kind's tensor with each keypoint's values on axes of their own: the grid, then `packed`, then the inner axes. */
export const unpackedShape = (kind: KeyKind, shape: readonly number[]): number[] => {
  const { inner, packed } = KIND_TABLE[kind];
  return [...gridShape(kind, shape), ...(packed > 1 ? [packed] : []), ...shape.slice(shape.length - inner)];
};

/** How many axes follow the grid in `unpackedShape`. */
export const unpackedInner = (kind: KeyKind): number => KIND_TABLE[kind].inner + (KIND_TABLE[kind].packed > 1 ? 1 : 0);

/**
 * Lightning Pose parity of the multiview supervised losses (spec §10): the reference writes
 * `losses.supervised_reprojection_heatmap_mse: { log_weight }` and takes the image sizes from
 * `data.image_resize_dims` and `data.downsample_factor`; both multiview supervised losses are
 * added only when their log_weight is given.
 */

import { either } from 'fp-ts';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../src/config/issues.js';
import { checkConfig } from '../../src/lp/check.js';
import { buildLossFactories } from '../../src/lp/factory.js';

const config = (losses: Record<string, unknown>, data: Record<string, unknown> = {}, model_type = 'heatmap_multiview_transformer') => ({
  model: { model_type, heatmap_loss_type: 'mse', losses_to_use: [] },
  data: { camera_params_file: 'calibration.toml', image_resize_dims: { height: 256, width: 384 }, downsample_factor: 2, ...data },
  losses,
});

const factories = (raw: unknown) => {
  const r = buildLossFactories(raw);
  if (either.isLeft(r)) throw new Error(formatIssues(r.left));
  return r.right;
};

describe('multiview supervised losses as the reference wires them', () => {
  it('{ log_weight } blocks: both added, the reprojection maps sized from data.image_resize_dims / 2^downsample_factor', () => {
    for (const [factor, h, w] of [
      [2, 64, 96],
      [3, 32, 48],
    ]) {
      const f = factories(
        config(
          { supervised_pairwise_projections: { log_weight: 1.5 }, supervised_reprojection_heatmap_mse: { log_weight: 0.25 } },
          { downsample_factor: factor },
        ),
      );
      expect(f.supervised.names).toEqual(['heatmap_mse', 'supervised_pairwise_projections', 'supervised_reprojection_heatmap_mse']);
      const reproj = f.supervised.members[2].loss;
      expect(reproj.logWeight).toBe(0.25);
      expect(f.supervised.members[1].loss.logWeight).toBe(1.5);
      expect(reproj.pipeline[0]).toMatchObject({ transform: 'gaussian_heatmaps', image_height: 256, image_width: 384, heatmap_height: h, heatmap_width: w });
    }
  });

  it('a loss is added only when its log_weight is given (absent, null or no block: left out)', () => {
    expect(factories(config({ supervised_reprojection_heatmap_mse: { log_weight: null }, supervised_pairwise_projections: {} })).supervised.names).toEqual([
      'heatmap_mse',
    ]);
    expect(factories(config({ supervised_pairwise_projections: { log_weight: 0 } })).supervised.names).toEqual([
      'heatmap_mse',
      'supervised_pairwise_projections',
    ]);
    expect(factories(config({})).supervised.names).toEqual(['heatmap_mse']);
  });

  it('not added without camera_params_file or on a single-view model; the block still checks as data', () => {
    const blocks = { supervised_reprojection_heatmap_mse: { log_weight: 1 } };
    expect(factories(config(blocks, { camera_params_file: null })).supervised.names).toEqual(['heatmap_mse']);
    expect(factories(config(blocks, {}, 'heatmap')).supervised.names).toEqual(['heatmap_mse']);
    const bad = checkConfig(config({ supervised_reprojection_heatmap_mse: { log_weight: 'x' } }, {}, 'heatmap'));
    expect(either.isLeft(bad) && formatIssues(bad.left)).toBe("losses.supervised_reprojection_heatmap_mse.log_weight: expected a finite number, got 'x'");
  });

  it('a selected reprojection loss without data.image_resize_dims is an error naming it', () => {
    const r = checkConfig(config({ supervised_reprojection_heatmap_mse: { log_weight: 1 } }, { image_resize_dims: undefined }));
    expect(either.isLeft(r) && formatIssues(r.left)).toBe(
      'data.image_resize_dims: supervised_reprojection_heatmap_mse needs image_resize_dims.height and .width',
    );
  });
});

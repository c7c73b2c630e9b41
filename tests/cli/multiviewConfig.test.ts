import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';
import { explainCommand } from '../../src/cli/explain.js';

const CALIB = `[cam_0]\nname = "A"\nsize = [640, 480]\nmatrix = [[1500.0, 0.0, 320.0], [0.0, 1500.0, 240.0], [0.0, 0.0, 1.0]]\ndistortions = [0.0, 0.0, 0.0, 0.0, 0.0]\nrotation = [0.0, 0.3, 0.0]\ntranslation = [0.0, 0.0, 8.0]\n
[cam_1]\nname = "B"\nsize = [640, 480]\nmatrix = [[1500.0, 0.0, 320.0], [0.0, 1500.0, 240.0], [0.0, 0.0, 1.0]]\ndistortions = [0.0, 0.0, 0.0, 0.0, 0.0]\nrotation = [0.0, -0.3, 0.0]\ntranslation = [0.0, 0.0, 8.0]\n`;

/** Runs `command` (check unless given) on c.yaml = `yaml` in a fresh folder holding `files` (paths may have folders): its exit code, its stdout and stderr lines. */
const run = (yaml: string, files: Record<string, string> = {}, command = checkCommand) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poseloss-mvcfg-'));
  for (const [n, t] of Object.entries({ 'c.yaml': yaml, ...files })) {
    fs.mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
    fs.writeFileSync(path.join(dir, n), t);
  }
  const out: string[] = [];
  const code = command(
    [path.join(dir, 'c.yaml')],
    (l) => out.push(l),
    (l) => out.push(l),
  );
  return { code, text: out.join('\n') };
};

const LOSSES = 'model:\n  losses_to_use: [cycle_reprojection]\nlosses:\n  cycle_reprojection: { log_weight: 1.0, epsilon: 2.0 }\n';

describe('the multi-camera losses from a config (data.camera_params_file)', () => {
  it('builds with the calibration next to the config, views in data.view_names order', () => {
    const r = run(`data:\n  camera_params_file: calib.toml\n  view_names: [B, A]\n${LOSSES}`, { 'calib.toml': CALIB });
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(/unsupervised cycle_reprojection\s+log_weight 1/);
  });

  it('without a calibration: the error says what to set', () => {
    const r = run(LOSSES);
    expect(r.code).toBe(2);
    expect(r.text).toContain(
      "losses.cycle_reprojection.pipeline[0]: reproject_views needs the rig's calibration (2 or more cameras): set data.camera_params_file",
    );
    // the steps reading the transform's output are not reported as well (they would only repeat it)
    expect(r.text).not.toMatch(/unknown input key/);
    expect(r.text.match(/^error: /gm)).toHaveLength(1);
  });

  it('a bad calibration or view name: the error names the setting, the file, the section and key', () => {
    const bad = run(`data:\n  camera_params_file: calib.toml\n${LOSSES}`, {
      'calib.toml': CALIB.replace('distortions = [0.0, 0.0, 0.0, 0.0, 0.0]\nrotation = [0.0, 0.3', 'distortions = [0.0, 0.0]\nrotation = [0.0, 0.3'),
    });
    expect(bad.code).toBe(2);
    expect(bad.text).toMatch(/data\.camera_params_file: .*calib\.toml \[cam_0\]\.distortions: expected 5 numbers \[k1, k2, p1, p2, k3\], got a list of 2/);
    const views = run(`data:\n  camera_params_file: calib.toml\n  view_names: [A, C]\n${LOSSES}`, { 'calib.toml': CALIB });
    expect(views.code).toBe(2);
    expect(views.text).toMatch(/data\.view_names\[1\]: no camera named 'C' in .*calib\.toml \(cameras: A, B\)/);
    const missing = run(`data:\n  camera_params_file: nowhere.toml\n${LOSSES}`);
    expect(missing.text).toMatch(/nowhere\.toml: cannot read the calibration file: ENOENT/);
  });
});

describe('the supervised multi-view losses from 2-D predictions (predictions: keypoints_pred_views)', () => {
  const SUPERVISED = `data:\n  camera_params_file: calib.toml\n  image_resize_dims: { height: 256, width: 320 }\nmodel:\n  model_type: heatmap_multiview_transformer\nlosses:\n  supervised_pairwise_projections: { log_weight: 0.5, predictions: keypoints_pred_views }\n  supervised_reprojection_heatmap_mse: { log_weight: 3.0, predictions: keypoints_pred_views }\n`;

  it('check builds them with the calibration; explain shows the triangulation and the keys they read', () => {
    const r = run(SUPERVISED, { 'calib.toml': CALIB });
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(/supervised\s+supervised_pairwise_projections\s+log_weight 0\.5/);
    expect(r.text).toMatch(/supervised\s+supervised_reprojection_heatmap_mse\s+log_weight 3/);
    const explained = run(SUPERVISED, { 'calib.toml': CALIB }, explainCommand);
    expect(explained.code, explained.text).toBe(0);
    const text = explained.text;
    expect(text).toContain('reads: keypoints_pred_views, keypoints_targ_3d; gradients to: keypoints_pred_views');
    expect(text).toMatch(/- \{ transform: triangulate_pairs, of: keypoints_pred_views, as: keypoints_pred_3d_triangulated \}\s+# predictions/);
    expect(text).toMatch(/- \{ transform: project_views, .*pairs: mean, image_height: 256, image_width: 320 \}/);
    expect(text).toMatch(/- \{ mask: nan_keypoints, of: keypoints_targ_3d \}\n/);
  });

  it('without a calibration: the error names the step and the setting', () => {
    const r = run(SUPERVISED.replace('  camera_params_file: calib.toml\n', ''));
    // the reference adds these losses only with data.camera_params_file: nothing to build, nothing wrong
    expect(r.code, r.text).toBe(0);
    expect(r.text).not.toContain('supervised_pairwise_projections');
    const listed = run(
      `${SUPERVISED.replace('  camera_params_file: calib.toml\n', '').replace('model_type: heatmap_multiview_transformer', 'model_type: heatmap_multiview_transformer\n  losses_to_use: [supervised_pairwise_projections]')}`,
    );
    expect(listed.code).toBe(2);
    expect(listed.text).toContain(
      "losses.supervised_pairwise_projections.pipeline[0]: triangulate_pairs needs the rig's calibration (2 or more cameras): set data.camera_params_file",
    );
  });
});

describe('the reference’s calibration conventions: a calibrations.csv index, calibration.toml / calibrations/<session>.toml under the project root', () => {
  const INDEX = ',file\nlabeled-data/session0/img00000005.png,calibrations/session0.toml\nlabeled-data/session1/img00000151.png,calibrations/session1.toml\n';
  const SESSIONS = {
    'calibrations/session0.toml': CALIB,
    'calibrations/session1.toml': CALIB.replace('translation = [0.0, 0.0, 8.0]', 'translation = [0.0, 0.0, 9.0]'),
  };

  it('data.camera_params_file naming a calibrations.csv: every session file is read and checked', () => {
    const ok = run(`data:\n  camera_params_file: calibrations.csv\n  view_names: [A, B]\n${LOSSES}`, { 'calibrations.csv': INDEX, ...SESSIONS });
    expect(ok.code, ok.text).toBe(0);
    expect(ok.text).toMatch(/unsupervised cycle_reprojection/);
    const missing = run(`data:\n  camera_params_file: calibrations.csv\n${LOSSES}`, { 'calibrations.csv': INDEX, 'calibrations/session0.toml': CALIB });
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/data\.camera_params_file: .*calibrations\.csv:3: .*calibrations\/session1\.toml: cannot read the calibration file: ENOENT/);
    const broken = run(`data:\n  camera_params_file: calibrations.csv\n${LOSSES}`, {
      'calibrations.csv': INDEX.replace('session1.toml', 'session1.toml,extra'),
      ...SESSIONS,
    });
    expect(broken.text).toMatch(/data\.camera_params_file: .*calibrations\.csv:3: expected 2 columns \(image path, calibration file\), got 3/);
    const header = run(`data:\n  camera_params_file: calibrations.csv\n${LOSSES}`, {
      'calibrations.csv': INDEX.replace(',file', 'image,path'),
      ...SESSIONS,
    });
    expect(header.text).toMatch(/calibrations\.csv:1: expected the header ',file'/);
    const other = run(`data:\n  camera_params_file: calibrations.csv\n${LOSSES}`, {
      'calibrations.csv': INDEX,
      ...SESSIONS,
      'calibrations/session1.toml': CALIB.replace('name = "B"', 'name = "C"'),
    });
    expect(other.code).toBe(2);
    expect(other.text).toMatch(
      /session1\.toml has the cameras \[A, C\], but .*session0\.toml has \[A, B\]: every session's calibration needs the same cameras/,
    );
  });

  it('no camera_params_file: calibration.toml, else calibrations/*.toml, under data.data_dir', () => {
    const root = run(`data:\n  data_dir: .\n${LOSSES}`, { 'calibration.toml': CALIB });
    expect(root.code, root.text).toBe(0);
    const sessions = run(`data:\n  data_dir: .\n${LOSSES}`, SESSIONS);
    expect(sessions.code, sessions.text).toBe(0);
    const bad = run(`data:\n  data_dir: .\n${LOSSES}`, {
      'calibrations/session0.toml': CALIB.replace('rotation = [0.0, 0.3, 0.0]', 'rotation = [0.0, 0.3]'),
    });
    expect(bad.code).toBe(2);
    expect(bad.text).toMatch(/data\.data_dir: .*session0\.toml \[cam_0\]\.rotation/);
    const none = run(`data:\n  data_dir: .\n${LOSSES}`, {});
    expect(none.code).toBe(2);
    expect(none.text).toContain("reproject_views needs the rig's calibration");
  });
});

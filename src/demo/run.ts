import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { Staging } from '../io/output.js';
import { periodic } from '../io/progress.js';
import type { Factories } from '../lp/factory.js';
import type { PcaFit } from '../pca/index.js';
import { annealAt, DEMO_CONFIG, demoFactories, readDemoConfig } from './config.js';
import { posePredictionsCsv } from './csv.js';
import { type DataOptions, DEFAULT_DATA, type DemoData, disturbedFrames, labelsOf, makeDemoData } from './dataset.js';
import { measure, type Summary, summarise, type VideoMetrics } from './evaluate.js';
import { createModel, DEFAULT_MODEL } from './model.js';
import { KEYPOINT_NAMES, POSE_DIM } from './pose.js';
import { predictVideo, type VideoPredictions } from './predict.js';
import { reportHtml } from './report.js';
import { formatTable, summaryRows, type Table } from './table.js';
import { type RunResult, type StepRecord, train } from './train.js';

/**
 * `poseloss demo`: make the synthetic data, train the same model from the same seed twice —
 * supervised only, then supervised + temporal + pca_singleview on unlabeled clips — measure
 * both on a held-out video and on the unlabeled training frames, print the table side by side
 * and write report.html.
 */

export interface DemoOptions {
  readonly steps: number;
  readonly seed: number;
  readonly out: string;
  readonly quick: boolean;
  /** Printed lines (the table, the summary). */
  readonly log: (line: string) => void;
  /** Progress bars on stderr (a terminal only). */
  readonly progress: boolean;
  /** When there are no bars (not a terminal): a progress line is written here about every 10 s. */
  readonly progressLine?: (line: string) => void;
  readonly backend: string;
  readonly config?: string;
}

/** Data and steps of the default run (sized for < 5 min on two CPU cores) and of --quick (the tests' run, < 40 s). */
export const PRESETS = {
  default: { steps: 500, data: DEFAULT_DATA },
  quick: { steps: 60, data: { ...DEFAULT_DATA, trainFrames: 300, testFrames: 150 } },
} as const;

/** A frame counts as a large error when its worst keypoint is further than this (≈ 8% of the 64 px frame). */
export const THRESHOLD_PX = 5;

export interface RunOutcome {
  readonly key: 'supervised' | 'semi';
  readonly label: string;
  readonly color: string;
  readonly result: RunResult;
  readonly test: { readonly preds: VideoPredictions; readonly metrics: VideoMetrics; readonly summary: Summary };
  readonly unlabeled: { readonly preds: VideoPredictions; readonly metrics: VideoMetrics; readonly summary: Summary };
}

export interface DemoOutcome {
  readonly data: DemoData;
  readonly pca: PcaFit;
  readonly runs: readonly RunOutcome[];
  readonly table: Table;
  readonly lines: readonly string[];
  readonly reportPath: string;
  readonly seconds: number;
}

const termsText = (r: StepRecord, ema: Record<string, number>): string => {
  for (const [k, v] of Object.entries({ total: r.total, ...r.terms })) ema[k] = k in ema ? ema[k] + 0.1 * (v - ema[k]) : v;
  return Object.entries(ema)
    .map(([k, v]) => `${k} ${v.toPrecision(3)}`)
    .join('  ');
};

const progressBar = (enabled: boolean, label: string, steps: number, line?: (l: string) => void) => {
  if (!enabled && line) {
    const p = periodic(line);
    const t0 = Date.now();
    return {
      update: (r: StepRecord) =>
        p.tick(() => `${label}: step ${r.step + 1}/${steps}, loss ${r.total.toPrecision(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
      stop: () => undefined,
    };
  }
  if (!enabled) return { update: (_: StepRecord) => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label.padEnd(16)} {bar} {value}/{total} | {terms}`, barsize: 24, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const ema: Record<string, number> = {};
  bar.start(steps, 0, { terms: '' });
  return { update: (r: StepRecord) => bar.update(r.step + 1, { terms: termsText(r, ema) }), stop: () => bar.stop() };
};

const pcaOf = (f: Factories): PcaFit => {
  const pca = f.unsupervised.members.find((m) => m.name === 'pca_singleview')?.loss.fitted?.pca;
  if (!pca) throw new Error('the demo config has no fitted pca_singleview loss');
  return pca;
};

export const runDemo = async (o: DemoOptions): Promise<DemoOutcome> => {
  const t0 = performance.now();
  const preset = o.quick ? PRESETS.quick : PRESETS.default;
  const dataOpts: DataOptions = { ...preset.data, seed: o.seed };
  const cfg = readDemoConfig(o.config ?? DEMO_CONFIG);
  const data = makeDemoData(dataOpts);
  const labels = labelsOf(data.train, data.labeled);
  const factories = demoFactories(cfg, labels);
  const pca = pcaOf(factories.semi);
  const testDisturbed = disturbedFrames(data.test);
  const trainDisturbed = disturbedFrames(data.train);
  const labeledSet = new Set(data.labeled);
  const unlabeled = Array.from({ length: data.train.frames }, (_, i) => i).filter((i) => !labeledSet.has(i));

  o.log(`backend: ${o.backend}`);
  o.log(
    `data (seed ${o.seed}): ${data.size}×${data.size} frames, ${data.keypoints} keypoints; training video ${data.train.frames} frames, ${data.labeled.length} labeled; ` +
      `held-out video ${data.test.frames} frames; occluder/distractor in ${pct(trainDisturbed)} / ${pct(testDisturbed)} of frames`,
  );
  o.log(
    `pca_singleview: fitted on the ${labels.rows} labeled poses, keeps ${pca.nKept} components (true pose dimension ${POSE_DIM}), empirical epsilon ${pca.epsilonEmpirical.toExponential(2)} px`,
  );
  o.log(
    `training: ${o.steps} steps each, ${cfg.batchSize} labeled frames per step (+ a ${cfg.clipLength}-frame unlabeled clip for the semi-supervised run), Adam lr ${cfg.learningRate}`,
  );

  const runs: RunOutcome[] = [];
  const specs = [
    { key: 'supervised' as const, label: 'supervised', color: '#d33', f: factories.supervised },
    { key: 'semi' as const, label: 'semi-supervised', color: '#36c', f: factories.semi },
  ];
  for (const s of specs) {
    const model = createModel({ ...DEFAULT_MODEL, size: data.size, keypoints: data.keypoints, seed: o.seed });
    const bar = progressBar(o.progress, s.label, o.steps, o.progressLine);
    let result: RunResult;
    try {
      result = await train(
        data,
        model,
        {
          name: s.label,
          factories: s.f,
          steps: o.steps,
          batchSize: cfg.batchSize,
          clipLength: cfg.clipLength,
          learningRate: cfg.learningRate,
          anneal: annealAt(s.f, cfg.maxEpochs, o.steps),
          seed: o.seed,
        },
        bar.update,
      );
    } finally {
      bar.stop();
    }
    const testPreds = await predictVideo(model, data.test);
    const trainPreds = await predictVideo(model, data.train);
    model.dispose();
    const testMetrics = measure(testPreds.keypoints, data.test.keypoints, data.test.frames, pca);
    const trainMetrics = measure(trainPreds.keypoints, data.train.keypoints, data.train.frames, pca);
    runs.push({
      key: s.key,
      label: s.label,
      color: s.color,
      result,
      test: { preds: testPreds, metrics: testMetrics, summary: summarise(testMetrics, THRESHOLD_PX, testDisturbed) },
      unlabeled: { preds: trainPreds, metrics: trainMetrics, summary: summarise(trainMetrics, THRESHOLD_PX, trainDisturbed, unlabeled) },
    });
    o.log(`${s.label}: ${o.steps} steps in ${result.seconds.toFixed(1)} s`);
  }

  const truthTest = summarise(measure(data.test.keypoints, data.test.keypoints, data.test.frames, pca), THRESHOLD_PX, testDisturbed);
  const truthTrain = summarise(measure(data.train.keypoints, data.train.keypoints, data.train.frames, pca), THRESHOLD_PX, trainDisturbed, unlabeled);
  const lossRow = (label: string, pickFn: (h: readonly StepRecord[]) => number) => ({
    label,
    cells: [...runs.map((r) => pickFn(r.result.history)), undefined],
    digits: 4,
  });
  const window = Math.max(1, Math.floor(o.steps / 10));
  const avg = (h: readonly StepRecord[], from: number, term: string) => {
    const xs = h.slice(from, from + window).map((r) => r.terms[term]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const table: Table = {
    columns: [...runs.map((r) => r.label), 'truth'],
    sections: [
      {
        title: `held-out video (${data.test.frames} frames, never trained on)`,
        rows: summaryRows(
          runs.map((r) => r.test.summary),
          { temporal: truthTest.meanTemporalNorm, pca: truthTest.meanPcaError },
          THRESHOLD_PX,
        ),
      },
      {
        title: `unlabeled frames of the training video (${unlabeled.length} frames)`,
        rows: summaryRows(
          runs.map((r) => r.unlabeled.summary),
          { temporal: truthTrain.meanTemporalNorm, pca: truthTrain.meanPcaError },
          THRESHOLD_PX,
        ),
      },
      {
        title: `training (mean over the first / last ${window} steps)`,
        rows: [
          lossRow('heatmap_mse, first steps', (h) => avg(h, 0, 'heatmap_mse')),
          lossRow('heatmap_mse, last steps', (h) => avg(h, h.length - window, 'heatmap_mse')),
          { label: 'seconds', cells: [...runs.map((r) => r.result.seconds), undefined], digits: 1 },
        ],
      },
    ],
  };
  const lines = formatTable(table);
  o.log('');
  lines.forEach((l) => o.log(l));
  o.log(`* = the better run (temporal norm: the one closer to the truth). truth: the true keypoints' own temporal norm and PCA error.`);

  // every output is staged and moved into o.out together: an interrupted or failed run leaves nothing
  const stage = new Staging(o.out);
  const reportPath = path.join(o.out, 'report.html');
  const seconds = (performance.now() - t0) / 1000;
  try {
    fs.writeFileSync(
      stage.file('report.html'),
      reportHtml({
        title: 'poseloss demo: supervised vs semi-supervised (temporal + pca_singleview)',
        meta: [
          `backend ${o.backend}, seed ${o.seed}, ${o.steps} steps per run${o.quick ? ' (--quick)' : ''}, total ${seconds.toFixed(0)} s`,
          `data: ${data.size}×${data.size} synthetic frames, ${data.keypoints} keypoints (${KEYPOINT_NAMES.join(', ')})`,
          `training video ${data.train.frames} frames (${data.labeled.length} labeled), held-out video ${data.test.frames} frames`,
          `PCA: ${pca.nKept} components kept, empirical epsilon ${pca.epsilonEmpirical.toExponential(2)} px; config ${path.basename(o.config ?? DEMO_CONFIG)}`,
        ],
        table,
        runs: runs.map((r) => ({ label: r.label, color: r.color, history: r.result.history, keypoints: r.test.preds.keypoints, metrics: r.test.metrics })),
        test: data.test,
        keypointNames: KEYPOINT_NAMES,
      }),
    );
    const csv = (name: string, kp: ArrayLike<number>, conf: ArrayLike<number> | null) =>
      fs.writeFileSync(stage.file(name), posePredictionsCsv(KEYPOINT_NAMES, kp, conf));
    csv('heldout_truth.csv', data.test.keypoints, null);
    for (const r of runs) csv(`heldout_${r.key}.csv`, r.test.preds.keypoints, r.test.preds.confidences);
    fs.writeFileSync(stage.file('results.json'), JSON.stringify(resultsJson(o, data, pca, runs, table, seconds), null, 1));
    stage.commit();
  } finally {
    stage.discard();
  }
  o.log(`report: ${reportPath} (with results.json and the held-out predictions as pose CSVs)`);
  o.log(`total ${seconds.toFixed(0)} s; tensors left: ${tf.memory().numTensors}`);
  return { data, pca, runs, table, lines, reportPath, seconds };
};

/** What the run measured, as data: options, the table, each run's loss history and whether its predictions are finite. */
const resultsJson = (o: DemoOptions, data: DemoData, pca: PcaFit, runs: readonly RunOutcome[], table: Table, seconds: number) => ({
  options: { steps: o.steps, seed: o.seed, quick: o.quick, backend: o.backend },
  data: { size: data.size, keypoints: data.keypoints, trainFrames: data.train.frames, labeled: data.labeled.length, testFrames: data.test.frames },
  pca: { kept: pca.nKept, epsilon: pca.epsilonEmpirical, explainedVarianceRatio: Array.from(pca.explainedVarianceRatio) },
  table,
  runs: runs.map((r) => ({
    key: r.key,
    label: r.label,
    seconds: r.result.seconds,
    finitePredictions: [r.test.preds.keypoints, r.test.preds.confidences, r.unlabeled.preds.keypoints, r.unlabeled.preds.confidences].every((a) =>
      a.every(Number.isFinite),
    ),
    heldout: r.test.summary,
    unlabeled: r.unlabeled.summary,
    history: {
      total: r.result.history.map((h) => h.total),
      anneal: r.result.history.map((h) => h.anneal),
      terms: Object.fromEntries(Object.keys(r.result.history[0]?.terms ?? {}).map((k) => [k, r.result.history.map((h) => h.terms[k])])),
      tensors: r.result.history.map((h) => h.tensors),
    },
  })),
  seconds,
});

const pct = (flags: readonly boolean[]): string => `${Math.round((100 * flags.filter(Boolean).length) / flags.length)}%`;

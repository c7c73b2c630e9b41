/**
 * poseloss/node: the parts that need Node — file readers, metrics on prediction files, the
 * HTML report writer, the demo and the reference-vector runner. The losses, factories and
 * in-memory metrics are in the browser-safe root entry, `poseloss`.
 */
export { readYaml } from './config/yaml.js';
export { type DemoOptions, type DemoOutcome, PRESETS as DEMO_PRESETS, runDemo } from './demo/run.js';
export { type PoseTable, parsePoseCsv, readPoseCsv, selectKeypoints } from './io/index.js';
export { type ProgressFn, parsePoseCsvStream, readPoseCsvStream, type StreamOptions } from './io/poseCsvStream.js';
export { metricCsv } from './metrics/csv.js';
export {
  computeFileMetrics,
  type FileMetrics,
  METRIC_FILES,
  type MetricName,
  type MetricResult,
  type MetricsSetup,
  matchKeypoints,
  setupMetrics,
} from './metrics/files.js';
export { metricsPage, type ReportInput, renderReport } from './report/index.js';
export { type CaseResult, caseFiles, readCase, runCase, verifyFile } from './verify/index.js';

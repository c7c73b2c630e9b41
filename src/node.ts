/**
 * poseloss/node: the parts that need Node — file readers, metrics on prediction files, the
 * HTML report writer, the demo and the reference-vector runner. The losses, factories and
 * in-memory metrics are in the browser-safe root entry, `poseloss`.
 */
export { readYaml } from './config/yaml.js';
export { readPoseCsv, parsePoseCsv, selectKeypoints, type PoseTable } from './io/index.js';
export { readPoseCsvStream, parsePoseCsvStream, type ProgressFn, type StreamOptions } from './io/poseCsvStream.js';
export { computeFileMetrics, matchKeypoints, setupMetrics, METRIC_FILES, type FileMetrics, type MetricName, type MetricResult, type MetricsSetup } from './metrics/files.js';
export { metricCsv } from './metrics/csv.js';
export { renderReport, metricsPage, type ReportInput } from './report/index.js';
export { runDemo, PRESETS as DEMO_PRESETS, type DemoOptions, type DemoOutcome } from './demo/run.js';
export { caseFiles, readCase, runCase, verifyFile, type CaseResult } from './verify/index.js';

export { metricCsv } from './csv.js';
export {
  fitPcaMetric,
  fitPcaMetricOrThrow,
  type PcaMetric,
  type PcaMetricParams,
  type PcaView,
  pcaMultiviewReprojectionError,
  pcaReprojectionErrorMetric,
  pcaSingleviewReprojectionError,
} from './pca.js';
export { pixelError } from './pixelError.js';
export { type KeypointStats, keypointStats } from './stats.js';
export { temporalNorm } from './temporalNorm.js';

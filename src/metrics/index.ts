export { pixelError } from './pixelError.js';
export { temporalNorm } from './temporalNorm.js';
export {
  fitPcaMetric,
  fitPcaMetricOrThrow,
  pcaReprojectionErrorMetric,
  pcaSingleviewReprojectionError,
  pcaMultiviewReprojectionError,
  type PcaMetric,
  type PcaMetricParams,
  type PcaView,
} from './pca.js';
export { keypointStats, type KeypointStats } from './stats.js';
export { metricCsv } from './csv.js';

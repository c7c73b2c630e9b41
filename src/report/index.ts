export { renderReport, type ReportInput } from './html.js';
export { thinByMax, type Thinned } from './downsample.js';
export { histograms, type Histogram } from './histogram.js';
export { uplotAssets } from './assets.js';

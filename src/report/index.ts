export { renderReport, metricsPage, type ReportInput } from './html.js';
export {
  renderPage,
  esc,
  fmt,
  type Page,
  type Section,
  type Block,
  type Chart,
  type TimeChart,
  type HistogramChart,
  type Series,
  type Colour,
  type Table,
  type TableRow,
  type Cell,
  type Inline,
  type Image,
  type Mark,
} from './page.js';
export { thinByMax, type Thinned } from './downsample.js';
export { histograms, type Histogram } from './histogram.js';
export { uplotAssets } from './assets.js';

export { uplotAssets } from './assets.js';
export { type Thinned, thinByMax } from './downsample.js';
export { type Histogram, histograms } from './histogram.js';
export { metricsPage, type ReportInput, renderReport } from './html.js';
export {
  type Block,
  type Cell,
  type Chart,
  type Colour,
  esc,
  fmt,
  type HistogramChart,
  type Image,
  type Inline,
  type Mark,
  type Page,
  renderPage,
  type Section,
  type Series,
  type Table,
  type TableRow,
  type TimeChart,
} from './page.js';

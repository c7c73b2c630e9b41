export { readCalibration } from './calibration.js';
export { parseNumberCell } from './numberCell.js';
export type { PoseTable } from './poseCsv.js';
export { parsePoseCsv, readPoseCsv, selectKeypoints } from './poseCsv.js';

/** Multi-camera geometry (browser-safe): calibration decoding, batched differentiable camera math, float64 references. */
export { parseCalibration, decodeCalibration, selectViews, CameraSection, type Camera, type CameraGroup } from '../config/calibration.js';
export { cameraTensors, cameraPairs, pairCameras, disposeCameras, cameraTensorList, type CameraTensors } from './cameraTensors.js';
export { rodrigues } from './rotation.js';
export { undistort, UNDISTORT_STEPS } from './undistort.js';
export { project } from './project.js';
export { triangulate, DLT_REFINE_STEPS } from './triangulate.js';
export { triangulatePairs, medianOfPairs } from './pairwise.js';
export { reprojectionError, meanReprojectionError } from './reprojection.js';
export { multiviewGeometry, type MultiviewGeometry } from './multiview.js';
export * as reference from './reference.js';

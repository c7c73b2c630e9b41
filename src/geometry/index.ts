/** Multi-camera geometry (browser-safe): calibration decoding, batched differentiable camera math, float64 references. */
export { type Camera, type CameraGroup, CameraSection, decodeCalibration, parseCalibration, selectViews } from '../config/calibration.js';
export { type CameraTensors, cameraPairs, cameraTensorList, cameraTensors, disposeCameras, pairCameras } from './cameraTensors.js';
export { type MultiviewGeometry, multiviewGeometry } from './multiview.js';
export { medianOfPairs, triangulatePairs } from './pairwise.js';
export { project } from './project.js';
export * as reference from './reference.js';
export { meanReprojectionError, reprojectionError } from './reprojection.js';
export { rodrigues } from './rotation.js';
export { DLT_REFINE_STEPS, triangulate } from './triangulate.js';
export { UNDISTORT_STEPS, undistort } from './undistort.js';

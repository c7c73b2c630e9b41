export { pixelError } from './pixelError.js';
export { temporalNorm } from './temporalNorm.js';

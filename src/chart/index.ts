export type { LoadLevel } from './curve.js';
export { measuredLevels, predictedCurve } from './curve.js';
export type { LoadChart } from './render.js';
export { chartOption, chartPng, chartSvg } from './render.js';

export type { LoadLevel } from './curve.js';
export { measuredLevels, predictedCurve } from './curve.js';
export type { ChartLinks, ChartRef } from './link.js';
export { CHART_LINK_TTL_MS, CHART_ROUTE, chartLinks } from './link.js';
export { configurationChart, optionChart } from './option.js';
export type { LoadChart } from './render.js';
export { chartOption, chartPng, chartSvg } from './render.js';

export type { SendRequest } from './client.js';
export { completionsClient, EndpointError, servedModel } from './client.js';
export type { LoadtestReport } from './report.js';
export { loadtestReport, summarize } from './report.js';
export type { Progress } from './run.js';
export { runLoadtest } from './run.js';
export { arrivalOffsetsMs, requestShapes } from './schedule.js';
export type { PointResult, RequestSample } from './schema.js';
export { CAPACITY_SHARES, LoadPoint, LoadtestSettings, TokenLengths } from './schema.js';

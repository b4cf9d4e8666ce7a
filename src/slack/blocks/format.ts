import type { Basis } from '../../planner/predict.js';
import type { FieldSource } from '../../spec/schema.js';

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const twoDigits = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const threeSignificant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

export const count = (value: number) => whole.format(value);
export const usd = (value: number) => `$${whole.format(value)}`;
export const usdMonthly = (value: number) => `${usd(value)}/month`;
export const usdHourly = (value: number) => `$${twoDigits.format(value)}/h`;
/** Requests per second, three significant digits: 0.417, 4.17, 41.7, 417. */
export const rps = (value: number) => `${threeSignificant.format(value)} req/s`;

/** Latencies follow the plan notation shared with the CLI (src/planner/notation.ts). */
export { latency as ms } from '../../planner/notation.js';

export const check = (ok: boolean) => (ok ? '✓' : '✗');

export const SOURCE_LABEL: Record<FieldSource, string> = {
  stated: 'stated',
  derived: 'derived',
  default: '_default_',
};

export const BASIS_LABEL: Record<Basis, string> = {
  measured: 'measured (GuideLLM points for this exact setup)',
  interpolated: 'interpolated between measured points',
  estimated: 'estimated (physical model, calibrated on measurements)',
};

export const list = (values: readonly string[], none = 'any') => (values.length ? values.join(', ') : none);

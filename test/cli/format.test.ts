import { describe, expect, it } from 'vitest';
import { compact } from '../../src/cli/format.js';

describe('compact figures in the CLI tables', () => {
  it('keeps two significant digits below 1, so a small rate is not printed as 0', () => {
    // A legal-research plan at 0.01 req/s printed "Max req/s 0" for options that carry 0.012 req/s within the SLOs.
    expect(compact(0.0123)).toBe('0.012');
    expect(compact(0.04)).toBe('0.04');
    expect(compact(0.5)).toBe('0.5');
    expect(compact(0)).toBe('0');
  });

  it('rounds to one decimal from 1 and to whole thousands-separated numbers from 100', () => {
    expect(compact(3.14)).toBe('3.1');
    expect(compact(12)).toBe('12');
    expect(compact(99.96)).toBe('100');
    expect(compact(1234.5)).toBe('1,235');
  });
});

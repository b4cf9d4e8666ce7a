import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulatorSettings } from '../../src/cli/simulator.js';
import { cli } from '../support/cli.js';
import { numberLikeText } from '../support/fuzz.js';

/** No database: a bad flag must be refused before any command runs. */
const env = { HOME: '/nonexistent', DATABASE_URL: 'postgres://127.0.0.1:1/none' };
const predict = ['predict', '--model', 'x', '--gpu', 'H100', '--tp', '1', '--output-tokens', '100'];

describe('numeric CLI flags are decimals within bounds (issue 16: 0x10 was read as 16)', () => {
  it.each([
    ['--qps', '0x10'],
    ['--qps', '0b11'],
    ['--budget', '1,5'],
    ['--budget', '2000000000'],
    ['--top', '99999999999999999999'],
  ])('plan %s %s exits 2 with one line naming the flag', async (flag, value) => {
    const result = await cli(['plan', flag, value, 'chatbot for 10 users'], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(flag);
  });

  it('predict refuses a prompt length in hexadecimal', async () => {
    const result = await cli([...predict, '--prompt-tokens', '0x400'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--prompt-tokens.*expected a decimal number > 0/);
  });

  it('simulator settings refuse hexadecimal and binary, from flags and environment alike', () => {
    expect(() => simulatorSettings({ model: 'm', gpu: 'H100', port: '0x1f90' }, {})).toThrow(
      /--port \(or SIMULATOR_PORT\) expected a decimal number \(got "0x1f90"\)/,
    );
    expect(() => simulatorSettings({ model: 'm', gpu: 'H100' }, { SIMULATOR_TP: '0b10' })).toThrow(
      /--tp \(or SIMULATOR_TP\)/,
    );
    expect(simulatorSettings({ model: 'm', gpu: 'H100', port: '8080', timeScale: '0.5' }, {})).toMatchObject({
      port: 8080,
      timeScale: 0.5,
    });
  });

  it('reads "-0" as a plain 0, never a negative zero (a fuzzed counterexample)', () => {
    const settings = simulatorSettings({ model: 'm', gpu: 'H100', failFraction: '-0', seed: '-0' }, {});
    expect(Object.is(settings.failFraction, 0)).toBe(true);
    expect(Object.is(settings.seed, 0)).toBe(true);
  });

  it('fuzzed: a flag value is refused (exit 2) or read as the decimal it spells, never crashes the CLI', async () => {
    await fc.assert(
      fc.asyncProperty(numberLikeText, async (value) => {
        const result = await cli([...predict, '--prompt-tokens', value, '--json'], env);
        if (result.code === 2 && /--prompt-tokens/.test(result.stderr)) return;
        // Accepted: it passed the flag and failed later (no database), or the value is a plain decimal.
        expect(value).toMatch(/^\s*\+?[\d,_ ]+(?:\.\d+)?(?:e[+-]?\d+)?\s*$/i);
        expect(result.stderr).not.toMatch(/TypeError|RangeError|at .*\.ts:\d+/);
      }),
      { numRuns: 150 },
    );
    for (const flag of ['--port', '--tp', '--time-scale', '--fail-fraction', '--seed']) {
      fc.assert(
        fc.property(numberLikeText, (value) => {
          const name = flag.replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
          let settings: ReturnType<typeof simulatorSettings> | undefined;
          let refusal = '';
          try {
            settings = simulatorSettings({ model: 'm', gpu: 'H100', [name]: value }, {});
          } catch (error) {
            refusal = String(error);
          }
          if (!settings) expect(refusal).toMatch(new RegExp(`${flag} \\(or SIMULATOR_`));
          // An empty flag is no flag: the default applies.
          else if (value !== '') {
            const read = settings[name as keyof typeof settings] as number;
            expect(Number.isFinite(read)).toBe(true);
            // A minus sign passes only on zero ("-0"), read as a plain 0.
            if (/^\s*-/.test(value)) expect(read).toBe(0);
            else expect(value).toMatch(/^\s*\+?[\d,_ ]+(?:\.\d+)?(?:e[+-]?\d+)?\s*$/i);
          }
        }),
        { numRuns: 200 },
      );
    }
  });
});

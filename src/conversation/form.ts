import { parseDecimal } from '../intent/numbers.js';
import type { FormValues } from '../slack/blocks/form.js';

/** Problems of a submitted form by field name: Slack shows each under its input (`response_action: errors`). */
export type FieldErrors = Record<string, string>;

export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

const wholeNumber = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * Typed reads of a submitted form that collect a message per bad field instead of stopping at the first: every
 * read returns the value, or undefined after recording why the field is wrong.
 */
export function formReader(values: FormValues) {
  const errors: FieldErrors = {};
  const fail = (name: string, message: string): undefined => {
    errors[name] ??= message;
    return undefined;
  };
  const single = (name: string): string | null => {
    const value = values[name];
    return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
  };

  function number(
    name: string,
    rules: { integer?: boolean; min?: number; max: number; optional: true },
  ): number | null | undefined;
  function number(
    name: string,
    rules: { integer?: boolean; min?: number; max: number; optional?: false },
  ): number | undefined;
  function number(
    name: string,
    rules: { integer?: boolean; min?: number; max: number; optional?: boolean },
  ): number | null | undefined {
    const text = single(name);
    if (text === null) return rules.optional ? null : fail(name, 'Required.');
    const value = parseDecimal(text);
    if (value === null) return fail(name, `“${text}” is not a decimal number: write 1500, 1,500 or 1.5.`);
    if (rules.integer && !Number.isInteger(value)) return fail(name, 'Must be a whole number.');
    const min = rules.min ?? 0;
    if (value <= 0 && min === 0) return fail(name, 'Must be more than 0.');
    if (value < min) return fail(name, `Must be at least ${wholeNumber.format(min)}.`);
    if (value > rules.max) return fail(name, `Must be at most ${wholeNumber.format(rules.max)}.`);
    return value;
  }

  return {
    errors,
    fail,
    number,
    /** One of `allowed`. */
    choice<T extends string>(name: string, allowed: readonly T[]): T | undefined {
      const value = single(name);
      if (value === null) return fail(name, 'Choose one.');
      return (allowed as readonly string[]).includes(value)
        ? (value as T)
        : fail(name, `“${value}” is not one of the choices.`);
    },
    /** Any of `allowed`; none is fine (it means "any"). */
    choices(name: string, allowed: readonly string[]): string[] | undefined {
      const raw = values[name];
      const chosen = raw === null || raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      const unknown = chosen.filter((value) => !allowed.includes(value));
      if (unknown.length > 0) return fail(name, `Not in the catalog: ${unknown.join(', ')}.`);
      return [...new Set(chosen)].sort();
    },
    text(name: string, rules: { min: number; max: number }): string | undefined {
      const value = single(name) ?? '';
      if (value.length < rules.min)
        return fail(name, `Say a little more (at least ${rules.min} characters).`);
      if (value.length > rules.max) return fail(name, `At most ${rules.max} characters.`);
      return value;
    },
    result<T>(value: () => T): FormResult<T> {
      return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: value() };
    },
  };
}

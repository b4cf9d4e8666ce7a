import type { InputBlock, InputElement, SelectOption } from './kit.js';
import { clip, input, LIMITS, plain, selectOption } from './kit.js';

/** What a form field holds when submitted: text (numbers as typed), a choice, several choices, or nothing. */
export type FormValue = string | string[] | null;
/** A submitted form by field name, whichever surface it came from (a Slack modal or `compass chat`). */
export type FormValues = Record<string, FormValue>;

export interface FieldOption {
  value: string;
  label: string;
}

interface FieldBase {
  /** block_id and action_id in Slack; the key users type in `compass chat`. */
  name: string;
  label: string;
  hint?: string;
  optional?: boolean;
}

/** A form field, prefilled with its current value. */
export type FormField =
  | (FieldBase & { kind: 'number'; value: number | null; decimals: boolean })
  | (FieldBase & { kind: 'select'; value: string; options: FieldOption[] })
  | (FieldBase & { kind: 'multiselect'; value: string[]; options: FieldOption[]; placeholder?: string })
  | (FieldBase & {
      kind: 'text';
      value: string;
      multiline?: boolean;
      minLength?: number;
      maxLength?: number;
    });

/**
 * At most Slack's 100 options, the current choices always among them (an initial option must be one of the
 * options), the rest in the given order.
 */
function optionsOf(options: FieldOption[], chosen: readonly string[]): SelectOption[] {
  const first = options.filter((option) => chosen.includes(option.value));
  const rest = options.filter((option) => !chosen.includes(option.value));
  return [...first, ...rest]
    .slice(0, LIMITS.selectOptions)
    .map((option) => selectOption(option.label, option.value));
}

function elementOf(field: FormField): InputElement {
  const action_id = clip(field.name, LIMITS.actionId);
  switch (field.kind) {
    case 'number': {
      const element: InputElement = { type: 'number_input', action_id, is_decimal_allowed: field.decimals };
      if (field.value !== null) element.initial_value = String(field.value);
      return element;
    }
    case 'select': {
      const options = optionsOf(field.options, [field.value]);
      const initial = options.find((option) => option.value === field.value);
      return { type: 'static_select', action_id, options, ...(initial ? { initial_option: initial } : {}) };
    }
    case 'multiselect': {
      const options = optionsOf(field.options, field.value);
      const initial = options.filter((option) => field.value.includes(option.value));
      return {
        type: 'multi_static_select',
        action_id,
        options,
        ...(initial.length > 0 ? { initial_options: initial } : {}),
        ...(field.placeholder ? { placeholder: plain(field.placeholder, LIMITS.placeholder) } : {}),
      };
    }
    case 'text': {
      const element: InputElement = { type: 'plain_text_input', action_id };
      const max = Math.min(field.maxLength ?? LIMITS.textInputLength, LIMITS.textInputLength);
      if (field.multiline) element.multiline = true;
      if (field.value) element.initial_value = clip(field.value, max);
      if (field.minLength !== undefined) element.min_length = field.minLength;
      if (field.maxLength !== undefined) element.max_length = max;
      return element;
    }
  }
}

/** The input blocks of a form, one per field, prefilled. */
export function inputBlocks(fields: FormField[]): InputBlock[] {
  return fields.map((field) => {
    const options: { hint?: string; optional?: boolean } = {};
    if (field.hint) options.hint = field.hint;
    if (field.optional) options.optional = true;
    return input(field.name, field.label, elementOf(field), options);
  });
}

/** One input's state as Slack sends it in view_submission and block_actions payloads. */
export interface InputState {
  type: string;
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_options?: { value: string }[];
}

/** The values of a modal's inputs (`view.state.values`) by field name; empty inputs are null. */
export function formValuesOf(state: Record<string, Record<string, InputState>>): FormValues {
  const values: FormValues = {};
  for (const [blockId, actions] of Object.entries(state)) {
    const current = actions[blockId] ?? Object.values(actions)[0];
    if (!current) continue;
    if (current.selected_options !== undefined)
      values[blockId] = current.selected_options.map((option) => option.value);
    else if (current.selected_option !== undefined) values[blockId] = current.selected_option?.value ?? null;
    else values[blockId] = current.value?.trim() ? current.value.trim() : null;
  }
  return values;
}

/** A field's current value as text, for the terminal. */
export function fieldText(field: FormField): string {
  const label = (value: string) =>
    'options' in field ? (field.options.find((option) => option.value === value)?.label ?? value) : value;
  switch (field.kind) {
    case 'number':
      return field.value === null ? '—' : String(field.value);
    case 'multiselect':
      return field.value.length === 0 ? 'any' : field.value.join(',');
    case 'select':
      return `${field.value} (${label(field.value)})`;
    case 'text':
      return field.value || '—';
  }
}

/** Words that clear an optional field in `compass chat`. */
const EMPTY = /^(?:-|none|any|no|clear)$/i;

/**
 * A form filled in on one terminal line: `name=value` pairs separated by spaces, lists comma-separated
 * (`gpus=H100,A100`), `none` clears a field. Fields not named keep their current value, as in a prefilled modal.
 * Unknown names come back in `unknown`.
 */
export function formValuesFromLine(
  line: string,
  fields: FormField[],
): { values: FormValues; unknown: string[] } {
  const values: FormValues = {};
  for (const field of fields) {
    values[field.name] =
      field.kind === 'multiselect'
        ? field.value
        : field.kind === 'number'
          ? field.value === null
            ? null
            : String(field.value)
          : field.value;
  }
  const unknown: string[] = [];
  for (const pair of line.trim().split(/\s+/).filter(Boolean)) {
    const [name = '', ...rest] = pair.split('=');
    const value = rest.join('=').trim();
    const field = fields.find((candidate) => candidate.name === name.trim().toLowerCase());
    if (!field || rest.length === 0) {
      unknown.push(pair);
      continue;
    }
    if (field.kind === 'multiselect')
      values[field.name] = EMPTY.test(value)
        ? []
        : value
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean);
    else values[field.name] = value === '' || EMPTY.test(value) ? null : value;
  }
  return { values, unknown };
}

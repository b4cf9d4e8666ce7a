import type { InputBlock, InputElement, OptionGroup, SelectChoices, SelectOption } from './kit.js';
import { clip, input, LIMITS, plain, selectOption } from './kit.js';

/** What a form field holds when submitted: text (numbers as typed), a choice, several choices, or nothing. */
export type FormValue = string | string[] | null;
/** A submitted form by field name, whichever surface it came from (a Slack modal or `compass chat`). */
export type FormValues = Record<string, FormValue>;

export interface FieldOption {
  value: string;
  label: string;
  /** The heading it is listed under when the list is longer than one menu holds (a model's family). */
  group?: string;
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
 * The options of a select, the current choices always among them (an initial option must be one of the options):
 * up to 100 as a flat list; more in option groups (100 groups of 100), by each option's group, a group too big for
 * one split in parts. `left` counts what not even the groups hold.
 */
function choicesOf(options: FieldOption[], chosen: readonly string[]): SelectChoices & { left: number } {
  const ordered = [
    ...options.filter((option) => chosen.includes(option.value)),
    ...options.filter((option) => !chosen.includes(option.value)),
  ];
  const toOption = (option: FieldOption) => selectOption(option.label, option.value);
  if (ordered.length <= LIMITS.selectOptions) return { options: ordered.map(toOption), left: 0 };
  const byGroup = new Map<string, FieldOption[]>();
  for (const option of ordered) {
    const group = option.group ?? 'Other';
    byGroup.set(group, [...(byGroup.get(group) ?? []), option]);
  }
  const groups: OptionGroup[] = [];
  for (const [label, members] of byGroup) {
    const parts = Math.ceil(members.length / LIMITS.selectOptions);
    for (let part = 0; part < parts; part++)
      groups.push({
        label: plain(parts > 1 ? `${label} (${part + 1} of ${parts})` : label, LIMITS.optionGroupLabel),
        options: members.slice(part * LIMITS.selectOptions, (part + 1) * LIMITS.selectOptions).map(toOption),
      });
  }
  const kept = groups.slice(0, LIMITS.optionGroups);
  const listed = kept.reduce((total, group) => total + group.options.length, 0);
  return { option_groups: kept, left: ordered.length - listed };
}

/** The options among a select's choices, wherever they are listed. */
const listedOptions = (choices: SelectChoices): SelectOption[] =>
  'options' in choices ? choices.options : choices.option_groups.flatMap((group) => group.options);

/** An input element, and how many of its choices did not fit in it. */
function elementOf(field: FormField): { element: InputElement; left: number } {
  const action_id = clip(field.name, LIMITS.actionId);
  switch (field.kind) {
    case 'number': {
      const element: InputElement = { type: 'number_input', action_id, is_decimal_allowed: field.decimals };
      if (field.value !== null) element.initial_value = String(field.value);
      return { element, left: 0 };
    }
    case 'select': {
      const { left, ...choices } = choicesOf(field.options, [field.value]);
      const initial = listedOptions(choices).find((option) => option.value === field.value);
      return {
        element: {
          type: 'static_select',
          action_id,
          ...choices,
          ...(initial ? { initial_option: initial } : {}),
        },
        left,
      };
    }
    case 'multiselect': {
      const { left, ...choices } = choicesOf(field.options, field.value);
      const initial = listedOptions(choices).filter((option) => field.value.includes(option.value));
      return {
        element: {
          type: 'multi_static_select',
          action_id,
          ...choices,
          ...(initial.length > 0 ? { initial_options: initial } : {}),
          ...(field.placeholder ? { placeholder: plain(field.placeholder, LIMITS.placeholder) } : {}),
        },
        left,
      };
    }
    case 'text': {
      const element: InputElement = { type: 'plain_text_input', action_id };
      const max = Math.min(field.maxLength ?? LIMITS.textInputLength, LIMITS.textInputLength);
      if (field.multiline) element.multiline = true;
      if (field.value) element.initial_value = clip(field.value, max);
      if (field.minLength !== undefined) element.min_length = field.minLength;
      if (field.maxLength !== undefined) element.max_length = max;
      return { element, left: 0 };
    }
  }
}

/** The input blocks of a form, one per field, prefilled. */
export function inputBlocks(fields: FormField[]): InputBlock[] {
  return fields.map((field) => {
    const { element, left } = elementOf(field);
    const options: { hint?: string; optional?: boolean } = {};
    // The hint says what the menu could not list, so nobody takes it for the whole catalog.
    const unlisted = left > 0 ? `…and ${left} more not listed.` : '';
    const hint = [field.hint, unlisted].filter(Boolean).join(' ');
    if (hint) options.hint = hint;
    if (field.optional) options.optional = true;
    return input(field.name, field.label, element, options);
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

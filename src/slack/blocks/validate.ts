/**
 * Slack's validation of a message or a modal, as far as Compass could get it wrong: required fields, types, and the
 * documented limits (see limits.ts). It reads raw JSON, not Compass's types, so it checks what is really sent.
 */
import { LIMITS } from './limits.js';

type Json = Record<string, unknown>;
type Surface = 'message' | 'modal' | 'home';

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const length = (text: string) => [...text].length;

const BLOCK_TYPES: Record<Surface, readonly string[]> = {
  message: ['header', 'section', 'context', 'divider', 'actions', 'image'],
  modal: ['header', 'section', 'context', 'divider', 'actions', 'image', 'input'],
  home: ['header', 'section', 'context', 'divider', 'actions', 'image', 'input'],
};
const INPUT_ELEMENTS = ['static_select', 'multi_static_select', 'number_input', 'plain_text_input'];
const INTERACTIVE_ELEMENTS = ['button', 'static_select', 'multi_static_select'];

/** Collects problems as `where: what`. */
function checker() {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };

  /** A text object: plain_text (or mrkdwn where allowed), non-empty, at most `max` characters. */
  function text(
    value: unknown,
    where: string,
    max: number,
    kinds: readonly string[] = ['plain_text', 'mrkdwn'],
  ) {
    if (!isObject(value)) return check(false, `${where}: a text object is required`);
    check(kinds.includes(value.type as string), `${where}: must be ${kinds.join(' or ')}`);
    if (typeof value.text !== 'string') return check(false, `${where}: text must be a string`);
    check(value.text.trim().length > 0, `${where}: empty`);
    check(length(value.text) <= max, `${where}: longer than ${max}`);
    if (value.emoji !== undefined)
      check(
        value.type === 'plain_text' && typeof value.emoji === 'boolean',
        `${where}: emoji is for plain_text`,
      );
  }

  const identifier = (value: unknown, where: string, max: number, required: boolean) => {
    if (value === undefined) return check(!required, `${where}: required`);
    check(
      typeof value === 'string' && value.length > 0 && value.length <= max,
      `${where}: 1–${max} characters`,
    );
  };

  /** One option object of a select. */
  function option(value: unknown, at: string) {
    if (!isObject(value)) return check(false, `${at}: not an object`);
    text(value.text, `${at}.text`, LIMITS.optionText, ['plain_text']);
    check(
      typeof value.value === 'string' && value.value.length > 0 && value.value.length <= LIMITS.optionValue,
      `${at}.value: 1–${LIMITS.optionValue} characters`,
    );
  }

  /** A select's choices: `options` (up to 100) or `option_groups` (100 groups of 100), never both. */
  function options(element: Json, where: string) {
    const flat = element.options;
    const groups = element.option_groups;
    if (flat !== undefined && groups !== undefined)
      return check(false, `${where}: options and option_groups are exclusive`);
    let list: unknown[];
    if (groups !== undefined) {
      if (!Array.isArray(groups)) return check(false, `${where}.option_groups: must be an array`);
      check(groups.length > 0, `${where}.option_groups: at least one`);
      check(groups.length <= LIMITS.optionGroups, `${where}.option_groups: more than ${LIMITS.optionGroups}`);
      list = [];
      for (const [index, group] of groups.entries()) {
        const at = `${where}.option_groups[${index}]`;
        if (!isObject(group) || !Array.isArray(group.options)) {
          check(false, `${at}: a label and options are required`);
          continue;
        }
        text(group.label, `${at}.label`, LIMITS.optionGroupLabel, ['plain_text']);
        check(group.options.length > 0, `${at}.options: at least one`);
        check(
          group.options.length <= LIMITS.selectOptions,
          `${at}.options: more than ${LIMITS.selectOptions}`,
        );
        group.options.forEach((item: unknown, at2) => {
          option(item, `${at}.options[${at2}]`);
        });
        list.push(...group.options);
      }
    } else {
      if (!Array.isArray(flat)) return check(false, `${where}.options: required`);
      check(flat.length > 0, `${where}.options: at least one`);
      check(flat.length <= LIMITS.selectOptions, `${where}.options: more than ${LIMITS.selectOptions}`);
      flat.forEach((item: unknown, index) => {
        option(item, `${where}.options[${index}]`);
      });
      list = flat;
    }
    const values = list.map((item: unknown) => (isObject(item) ? item.value : undefined));
    check(new Set(values).size === values.length, `${where}.options: values must be unique`);
    const known = (chosen: unknown) => list.some((item) => JSON.stringify(item) === JSON.stringify(chosen));
    if (element.initial_option !== undefined)
      check(known(element.initial_option), `${where}.initial_option: must be one of the options`);
    if (element.initial_options !== undefined) {
      const initial = element.initial_options;
      check(
        Array.isArray(initial) && initial.every(known),
        `${where}.initial_options: must be among the options`,
      );
    }
    if (element.placeholder !== undefined)
      text(element.placeholder, `${where}.placeholder`, LIMITS.placeholder, ['plain_text']);
  }

  const numeric = (value: unknown) =>
    typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));

  function element(value: unknown, where: string, allowed: readonly string[]) {
    if (!isObject(value)) return check(false, `${where}: an element is required`);
    const type = value.type as string;
    if (!allowed.includes(type)) return check(false, `${where}: ${type} is not allowed here`);
    identifier(value.action_id, `${where}.action_id`, LIMITS.actionId, type !== 'button');
    switch (type) {
      case 'button':
        text(value.text, `${where}.text`, LIMITS.buttonText, ['plain_text']);
        if (value.value !== undefined)
          check(
            typeof value.value === 'string' && length(value.value) <= LIMITS.buttonValue,
            `${where}.value: longer than ${LIMITS.buttonValue}`,
          );
        if (value.style !== undefined)
          check(['primary', 'danger'].includes(value.style as string), `${where}.style: primary or danger`);
        break;
      case 'static_select':
      case 'multi_static_select':
        options(value, where);
        break;
      case 'number_input': {
        check(typeof value.is_decimal_allowed === 'boolean', `${where}.is_decimal_allowed: required boolean`);
        for (const field of ['initial_value', 'min_value', 'max_value'] as const) {
          if (value[field] === undefined) continue;
          check(numeric(value[field]), `${where}.${field}: must be a number`);
          if (value.is_decimal_allowed === false)
            check(
              Number.isInteger(Number(value[field])),
              `${where}.${field}: must be whole (no decimals allowed)`,
            );
        }
        const initial = Number(value.initial_value);
        if (value.initial_value !== undefined && value.min_value !== undefined)
          check(initial >= Number(value.min_value), `${where}.initial_value: below min_value`);
        if (value.initial_value !== undefined && value.max_value !== undefined)
          check(initial <= Number(value.max_value), `${where}.initial_value: above max_value`);
        if (value.placeholder !== undefined)
          text(value.placeholder, `${where}.placeholder`, LIMITS.placeholder, ['plain_text']);
        break;
      }
      case 'plain_text_input': {
        const within = (field: 'min_length' | 'max_length', min: number) => {
          if (value[field] === undefined) return;
          const n = value[field];
          check(
            typeof n === 'number' && Number.isInteger(n) && n >= min && n <= LIMITS.textInputLength,
            `${where}.${field}: ${min}–${LIMITS.textInputLength}`,
          );
        };
        within('min_length', 0);
        within('max_length', 1);
        if (typeof value.min_length === 'number' && typeof value.max_length === 'number')
          check(value.min_length <= value.max_length, `${where}: min_length above max_length`);
        if (value.initial_value !== undefined) {
          const max = typeof value.max_length === 'number' ? value.max_length : LIMITS.textInputLength;
          check(
            typeof value.initial_value === 'string' && length(value.initial_value) <= max,
            `${where}.initial_value: longer than ${max}`,
          );
        }
        if (value.placeholder !== undefined)
          text(value.placeholder, `${where}.placeholder`, LIMITS.placeholder, ['plain_text']);
        break;
      }
    }
  }

  function block(value: unknown, where: string, surface: Surface) {
    if (!isObject(value)) return check(false, `${where}: not an object`);
    const type = value.type as string;
    if (!BLOCK_TYPES[surface].includes(type))
      return check(false, `${where}: ${type} blocks are not allowed in a ${surface}`);
    identifier(value.block_id, `${where}.block_id`, LIMITS.blockId, false);
    switch (type) {
      case 'header':
        text(value.text, `${where}.text`, LIMITS.headerText, ['plain_text']);
        break;
      case 'section': {
        check(value.text !== undefined || value.fields !== undefined, `${where}: needs text or fields`);
        if (value.text !== undefined) text(value.text, `${where}.text`, LIMITS.sectionText);
        if (value.fields !== undefined) {
          const fields = value.fields;
          if (!Array.isArray(fields)) return check(false, `${where}.fields: must be an array`);
          check(fields.length > 0, `${where}.fields: at least one`);
          check(fields.length <= LIMITS.sectionFields, `${where}: more than ${LIMITS.sectionFields} fields`);
          fields.forEach((field: unknown, at) => {
            text(field, `${where}.fields[${at}]`, LIMITS.fieldText);
          });
        }
        if (value.accessory !== undefined)
          element(value.accessory, `${where}.accessory`, INTERACTIVE_ELEMENTS);
        break;
      }
      case 'context': {
        const elements = value.elements;
        if (!Array.isArray(elements)) return check(false, `${where}.elements: required`);
        check(elements.length > 0, `${where}: no elements`);
        check(
          elements.length <= LIMITS.contextElements,
          `${where}: more than ${LIMITS.contextElements} elements`,
        );
        elements.forEach((item: unknown, at) => {
          text(item, `${where}.elements[${at}]`, LIMITS.contextText);
        });
        break;
      }
      case 'actions': {
        const elements = value.elements;
        if (!Array.isArray(elements)) return check(false, `${where}.elements: required`);
        check(elements.length > 0, `${where}: no elements`);
        check(
          elements.length <= LIMITS.actionsElements,
          `${where}: more than ${LIMITS.actionsElements} elements`,
        );
        elements.forEach((item: unknown, at) => {
          element(item, `${where}.elements[${at}]`, INTERACTIVE_ELEMENTS);
        });
        const ids = elements.map((item: unknown) => (isObject(item) ? item.action_id : undefined));
        check(new Set(ids).size === ids.length, `${where}: action_id values must be unique within the block`);
        break;
      }
      case 'image': {
        const url = value.image_url;
        check(
          typeof url === 'string' && /^https?:\/\/\S+$/.test(url),
          `${where}.image_url: must be an http(s) URL`,
        );
        if (typeof url === 'string') check(length(url) <= LIMITS.imageUrl, `${where}.image_url: too long`);
        check(
          typeof value.alt_text === 'string' &&
            value.alt_text.trim().length > 0 &&
            length(value.alt_text) <= LIMITS.imageAltText,
          `${where}.alt_text: required, at most ${LIMITS.imageAltText}`,
        );
        if (value.title !== undefined) text(value.title, `${where}.title`, LIMITS.imageTitle, ['plain_text']);
        break;
      }
      case 'input':
        text(value.label, `${where}.label`, LIMITS.inputLabel, ['plain_text']);
        if (value.hint !== undefined) text(value.hint, `${where}.hint`, LIMITS.inputHint, ['plain_text']);
        if (value.optional !== undefined)
          check(typeof value.optional === 'boolean', `${where}.optional: boolean`);
        element(value.element, `${where}.element`, INPUT_ELEMENTS);
        break;
    }
  }

  function blocks(value: unknown, surface: Surface, max: number) {
    if (!Array.isArray(value)) return check(false, 'blocks: must be an array');
    check(value.length <= max, `blocks: more than ${max}`);
    value.forEach((item: unknown, index) => {
      block(item, `blocks[${index}] (${isObject(item) ? String(item.type) : '?'})`, surface);
    });
    const ids = value.flatMap((item: unknown) =>
      isObject(item) && item.block_id !== undefined ? [item.block_id] : [],
    );
    check(new Set(ids).size === ids.length, 'blocks: block_id values must be unique');
  }

  /** What every view may carry: a callback_id and private_metadata. */
  function viewFields(view: Json) {
    identifier(view.callback_id, 'callback_id', LIMITS.callbackId, false);
    if (view.private_metadata !== undefined)
      check(
        typeof view.private_metadata === 'string' && view.private_metadata.length <= LIMITS.privateMetadata,
        `private_metadata: longer than ${LIMITS.privateMetadata}`,
      );
  }

  return { problems, check, text, blocks, viewFields };
}

/** Every way a message (`text` + `blocks`) breaks Slack's rules; empty when Slack would accept it. */
export function validateMessage(message: unknown): string[] {
  const { problems, check, blocks } = checker();
  if (!isObject(message)) return ['message: not an object'];
  const fallback = message.text;
  check(typeof fallback === 'string' && fallback.trim().length > 0, 'text: a fallback text is required');
  if (typeof fallback === 'string')
    check(length(fallback) <= LIMITS.fallbackText, `text: longer than ${LIMITS.fallbackText}`);
  if (message.blocks !== undefined) blocks(message.blocks, 'message', LIMITS.blocksPerMessage);
  return problems;
}

/** Every way a modal view breaks Slack's rules; empty when views.open would accept it. */
export function validateView(view: unknown): string[] {
  const { problems, check, text, viewFields, blocks } = checker();
  if (!isObject(view)) return ['view: not an object'];
  check(view.type === 'modal', 'type: must be modal');
  text(view.title, 'title', LIMITS.viewTitle, ['plain_text']);
  if (view.submit !== undefined) text(view.submit, 'submit', LIMITS.viewButton, ['plain_text']);
  if (view.close !== undefined) text(view.close, 'close', LIMITS.viewButton, ['plain_text']);
  viewFields(view);
  blocks(view.blocks, 'modal', LIMITS.blocksPerView);
  const hasInput =
    Array.isArray(view.blocks) &&
    view.blocks.some((item: unknown) => isObject(item) && item.type === 'input');
  check(!hasInput || view.submit !== undefined, 'submit: required when the view has input blocks');
  return problems;
}

/** Every way a Home tab view breaks Slack's rules; empty when views.publish would accept it. */
export function validateHomeView(view: unknown): string[] {
  const { problems, check, viewFields, blocks } = checker();
  if (!isObject(view)) return ['view: not an object'];
  check(view.type === 'home', 'type: must be home');
  for (const field of ['title', 'submit', 'close'])
    check(view[field] === undefined, `${field}: a Home tab has none`);
  viewFields(view);
  blocks(view.blocks, 'home', LIMITS.blocksPerView);
  return problems;
}

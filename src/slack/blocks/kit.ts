/**
 * The part of Block Kit Compass uses, as plain data, with constructors that keep every piece inside Slack's limits
 * (https://docs.slack.dev/reference/block-kit/blocks, …/reference/views/modal-views). The shapes are assignable to
 * @slack/types' KnownBlock and ModalView.
 */

import { LIMITS } from './limits.js';

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}

export interface ButtonElement {
  type: 'button';
  text: PlainText;
  action_id: string;
  value?: string;
  style?: 'primary' | 'danger';
}

export interface HeaderBlock {
  type: 'header';
  text: PlainText;
}
export interface SectionBlock {
  type: 'section';
  block_id?: string;
  text?: Mrkdwn;
  fields?: Mrkdwn[];
  accessory?: ButtonElement;
}
export interface ContextBlock {
  type: 'context';
  elements: Mrkdwn[];
}
export interface DividerBlock {
  type: 'divider';
}
export interface ActionsBlock {
  type: 'actions';
  elements: ButtonElement[];
}
/** An image Slack fetches from `image_url` itself: the URL must be publicly reachable. */
export interface ImageBlock {
  type: 'image';
  image_url: string;
  alt_text: string;
  title?: PlainText;
}

export type Block = HeaderBlock | SectionBlock | ContextBlock | DividerBlock | ActionsBlock | ImageBlock;

/** A message: Block Kit plus the plain-text fallback Slack shows in notifications and screen readers. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export interface SelectOption {
  text: PlainText;
  value: string;
}
export interface OptionGroup {
  label: PlainText;
  options: SelectOption[];
}
/** A select lists its choices as `options` or, past 100, as `option_groups`. */
export type SelectChoices = { options: SelectOption[] } | { option_groups: OptionGroup[] };
export type StaticSelectElement = SelectChoices & {
  type: 'static_select';
  action_id: string;
  initial_option?: SelectOption;
  placeholder?: PlainText;
};
export type MultiStaticSelectElement = SelectChoices & {
  type: 'multi_static_select';
  action_id: string;
  initial_options?: SelectOption[];
  placeholder?: PlainText;
};
export interface NumberInputElement {
  type: 'number_input';
  action_id: string;
  is_decimal_allowed: boolean;
  initial_value?: string;
  min_value?: string;
  placeholder?: PlainText;
}
export interface PlainTextInputElement {
  type: 'plain_text_input';
  action_id: string;
  multiline?: boolean;
  initial_value?: string;
  min_length?: number;
  max_length?: number;
  placeholder?: PlainText;
}
export type InputElement =
  | StaticSelectElement
  | MultiStaticSelectElement
  | NumberInputElement
  | PlainTextInputElement;

/** One form field of a modal; its block_id names the field in `response_action: errors` and in the state. */
export interface InputBlock {
  type: 'input';
  block_id: string;
  label: PlainText;
  element: InputElement;
  hint?: PlainText;
  optional?: boolean;
}

export type ViewBlock = Block | InputBlock;

/** A modal view (views.open / update / push, or a `response_action: update`). */
export interface SlackView {
  type: 'modal';
  callback_id: string;
  title: PlainText;
  submit?: PlainText;
  close?: PlainText;
  /** The key of the view's state in PostgreSQL; never the state itself. */
  private_metadata?: string;
  clear_on_close?: boolean;
  blocks: ViewBlock[];
}

/** A Home tab (views.publish): blocks only, at most 100 (https://docs.slack.dev/reference/views/home-tab-views). */
export interface SlackHomeView {
  type: 'home';
  callback_id?: string;
  blocks: Block[];
}

export { LIMITS } from './limits.js';
export { validateHomeView, validateMessage, validateView } from './validate.js';

/** Shortens text to `max` characters, marking the cut with an ellipsis. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** An escape (&amp;) or an entity (<@U1>, <#C1>, <https://…|label>, <!date^…>) of mrkdwn: cut, it would show broken. */
const ENTITY = /&(?:amp|lt|gt);|<[^<>\n]*>/g;

/** clip for mrkdwn: the cut falls before an escape or an entity, never inside one. */
export function clipMrkdwn(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  let cut = max - 1;
  for (const match of text.matchAll(ENTITY)) {
    const start = [...text.slice(0, match.index)].length;
    if (start >= cut) break;
    if (start + [...match[0]].length > cut) cut = start;
  }
  return `${chars.slice(0, cut).join('')}…`;
}

/** Escapes the three characters Slack's mrkdwn reserves, for text a user typed. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const plain = (text: string, max: number): PlainText => ({
  type: 'plain_text',
  text: clip(text, max),
  emoji: true,
});
export const mrkdwn = (text: string, max: number): Mrkdwn => ({
  type: 'mrkdwn',
  text: clipMrkdwn(text, max),
});

export const header = (text: string): HeaderBlock => ({
  type: 'header',
  text: plain(text, LIMITS.headerText),
});

export function section(text: string, accessory?: ButtonElement, blockId?: string): SectionBlock {
  const block: SectionBlock = { type: 'section', text: mrkdwn(text, LIMITS.sectionText) };
  if (blockId) block.block_id = clip(blockId, LIMITS.blockId);
  if (accessory) block.accessory = accessory;
  return block;
}

/** Two-column fields, split into as many sections as the per-section limit needs. */
export function fieldSections(fields: string[]): SectionBlock[] {
  const sections: SectionBlock[] = [];
  for (let start = 0; start < fields.length; start += LIMITS.sectionFields) {
    sections.push({
      type: 'section',
      fields: fields.slice(start, start + LIMITS.sectionFields).map((text) => mrkdwn(text, LIMITS.fieldText)),
    });
  }
  return sections;
}

/** A context block; past Slack's 10 elements the last one says how many more there were. */
export function context(...texts: string[]): ContextBlock {
  const kept =
    texts.length <= LIMITS.contextElements
      ? texts
      : [
          ...texts.slice(0, LIMITS.contextElements - 1),
          `…and ${texts.length - LIMITS.contextElements + 1} more`,
        ];
  return { type: 'context', elements: kept.map((text) => mrkdwn(text, LIMITS.contextText)) };
}

/** At most `max` blocks; past it, the last one kept says how many more were left out. */
export function fitBlocks<T extends ViewBlock>(blocks: T[], max: number): (T | ContextBlock)[] {
  if (blocks.length <= max) return blocks;
  return [...blocks.slice(0, max - 1), context(`…and ${blocks.length - max + 1} more not shown.`)];
}

export const divider = (): DividerBlock => ({ type: 'divider' });

export const actions = (...buttons: ButtonElement[]): ActionsBlock => ({
  type: 'actions',
  elements: buttons.slice(0, LIMITS.actionsElements),
});

export function button(
  label: string,
  actionId: string,
  value?: string,
  style?: ButtonElement['style'],
): ButtonElement {
  const element: ButtonElement = {
    type: 'button',
    text: plain(label, LIMITS.buttonText),
    action_id: clip(actionId, LIMITS.actionId),
  };
  if (value !== undefined) element.value = clip(value, LIMITS.buttonValue);
  if (style) element.style = style;
  return element;
}

export class ImageUrlTooLongError extends Error {
  constructor(length: number) {
    super(`image_url of ${length} characters exceeds Slack's ${LIMITS.imageUrl}`);
    this.name = 'ImageUrlTooLongError';
  }
}

/** An image block; a URL Slack would refuse is an error, not clipped (a clipped URL fetches nothing). */
export function image(url: string, altText: string, title?: string): ImageBlock {
  if (url.length > LIMITS.imageUrl) throw new ImageUrlTooLongError(url.length);
  const block: ImageBlock = { type: 'image', image_url: url, alt_text: clip(altText, LIMITS.imageAltText) };
  if (title) block.title = plain(title, LIMITS.imageTitle);
  return block;
}

export const selectOption = (label: string, value: string): SelectOption => ({
  text: plain(label, LIMITS.optionText),
  value: clip(value, LIMITS.optionValue),
});

/** An input block; `element`'s action_id is the field name too, so the state reads `values[name][name]`. */
export function input(
  name: string,
  label: string,
  element: InputElement,
  options: { hint?: string; optional?: boolean } = {},
): InputBlock {
  const block: InputBlock = {
    type: 'input',
    block_id: clip(name, LIMITS.blockId),
    label: plain(label, LIMITS.inputLabel),
    element,
  };
  if (options.hint) block.hint = plain(options.hint, LIMITS.inputHint);
  if (options.optional) block.optional = true;
  return block;
}

export class ViewMetadataTooLongError extends Error {
  constructor(length: number) {
    super(`private_metadata of ${length} characters exceeds Slack's ${LIMITS.privateMetadata}`);
    this.name = 'ViewMetadataTooLongError';
  }
}

/** A modal: title and buttons clipped to 24 characters, at most 100 blocks. */
export function modal(spec: {
  callbackId: string;
  title: string;
  blocks: ViewBlock[];
  submit?: string;
  close?: string;
  privateMetadata?: string;
  clearOnClose?: boolean;
}): SlackView {
  const view: SlackView = {
    type: 'modal',
    callback_id: clip(spec.callbackId, LIMITS.callbackId),
    title: plain(spec.title, LIMITS.viewTitle),
    blocks: fitBlocks(spec.blocks, LIMITS.blocksPerView),
  };
  if (spec.submit) view.submit = plain(spec.submit, LIMITS.viewButton);
  if (spec.close) view.close = plain(spec.close, LIMITS.viewButton);
  if (spec.privateMetadata !== undefined) {
    // A clipped key would find the wrong state, or none: refuse instead.
    if (spec.privateMetadata.length > LIMITS.privateMetadata)
      throw new ViewMetadataTooLongError(spec.privateMetadata.length);
    view.private_metadata = spec.privateMetadata;
  }
  if (spec.clearOnClose) view.clear_on_close = true;
  return view;
}

/** A message from blocks, keeping at most the allowed number (the blocks last are the ones that matter least). */
export function message(text: string, blocks: Block[]): SlackMessage {
  return { text: clip(text, LIMITS.fallbackText), blocks: fitBlocks(blocks, LIMITS.blocksPerMessage) };
}

/** A Home tab: at most 100 blocks, the rest counted. */
export function home(blocks: Block[], callbackId?: string): SlackHomeView {
  return {
    type: 'home',
    ...(callbackId ? { callback_id: clip(callbackId, LIMITS.callbackId) } : {}),
    blocks: fitBlocks(blocks, LIMITS.blocksPerView),
  };
}

/**
 * Lines packed into as few sections as hold them (3000 characters each), at most `maxSections`; what does not fit is
 * counted in the last ("…and 12 more").
 */
export function lineSections(lines: string[], maxSections: number): SectionBlock[] {
  const sections: SectionBlock[] = [];
  let rest = lines;
  while (rest.length > 0 && sections.length < maxSections) {
    const last = sections.length === maxSections - 1;
    let taken = 0;
    let used = 0;
    for (const line of rest) {
      const cost = [...line].length + (taken > 0 ? 1 : 0);
      if (used + cost > LIMITS.sectionText) break;
      used += cost;
      taken++;
    }
    const chunk = last ? rest : rest.slice(0, Math.max(1, taken));
    sections.push(section(fitLines(chunk, LIMITS.sectionText)));
    rest = last ? [] : rest.slice(chunk.length);
  }
  return sections;
}

/** Joins whole lines up to `max` characters; what does not fit is counted ("…and 3 more") rather than cut. */
export function fitLines(lines: string[], max: number): string {
  const kept: string[] = [];
  let used = 0;
  for (const [index, line] of lines.entries()) {
    const rest = lines.length - index;
    const cost = [...line].length + (kept.length > 0 ? 1 : 0);
    // Room for the marker the next line would need if it did not fit.
    const reserve = rest > 1 ? `…and ${rest - 1} more`.length + 1 : 0;
    if (used + cost + reserve > max) {
      if (kept.length === 0) {
        const marker = rest > 1 ? `\n…and ${rest - 1} more` : '';
        return `${clipMrkdwn(line, max - marker.length)}${marker}`;
      }
      kept.push(`…and ${rest} more`);
      return kept.join('\n');
    }
    kept.push(line);
    used += cost;
  }
  return kept.join('\n');
}

import type { ButtonElement, InputBlock, ViewBlock } from './kit.js';

/** A button as `compass chat` offers it: typed as its number. */
export interface Choice {
  number: number;
  label: string;
  actionId: string;
  value?: string;
}

export interface RenderedMessage {
  text: string;
  choices: Choice[];
}

/** Slack mrkdwn as plain terminal text: links, mentions, emphasis and escapes resolved. */
export function mrkdwnToPlain(text: string): string {
  return text
    .replace(/<@([\w.-]+)(?:\|([^>]+))?>/g, (_, id: string, name?: string) => `@${name ?? id}`)
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]+))?>/g, (_, id: string, name?: string) => name ?? `@${id}`)
    .replace(/<!date\^\d+\^[^|>]*\|([^>]+)>/g, '$1')
    .replace(/<#[A-Z0-9]+\|([^>]+)>/g, '#$1')
    .replace(/<#([A-Z0-9]+)>/g, '#$1')
    .replace(/<((?:https?|mailto):[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<((?:https?|mailto):[^>]+)>/g, '$1')
    .replace(/(^|[^\w*])\*(\S(?:[^*\n]*\S)?)\*(?!\w)/g, '$1$2')
    .replace(/(^|[^\w])_(\S(?:[^_\n]*\S)?)_(?!\w)/g, '$1$2')
    .replace(/`([^`\n]+)`/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** A field "*Label*\nvalue" as "Label: value". */
function fieldLine(text: string): string {
  const [label, ...rest] = mrkdwnToPlain(text).split('\n');
  return rest.length > 0 ? `${label}: ${rest.join(' ')}` : (label ?? '');
}

/** An input as "Label [name]: current value", the name being what `compass chat` takes in `name=value`. */
function inputLine(block: InputBlock): string {
  const { element } = block;
  const current =
    element.type === 'static_select'
      ? (element.initial_option?.text.text ?? '—')
      : element.type === 'multi_static_select'
        ? (element.initial_options ?? []).map((option) => option.value).join(',') || 'any'
        : (element.initial_value ?? '—');
  return `  ${block.label.text} [${block.block_id}]: ${current}`;
}

/**
 * A message or a modal as terminal text, its buttons numbered from `firstNumber` so several messages can share one
 * numbering. Only the block types Compass sends exist (see kit.ts), so the rendering is complete.
 */
export function renderAsText(msg: { blocks: ViewBlock[] }, firstNumber = 1): RenderedMessage {
  const lines: string[] = [];
  const choices: Choice[] = [];
  const offer = (element: ButtonElement): string => {
    const choice: Choice = {
      number: firstNumber + choices.length,
      label: element.text.text,
      actionId: element.action_id,
    };
    if (element.value !== undefined) choice.value = element.value;
    choices.push(choice);
    return `[${choice.number}] ${choice.label}`;
  };
  const render = (block: ViewBlock) => {
    switch (block.type) {
      case 'header':
        lines.push(`── ${block.text.text} ──`);
        break;
      case 'section':
        if (block.text) lines.push(mrkdwnToPlain(block.text.text));
        for (const field of block.fields ?? []) lines.push(`  ${fieldLine(field.text)}`);
        if (block.accessory) lines.push(`    ${offer(block.accessory)}`);
        break;
      case 'context':
        for (const element of block.elements)
          lines.push(
            ...mrkdwnToPlain(element.text)
              .split('\n')
              .map((line) => `    ${line}`),
          );
        break;
      case 'divider':
        lines.push('─'.repeat(40));
        break;
      case 'actions':
        lines.push(block.elements.map(offer).join('   '));
        break;
      case 'image':
        lines.push(`[image: ${block.alt_text}] ${block.image_url}`);
        break;
      case 'input':
        lines.push(inputLine(block));
        break;
    }
  };
  for (const block of msg.blocks) render(block);
  return { text: lines.join('\n'), choices };
}

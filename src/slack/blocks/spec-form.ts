import { VIEW } from './actions.js';
import type { FormField } from './form.js';
import { inputBlocks } from './form.js';
import type { SlackView } from './kit.js';
import { context, modal } from './kit.js';

/** The Edit spec modal: every spec field as an input, prefilled; private_metadata is the conversation id. */
export function specFormView(conversationId: string, fields: FormField[]): SlackView {
  return modal({
    callbackId: VIEW.editSpec,
    title: 'Edit spec',
    submit: 'Re-plan',
    close: 'Cancel',
    privateMetadata: conversationId,
    blocks: [
      context(
        'Values you change become *stated*; the others keep where they came from. A new user count re-derives ' +
          'the load unless you change the load too.',
      ),
      ...inputBlocks(fields),
    ],
  });
}

/**
 * A user's text as Compass reads and stores it. Control characters (NUL above all, which PostgreSQL cannot store)
 * are removed and the length is bounded, so no message can break a turn or hold the event loop; each change comes
 * with a note the user sees, since silently reading less than they wrote would be a surprise.
 */

/** The most of one message Compass reads: far more than any deployment request, few enough to plan from quickly. */
export const MAX_MESSAGE_CHARS = 4000;

/** C0 and C1 control characters except tab, line feed and carriage return, which are ordinary white space. */
const CONTROL = /[^\P{Cc}\t\n\r]/gu;
/** Half of a surrogate pair without the other half: not a character, and PostgreSQL refuses it in JSON. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export interface PreparedText {
  text: string;
  /** What was changed, in words for the user; empty when the text was taken as written. */
  notes: string[];
}

export function prepareUserText(raw: string): PreparedText {
  const notes: string[] = [];
  let text = raw.replace(LONE_SURROGATE, '\ufffd');
  const controls = text.match(CONTROL)?.length ?? 0;
  if (controls > 0) {
    text = text.replace(CONTROL, '');
    notes.push(
      `I ignored ${controls === 1 ? 'a control character' : `${controls} control characters`} (such as NUL) in your message.`,
    );
  }
  if (text.length > MAX_MESSAGE_CHARS) {
    // Never cut a surrogate pair in half: the rest of the text would end in an invalid character.
    const end = /[\ud800-\udbff]/.test(text[MAX_MESSAGE_CHARS - 1]!)
      ? MAX_MESSAGE_CHARS - 1
      : MAX_MESSAGE_CHARS;
    notes.push(
      `Your message is ${text.length.toLocaleString('en-US')} characters long; I read only the first ${MAX_MESSAGE_CHARS.toLocaleString('en-US')}.`,
    );
    text = text.slice(0, end);
  }
  return { text, notes };
}

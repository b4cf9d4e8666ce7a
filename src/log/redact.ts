/**
 * The one place secrets are taken out of text before it is shown or stored: logs, Slack messages, errors and
 * manifest previews all pass through `redactSecrets`. It knows secrets by their shape, not by where they came from,
 * so a token inside an error message from a library is caught too. Every pattern starts only where its prefix
 * starts and stops at the first character that cannot belong to it, so redaction is linear in the text's length.
 */

export const REDACTED = '[redacted]';

const SECRET_SHAPES: { pattern: RegExp; replace: string }[] = [
  // user:pass@ (or a bare token@) in a URL; quotes and backslashes end it so a JSON log line stays valid.
  { pattern: /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'\\]+@/gi, replace: `$1${REDACTED}@` },
  // Secrets passed in a query string.
  {
    pattern: /([?&](?:token|access_token|api_key|apikey|key|password|secret)=)[^&#\s"'\\]+/gi,
    replace: `$1${REDACTED}`,
  },
  // Authorization header values.
  { pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, replace: `$1 ${REDACTED}` },
  // Slack bot, user, app and refresh tokens; Hugging Face tokens.
  { pattern: /(?<![\w-])(?:xox[abeprs]|xapp)-[A-Za-z0-9-]+/g, replace: REDACTED },
  { pattern: /(?<!\w)hf_[A-Za-z0-9]{8,}/g, replace: REDACTED },
];

export function redactSecrets(text: string): string {
  let redacted = text;
  for (const { pattern, replace } of SECRET_SHAPES) redacted = redacted.replace(pattern, replace);
  return redacted;
}

/** A URL's credentials as an Authorization header, and the URL without them (which is safe to show). */
export function splitCredentials(url: string): { url: string; authorization: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url: redactSecrets(url), authorization: null };
  }
  if (parsed.username === '' && parsed.password === '') return { url, authorization: null };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : ''),
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
}

import { pino } from 'pino';
import { redactSecrets } from './redact.js';

export { REDACTED, redactSecrets, splitCredentials } from './redact.js';

export type Logger = pino.Logger;

/**
 * Structured JSON logs on stderr (stdout belongs to CLI output); secrets are redacted wherever they appear: known
 * fields by name, and every line by the shape of what it holds (a URL's user:pass@, a token), so a secret inside an
 * error message or a stack trace never reaches the log either.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  const redacting = { write: (line: string) => destination.write(redactSecrets(line)) };
  return pino(
    {
      level,
      base: { app: 'compass' },
      redact: {
        paths: ['*.token', '*.password', '*.secret', '*.databaseUrl', 'config.*', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    redacting as pino.DestinationStream,
  );
}

export { type ConnectionOutage, connectionOutage, isUnreachable, redactedTarget } from './outage.js';

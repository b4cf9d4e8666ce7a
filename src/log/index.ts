import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stderr (stdout belongs to CLI output); secrets are redacted wherever they appear. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      level,
      base: { app: 'compass' },
      redact: {
        paths: ['*.token', '*.password', '*.secret', '*.databaseUrl', 'config.*', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream,
  );
}

export { type ConnectionOutage, connectionOutage, isUnreachable, redactedTarget } from './outage.js';

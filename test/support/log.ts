import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';
import { createLogger, type Logger } from '../../src/log/index.js';

/** A stream that keeps what is written to it: as text, and as the JSON lines a pino logger writes. */
export function textSink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => {
    text += chunk.toString();
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** A logger at info whose lines the test can read. */
export function capturedLogger(): { log: Logger } & Omit<ReturnType<typeof textSink>, 'stream'> {
  const { stream, ...sink } = textSink();
  return { log: createLogger('info', stream), ...sink };
}

/** Streams for a CLI command run in-process: no stdin, stdout dropped, stderr (its log) kept. */
export function cliIo(env: Record<string, string>): CliIo & { logs: () => string } {
  const stderr = textSink();
  return {
    stdin: Readable.from([]),
    stdout: new PassThrough(),
    stderr: stderr.stream,
    env,
    logs: stderr.text,
  };
}

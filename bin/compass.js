#!/usr/bin/env node
// Entry point of the `compass` command; the TypeScript is compiled to dist/ by `npm install` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'compass: not built yet; run "npm install" (or "npm run build") in the Compass folder.\n',
  );
  process.exit(1);
}
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// A server command that returned has stopped; a client still retrying a lost server (ioredis reconnects every few
// hundred ms) must not keep the process alive past it.
setTimeout(() => process.exit(), 1000).unref();

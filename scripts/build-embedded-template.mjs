// The build's last step: the embedded database a new data folder starts from (see src/db/embedded.ts), made once
// here so that a user's first command does not pay PGlite's initdb. Needs dist/ (run after tsc).
import { buildEmbeddedTemplate } from '../dist/src/db/embedded.js';

if (await buildEmbeddedTemplate()) process.stdout.write('compass: made the embedded database template\n');

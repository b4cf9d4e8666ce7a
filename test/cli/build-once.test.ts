/**
 * The README's first command, `npm install && npx compass …`, compiles at most once: `prepare` (run by npm install,
 * and again by npx) and `pretest` build only while dist/ is older than a source. Checked on a copy of the script in a
 * temp folder whose `tsc` only counts its runs. The embedded database's template step follows every build.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';

const SCRIPT = 'node scripts/build-if-stale.mjs';

describe('scripts/build-if-stale.mjs', () => {
  let root: string;
  const builds = () => readFileSync(join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
  const prepare = () => {
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-stale.mjs')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  };
  const age = (path: string, secondsAgo: number) => {
    const when = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(root, path), when, when);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'compass-build-once-'));
    for (const folder of ['scripts', 'src/cli', 'simulator', 'node_modules/typescript/bin'])
      mkdirSync(join(root, folder), { recursive: true });
    copyFileSync(
      join(packageRoot, 'scripts', 'build-if-stale.mjs'),
      join(root, 'scripts', 'build-if-stale.mjs'),
    );
    for (const file of ['src/cli/main.ts', 'simulator/index.ts', 'tsconfig.json', 'tsconfig.build.json'])
      writeFileSync(join(root, file), '\n');
    writeFileSync(join(root, 'package-lock.json'), '{}\n');
    // The template step, which decides for itself whether its template is current: it must run after every build.
    writeFileSync(
      join(root, 'scripts', 'build-embedded-template.mjs'),
      "import { appendFileSync } from 'node:fs';\nappendFileSync('templates.log', 'checked\\n');\n",
    );
    writeFileSync(join(root, 'builds.log'), '');
    // A tsc that records its run and writes the entry point, as the real one does last.
    writeFileSync(
      join(root, 'node_modules/typescript/bin/tsc'),
      "const fs = require('node:fs');\n" +
        "fs.appendFileSync('builds.log', process.argv.slice(2).join(' ') + '\\n');\n" +
        "fs.mkdirSync('dist/src/cli', { recursive: true });\n" +
        "fs.writeFileSync('dist/src/cli/main.js', '');\n",
    );
    for (const path of ['src', 'src/cli', 'src/cli/main.ts', 'simulator', 'simulator/index.ts'])
      age(path, 60);
    for (const path of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json']) age(path, 60);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is what npm runs before install and test', () => {
    const { scripts } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.prepare).toBe(SCRIPT);
    expect(scripts.pretest).toBe(SCRIPT);
  });

  it('builds a fresh clone once; the prepare that npx runs next skips', () => {
    prepare();
    expect(readFileSync(join(root, 'builds.log'), 'utf8')).toBe('-p tsconfig.build.json\n');
    expect(readFileSync(join(root, 'templates.log'), 'utf8')).toBe('checked\n');
    expect(prepare()).toMatch(/dist\/ is newer than its sources; skipping the build/);
    expect(builds()).toBe(1);
  });

  it('builds again once a source changed after dist/', () => {
    age('dist/src/cli/main.js', 30);
    writeFileSync(join(root, 'src/cli/main.ts'), 'export {};\n');
    prepare();
    expect(builds()).toBe(2);
    expect(prepare()).toMatch(/skipping the build/);
    expect(builds()).toBe(2);
  });
});

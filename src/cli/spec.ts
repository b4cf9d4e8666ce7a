import { buildSpec, checkSpec } from '../spec/index.js';
import type { CliContext } from './context.js';
import { withKnowledge } from './context.js';
import type { TextCommandOptions } from './extract.js';
import { intentOf, texts } from './extract.js';
import { formatSpec } from './format.js';
import { writeLine } from './io.js';

export async function specCommand(context: CliContext, words: string[], options: TextCommandOptions) {
  await withKnowledge(context, async (knowledge) => {
    let first = true;
    for await (const text of texts(context, words)) {
      const spec = buildSpec(await intentOf(context, knowledge, text), knowledge.useCases);
      if (options.json) writeLine(context.io.stdout, JSON.stringify(spec));
      else {
        if (!first) writeLine(context.io.stdout, '');
        writeLine(context.io.stdout, formatSpec(spec));
      }
      for (const problem of checkSpec(spec)) writeLine(context.io.stderr, `warning: ${problem.message}`);
      first = false;
    }
  });
}

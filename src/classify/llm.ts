import { z } from 'zod';
import type { ChatClient } from '../intent/llm.js';
import { MessageKind } from './schema.js';

/** What the LLM is asked for: one kind. Checked with zod like every LLM answer before it can count. */
const Opinion = z.object({ kind: MessageKind });

const PROMPT = [
  'You sort messages sent in a Slack thread where Compass, a bot that plans and deploys LLMs on GPUs, takes part.',
  'Answer the kind of the message as JSON {"kind": ...}:',
  'request: asks Compass to plan an LLM deployment; refinement: changes a fact of the plan (users, latency, GPUs,',
  'budget, models); correction: takes back something said before; plan_question: asks about the plan shown;',
  'help: asks what Compass can do; status: asks about running deployments or their SLOs; chatter: talk between',
  'people, thanks, acknowledgements; off_topic: anything else.',
].join('\n');

/**
 * The LLM's reading of a message the rules were not sure of; null when it fails, is slow or answers nonsense (the
 * rules' reading stands then). The client's own timeout bounds the wait (createOllamaClient aborts each request).
 */
export async function llmOpinion(
  client: ChatClient,
  model: string,
  text: string,
): Promise<MessageKind | null> {
  try {
    const response = await client.chat({
      model,
      messages: [
        { role: 'system', content: PROMPT },
        { role: 'user', content: text },
      ],
      format: z.toJSONSchema(Opinion),
      stream: false,
      options: { temperature: 0 },
    });
    const parsed = Opinion.safeParse(JSON.parse(response.message.content));
    return parsed.success ? parsed.data.kind : null;
  } catch {
    return null;
  }
}

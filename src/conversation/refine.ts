import { extractIntent } from '../intent/extract.js';
import type { ExtractionVocabulary, Intent } from '../intent/schema.js';
import { missingFacts } from '../intent/schema.js';
import { findGpuMentions } from '../knowledge/aliases.js';
import type { Knowledge } from '../knowledge/catalog.js';
import { count, list, ms, rps, usdMonthly } from '../slack/blocks/format.js';
import type { DeploymentSpec } from '../spec/schema.js';

type Figure =
  | 'budgetMonthlyUsd'
  | 'maxGpus'
  | 'promptTokens'
  | 'outputTokens'
  | 'ttftP95Ms'
  | 'itlP95Ms'
  | 'e2eP95Ms';
const FIGURES: Figure[] = [
  'budgetMonthlyUsd',
  'maxGpus',
  'promptTokens',
  'outputTokens',
  'ttftP95Ms',
  'itlP95Ms',
  'e2eP95Ms',
];

/** "300 developers": a figure and the noun it counts. */
const COUNTED_NOUN = /\b\d[\d,.]*\s*(?:k|thousand|m|million)?\s+[a-z-]+/gi;

/**
 * Whether a refinement really names its use case, by the rules alone: "make it 300 developers" gets code generation
 * from the noun it counts, which is about the audience; an LLM may guess one for "cheaper?". Neither should switch
 * an established use case; "actually it is code completion" does.
 */
function namesUseCase(text: string, said: Intent, knowledge: ExtractionVocabulary): boolean {
  return extractIntent(text.replace(COUNTED_NOUN, ' '), knowledge).useCase === said.useCase;
}

/**
 * The conversation's intent after a new message: facts the message states win, the rest stays. Users and a request
 * rate are one fact told two ways, so a new user count drops an earlier rate (which would otherwise still size the
 * plan). An established use case changes only when the message names a new one. A GPU list replaces the earlier one ("we only have H100s"); GPUs the message rules out ("no H100s") are
 * removed from it, or from every known GPU when any was allowed or none would be left.
 */
export function refineIntent(
  previous: Intent,
  said: Intent,
  text: string,
  knowledge: Pick<Knowledge, 'gpus' | 'models'>,
): Intent {
  // What an earlier message had refused was said then; this message's own refusals are in `said`.
  const { refused: _said, ...next }: Omit<Intent, 'missing'> = previous;
  if (said.useCase !== null && (previous.useCase === null || namesUseCase(text, said, knowledge)))
    next.useCase = said.useCase;
  if (said.users !== null) {
    next.users = said.users;
    next.qps = said.qps;
  } else if (said.qps !== null) next.qps = said.qps;
  if (said.priorityStated) {
    next.priority = said.priority;
    next.priorityStated = true;
  }
  for (const figure of FIGURES) if (said[figure] !== null) next[figure] = said[figure];
  if (said.models.length > 0) next.models = said.models;
  if (said.gpuTypes.length > 0) next.gpuTypes = said.gpuTypes;
  else {
    const ruledOut = findGpuMentions(text, knowledge.gpus);
    if (ruledOut.length > 0) {
      const all = knowledge.gpus.map((gpu) => gpu.id);
      const allowed = (ids: string[]) => ids.filter((id) => !ruledOut.includes(id)).sort();
      // Ruling out the last allowed type leaves every other one, not "any" (which would let it back in).
      const narrowed = allowed(previous.gpuTypes);
      next.gpuTypes = narrowed.length > 0 ? narrowed : allowed(all);
    }
  }
  return { ...next, missing: missingFacts(next) };
}

const SPEC_FIELDS: [string, (spec: DeploymentSpec, useCaseName: (id: string) => string) => string][] = [
  ['use case', (spec, name) => name(spec.useCase.value)],
  ['users', (spec) => (spec.users.value === null ? 'not given' : count(spec.users.value))],
  ['peak load', (spec) => rps(spec.traffic.peakQps.value)],
  ['average load', (spec) => rps(spec.traffic.avgQps.value)],
  ['prompt tokens', (spec) => count(spec.traffic.promptTokens.value)],
  ['output tokens', (spec) => count(spec.traffic.outputTokens.value)],
  ['TTFT p95 target', (spec) => ms(spec.slo.ttftP95Ms.value)],
  ['ITL p95 target', (spec) => ms(spec.slo.itlP95Ms.value)],
  ['E2E p95 target', (spec) => ms(spec.slo.e2eP95Ms.value)],
  ['priority', (spec) => spec.priority.value],
  [
    'budget',
    (spec) => (spec.budgetMonthlyUsd.value === null ? 'none' : usdMonthly(spec.budgetMonthlyUsd.value)),
  ],
  ['GPU types', (spec) => list(spec.gpuTypes.value)],
  ['models', (spec) => list(spec.models.value)],
  ['max GPUs', (spec) => (spec.maxGpus.value === null ? 'no limit' : count(spec.maxGpus.value))],
];

/** What differs between two specs, as people read it: "users 1,000 → 3,000". */
export function specChanges(
  before: DeploymentSpec,
  after: DeploymentSpec,
  useCaseName: (id: string) => string,
): string[] {
  return SPEC_FIELDS.flatMap(([label, show]) => {
    const was = show(before, useCaseName);
    const now = show(after, useCaseName);
    return was === now ? [] : [`${label} ${was} → ${now}`];
  });
}

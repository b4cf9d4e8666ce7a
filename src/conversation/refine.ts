import type { CatalogChoice } from '../intent/choices.js';
import { extractIntent } from '../intent/extract.js';
import { roundMoney, roundMs, roundRate } from '../intent/numbers.js';
import { refinePrecisions } from '../intent/precision.js';
import type { ClearableFact, RelativeChange } from '../intent/refinement.js';
import { FocusFigure, readRefinement } from '../intent/refinement.js';
import type { ExtractionVocabulary, Intent } from '../intent/schema.js';
import { withinBounds } from '../intent/schema.js';
import type { Knowledge } from '../knowledge/catalog.js';
import { count, list, ms, rps, usdMonthly } from '../slack/blocks/format.js';
import type { DeploymentSpec } from '../spec/schema.js';
import { prefixPercent } from './spec-form.js';

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

/** Intent fields a relative change scales. */
const SCALED: Record<Exclude<RelativeChange['figure'], 'focus'>, Figure | 'users' | 'qps'> = {
  users: 'users',
  load: 'qps',
  budgetMonthlyUsd: 'budgetMonthlyUsd',
  latency: 'ttftP95Ms',
  maxGpus: 'maxGpus',
  promptTokens: 'promptTokens',
  outputTokens: 'outputTokens',
};

/** The figures of an intent, none of its other facts. */
function figuresOf(intent: Intent): Partial<Intent> {
  return Object.fromEntries(NUMERIC.map((figure) => [figure, intent[figure]]));
}

/** Clears one fact: null for a figure, [] for a list, the default for the priority. */
function clear(intent: Omit<Intent, 'missing'>, fact: ClearableFact): void {
  if (fact === 'gpuTypes' || fact === 'models') intent[fact] = [];
  else if (fact === 'priority') {
    intent.priority = 'balanced';
    intent.priorityStated = false;
  } else if (fact === 'batchItemsPerDay') {
    // Interactive after all: neither the text's volume nor a job set in the spec form stays.
    delete intent.batchItemsPerDay;
    delete intent.batch;
  } else if (fact === 'precisions') delete intent[fact];
  else intent[fact] = null;
}

const scaledBy = (value: number | null, change: RelativeChange) =>
  value === null ? null : value * change.factor + change.delta;

/** What "it" is in "double it": the figure last discussed, the audience when none was. */
function focusedChange(change: RelativeChange, focus: FocusFigure | null): ScaledChange {
  if (change.figure !== 'focus') return { ...change, figure: change.figure };
  const figure =
    focus === null || focus === 'users'
      ? 'users'
      : focus === 'qps' || focus === 'batchItemsPerDay'
        ? 'load'
        : focus === 'ttftP95Ms' || focus === 'itlP95Ms' || focus === 'e2eP95Ms'
          ? 'latency'
          : focus;
  return { ...change, figure };
}

type ScaledChange = RelativeChange & { figure: Exclude<RelativeChange['figure'], 'focus'> };

/** Applies "double the users", "20% cheaper", "add 500 users" to what was said before. */
function applyRelative(intent: Omit<Intent, 'missing'>, change: ScaledChange): void {
  if (change.figure === 'users' || change.figure === 'load') {
    // A batch job's volume is its load.
    if (change.figure === 'load' && intent.batchItemsPerDay != null)
      intent.batchItemsPerDay = Math.round(scaledBy(intent.batchItemsPerDay, change)!);
    const before = intent.users;
    if (before !== null && (change.figure === 'users' || intent.qps === null)) {
      const after = Math.round(scaledBy(before, change)!);
      intent.users = after;
      // A rate stated with the users grows with them.
      if (intent.qps !== null) intent.qps = roundRate((intent.qps * after) / before);
    } else if (intent.qps !== null) intent.qps = roundRate(scaledBy(intent.qps, change)!);
    return;
  }
  if (change.figure === 'latency') {
    for (const target of ['ttftP95Ms', 'itlP95Ms', 'e2eP95Ms'] as const) {
      const scaled = scaledBy(intent[target], change);
      intent[target] = scaled === null ? null : roundMs(scaled);
    }
    return;
  }
  if (change.figure === 'budgetMonthlyUsd') {
    const scaled = scaledBy(intent.budgetMonthlyUsd, change);
    intent.budgetMonthlyUsd = scaled === null ? null : roundMoney(scaled);
    return;
  }
  const scaled = scaledBy(intent[change.figure], change);
  intent[change.figure] = scaled === null ? null : Math.round(scaled);
}

/** The figure a bare number changes: the one asked for or last discussed, else the audience. */
function bareTarget(previous: Intent, focus: FocusFigure | null, unit: 'count' | 'ms'): FocusFigure {
  const latency = focus === 'ttftP95Ms' || focus === 'itlP95Ms' || focus === 'e2eP95Ms';
  if (unit === 'ms') return latency ? focus : 'ttftP95Ms';
  if (focus) return focus;
  return previous.users === null && previous.qps !== null ? 'qps' : 'users';
}

const NUMERIC: FocusFigure[] = FocusFigure.options;

/**
 * The conversation's intent after a new message: facts the message states win, the rest stays. Users and a request
 * rate are one fact told two ways, so a new user count drops an earlier rate (which would otherwise still size the
 * plan). An established use case changes only when the message names a new one, and is dropped when the message
 * rules it out. The message's grammar (`readRefinement`) removes constraints ("forget the budget"), changes figures
 * relative to their values ("double the users", "20% cheaper"), gives a bare figure ("make it 1200") to `focus` (the
 * figure asked for or last discussed), and sorts GPU names: a stated list replaces the earlier one ("we only have
 * H100s"), names allowed back are added to it ("H100s are fine again"), and names ruled out ("no H100s") are removed
 * from it, or from every known GPU when any was allowed or none would be left. `refused` holds this message's
 * refusals: its own figures out of bounds, and changes that would take a figure out of bounds.
 */
export function refineIntent(
  previous: Intent,
  saidAsIs: Intent,
  text: string,
  knowledge: Pick<Knowledge, 'gpus' | 'models'>,
  focus: FocusFigure | null = null,
): Intent {
  let said = saidAsIs;
  const grammar = readRefinement(text, knowledge);
  // "not 500 users but 5000": the figures are the ones the correction means.
  if (grammar.corrected) said = { ...said, ...figuresOf(extractIntent(grammar.corrected, knowledge)) };
  const relativeChanges = grammar.relative.map((change) => focusedChange(change, focus));
  // What an earlier message had refused was said then.
  const { refused: _earlier, ...next }: Omit<Intent, 'missing'> = previous;
  for (const fact of grammar.cleared) clear(next, fact);
  if (said.useCase !== null && (previous.useCase === null || namesUseCase(text, said, knowledge)))
    next.useCase = said.useCase;
  else if (next.useCase !== null && grammar.ruledOutUseCases.includes(next.useCase)) next.useCase = null;
  // A relative change is about the figure's current value; the figure it names is not a new absolute value.
  const relative = new Set(relativeChanges.map((change) => SCALED[change.figure]));
  if (relativeChanges.some((change) => change.figure === 'users' || change.figure === 'load'))
    relative.add('users').add('qps');
  if (said.users !== null && !relative.has('users')) {
    next.users = said.users;
    next.qps = said.qps;
  } else if (said.qps !== null && !relative.has('qps')) next.qps = said.qps;
  if (said.priorityStated) {
    next.priority = said.priority;
    next.priorityStated = true;
  }
  for (const figure of FIGURES)
    if (said[figure] !== null && !relative.has(figure)) next[figure] = said[figure];
  if (said.batchItemsPerDay != null) next.batchItemsPerDay = said.batchItemsPerDay;
  if (said.latencyWaived) next.latencyWaived = true;
  next.models = chosen(next.models, grammar.models, said.models, null);
  next.gpuTypes = chosen(
    next.gpuTypes,
    grammar.gpus,
    said.gpuTypes,
    knowledge.gpus.map((gpu) => gpu.id),
  );
  const precisions = refinePrecisions(next.precisions ?? [], text);
  if (precisions.length > 0) next.precisions = precisions;
  else delete next.precisions;
  for (const change of relativeChanges) applyRelative(next, change);
  const statesFigure = NUMERIC.some((figure) => said[figure] != null);
  if (grammar.bare && !statesFigure && grammar.relative.length === 0 && grammar.cleared.length === 0) {
    const target = bareTarget(previous, focus, grammar.bare.unit);
    const value =
      target === 'qps' || target === 'budgetMonthlyUsd' ? grammar.bare.value : Math.round(grammar.bare.value);
    if (target === 'users') next.qps = null;
    next[target] = value;
  }
  const refined = withinBounds(next);
  const refused = [...(said.refused ?? []), ...(refined.refused ?? [])];
  const { refused: _bounds, ...rest } = refined;
  return refused.length > 0 ? { ...rest, refused } : rest;
}

/**
 * A catalog list after a message: names allowed back are added; a stated list replaces; names ruled out are removed
 * (from every known one, `all`, when the list allowed any or would be left empty; models have no such fallback, as
 * "no Llama" does not make every other model a preference).
 */
function chosen(current: string[], choice: CatalogChoice, said: string[], all: string[] | null): string[] {
  let list = current;
  if (choice.added.length > 0) {
    // Allowing a name back into "any" changes nothing; into a list, it joins it.
    if (list.length > 0) list = [...new Set([...list, ...choice.added])].sort();
    if (all?.every((id) => list.includes(id))) list = [];
  } else if (choice.allowed.length > 0) list = choice.allowed;
  else if (said.length > 0 && choice.excluded.length === 0) list = said;
  if (choice.excluded.length > 0) {
    const allowed = (ids: string[]) => ids.filter((id) => !choice.excluded.includes(id)).sort();
    const narrowed = allowed(list);
    list = narrowed.length > 0 || !all ? narrowed : allowed(all);
  }
  return list;
}

const SPEC_FIELDS: [string, (spec: DeploymentSpec, useCaseName: (id: string) => string) => string][] = [
  ['use case', (spec, name) => name(spec.useCase.value)],
  ['users', (spec) => (spec.users.value === null ? 'not given' : count(spec.users.value))],
  ['peak load', (spec) => rps(spec.traffic.peakQps.value)],
  ['average load', (spec) => rps(spec.traffic.avgQps.value)],
  ['prompt tokens', (spec) => count(spec.traffic.promptTokens.value)],
  ['output tokens', (spec) => count(spec.traffic.outputTokens.value)],
  ['shared prompt prefix', (spec) => `${prefixPercent(spec)}%`],
  ['prompt length spread', (spec) => String(spec.traffic.promptTokensCv?.value ?? 0)],
  ['output length spread', (spec) => String(spec.traffic.outputTokensCv?.value ?? 0)],
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
  ['precisions', (spec) => (spec.precisions?.value.length ? list(spec.precisions.value) : 'any')],
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

/**
 * The OpenAI APIs a batch job's requests may call (`compass predict --batch --api`, `compass plan --batch-per-day
 * --api`); a module of its own, without imports, so `--help` loads no planner.
 */
export const BATCH_APIS = ['chat', 'completions'] as const;
export type BatchApi = (typeof BATCH_APIS)[number];

/**
 * What `vllm bench serve` sends without `--backend`: completions (its default backend `openai`, /v1/completions, in
 * vllm/benchmarks/serve.py), so a burst predicted with the defaults is the one its users measure.
 */
const DEFAULT_BATCH_API: BatchApi = 'completions';

/**
 * Whether a batch's requests are chat completions, whose chat template the API server renders before the engine sees
 * them (the planner's `chatStream`).
 */
export const callsChat = (api: BatchApi | undefined): boolean => (api ?? DEFAULT_BATCH_API) === 'chat';

/** The `--api` choices of `compass predict --batch`; a module of its own so `--help` loads no planner. */
export const BATCH_APIS = ['chat', 'completions'] as const;
export type BatchApi = (typeof BATCH_APIS)[number];

/**
 * What `vllm bench serve` sends without `--backend`: completions (its default backend `openai`, /v1/completions, in
 * vllm/benchmarks/serve.py), so a burst predicted with the defaults is the one its users measure.
 */
export const DEFAULT_BATCH_API: BatchApi = 'completions';

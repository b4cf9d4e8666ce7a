/** Served weight precisions, in a module of their own so the CLI's option parser can list them without zod. */
export const PRECISIONS = ['bf16', 'fp8', 'int4'] as const;

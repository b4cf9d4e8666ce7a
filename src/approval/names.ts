/** Longest deployment name Compass gives: room for the suffixes Kubernetes and KServe add within 63 characters. */
export const MAX_DEPLOY_NAME = 40;
const SUFFIX_LENGTH = 5;

/**
 * The DNS-1123 name of a model's deployment: its Hugging Face id without the owner, lower-case, runs of anything
 * else turned into one "-" (`meta-llama/Llama-3.1-8B-Instruct` → `llama-3-1-8b-instruct`), at most 40 characters,
 * starting with a letter (Services need one).
 */
export function deployBaseName(modelId: string): string {
  const repo = modelId.split('/').at(-1) ?? modelId;
  const slug =
    repo
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'model';
  return trim(/^[a-z]/.test(slug) ? slug : `m-${slug}`, MAX_DEPLOY_NAME);
}

const trim = (name: string, max: number) => name.slice(0, max).replace(/-+$/, '');

/**
 * A name not in `taken`: the base name, or the base shortened to keep 40 characters plus a 5-character suffix from
 * `seed` (hex, e.g. the request id) when the base is taken in that namespace.
 */
export function uniqueDeployName(modelId: string, taken: ReadonlySet<string>, seed: string): string {
  const base = deployBaseName(modelId);
  if (!taken.has(base)) return base;
  const hex = seed.replace(/[^0-9a-f]/gi, '').toLowerCase();
  for (let offset = 0; offset + SUFFIX_LENGTH <= hex.length; offset++) {
    const name = `${trim(base, MAX_DEPLOY_NAME - SUFFIX_LENGTH - 1)}-${hex.slice(offset, offset + SUFFIX_LENGTH)}`;
    if (!taken.has(name)) return name;
  }
  throw new Error(`no free deployment name for ${modelId} from seed ${seed}`);
}

/** Reading fields of a config.json, recording every problem (naming the field's path) instead of stopping at one. */

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const present = (value: unknown) => value !== undefined && value !== null;

/**
 * The largest figure a config.json field may hold. The biggest real ones are context windows (Llama 4 Scout's
 * 10,485,760); a larger number is a broken or hostile file, and products of such figures stay finite.
 */
export const CONFIG_FIGURE_LIMIT = 100_000_000;
/**
 * The most layers a config may declare: per-layer lists are built from it. Published models have at most a few
 * hundred (Llama 3.1 405B: 126; Nemotron-H 56B: 118).
 */
export const CONFIG_LAYER_LIMIT = 4096;

/** Reads fields of one JSON object, recording a problem (naming the field's path) for each bad or missing one. */
export function fieldsOf(json: Json, prefix: string, problems: string[]) {
  const path = (name: string) => `${prefix}${name}`;
  /** The value under the first of `names` present; two names with different values contradict each other. */
  const first = (names: readonly string[]): { name: string; value: unknown } | undefined => {
    const found = names.filter((name) => present(json[name])).map((name) => ({ name, value: json[name] }));
    const [head, ...rest] = found;
    for (const other of rest) {
      if (JSON.stringify(other.value) !== JSON.stringify(head?.value)) {
        problems.push(
          `${path(head!.name)} (${JSON.stringify(head!.value)}) and ${path(other.name)} (${JSON.stringify(other.value)}) disagree`,
        );
      }
    }
    return head;
  };
  const int = (names: string | readonly string[], minimum: number, maximum = CONFIG_FIGURE_LIMIT): number => {
    const found = first(typeof names === 'string' ? [names] : names);
    const label = (typeof names === 'string' ? [names] : names).map(path).join(' or ');
    if (!found) {
      problems.push(`${label} is missing`);
      return Number.NaN;
    }
    if (typeof found.value !== 'number' || !Number.isInteger(found.value) || found.value < minimum) {
      problems.push(
        `${path(found.name)} must be a whole number ≥ ${minimum}, got ${JSON.stringify(found.value)}`,
      );
      return Number.NaN;
    }
    if (found.value > maximum) {
      problems.push(
        `${path(found.name)} is ${found.value}, more than any real config holds (at most ${maximum})`,
      );
      return Number.NaN;
    }
    return found.value;
  };
  const bool = (name: string): boolean | undefined => {
    const value = json[name];
    if (!present(value)) return undefined;
    if (typeof value !== 'boolean') {
      problems.push(`${path(name)} must be true or false, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return value;
  };
  return { int, bool, path };
}

/**
 * What an architecture module reads a (text) config through: typed fields that record problems, transformers'
 * defaults that record a note saying what was assumed, and the raw JSON for lists and patterns.
 */
export interface ConfigFields {
  json: Json;
  /** `text_config.` for multimodal wrappers, else empty. */
  prefix: string;
  /** The model_type of the (text) config, for messages. */
  modelType: string;
  problems: string[];
  notes: string[];
  /** A whole number from `minimum` (default 1) to `maximum` (default CONFIG_FIGURE_LIMIT). */
  int(names: string | readonly string[], minimum?: number, maximum?: number): number;
  /** The field, or `fallback` (noted as transformers' default) when the config leaves it out. */
  intOr(name: string, fallback: number, why?: string): number;
  /** Like `intOr` for a field that may be absent or null without a default worth noting. */
  optionalInt(name: string, minimum?: number): number | null;
  bool(name: string): boolean | undefined;
  path(name: string): string;
}

export function configFields(
  json: Json,
  prefix: string,
  modelType: string,
  problems: string[],
  notes: string[],
): ConfigFields {
  const fields = fieldsOf(json, prefix, problems);
  return {
    json,
    prefix,
    modelType,
    problems,
    notes,
    int: (names, minimum = 1, maximum = CONFIG_FIGURE_LIMIT) => fields.int(names, minimum, maximum),
    intOr: (name, fallback, why = `transformers' ${modelType} default`) => {
      if (present(json[name])) return fields.int(name, 0);
      notes.push(`${prefix}${name} is absent: ${fallback} (${why})`);
      return fallback;
    },
    optionalInt: (name, minimum = 1) => (present(json[name]) ? fields.int(name, minimum) : null),
    bool: fields.bool,
    path: fields.path,
  };
}

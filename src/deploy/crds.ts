/**
 * The custom resources' own schemas, vendored from their projects (data/crds/, see its README): checked with ajv as
 * the API server checks them with fieldValidation=Strict. A CRD's schema is structural, so an object schema admits
 * only the properties it lists (unless it says x-kubernetes-preserve-unknown-fields), lists typed as maps or sets
 * hold no two items with the same keys, and int32 fields fit 32 bits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import { dataDir } from '../paths.js';

export const crdsDir = join(dataDir, 'crds');

interface VendoredCrd {
  group: string;
  version: string;
  kind: string;
  schema: SchemaObject;
}

/**
 * A Go (RE2) pattern in ECMAScript: a leading `(?i)`, which ECMAScript lacks, becomes both cases of every letter
 * outside a character class.
 */
export function ecmaPattern(pattern: string): string {
  if (!pattern.includes('(?i)')) return pattern;
  let inClass = false;
  let out = '';
  const rest = pattern.replace('(?i)', '');
  for (let i = 0; i < rest.length; i++) {
    const char = rest[i]!;
    if (char === '\\') {
      out += char + (rest[i + 1] ?? '');
      i++;
    } else if (char === '[' || char === ']') {
      inClass = char === '[';
      out += char;
    } else if (!inClass && /[a-z]/i.test(char)) out += `[${char.toLowerCase()}${char.toUpperCase()}]`;
    else out += char;
  }
  return out;
}

/** The schema with unknown properties refused wherever Kubernetes prunes or (strictly) refuses them. */
export function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const node = schema as Record<string, unknown>;
  const strict: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    strict[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, strictSchema(sub)]))
        : key === 'pattern' && typeof value === 'string'
          ? ecmaPattern(value)
          : strictSchema(value);
  }
  // `metadata` is `type: object` alone in a CRD: the API server checks it as ObjectMeta (validate.ts does too).
  const open = node['x-kubernetes-preserve-unknown-fields'] === true || node.properties === undefined;
  if (node.type === 'object' && !open && node.additionalProperties === undefined) {
    strict.additionalProperties = false;
  }
  return strict;
}

/** Subschemas longer than this (as JSON) are compiled once however often they repeat. */
const SHARED_SCHEMA_CHARS = 400;

/**
 * The schema with every large subschema moved to `$defs` and referenced: a CRD repeats whole types (KServe's
 * predictor holds a dozen copies of Container), which ajv would otherwise compile once per copy, for seconds.
 */
export function sharedSubschemas(schema: SchemaObject): SchemaObject {
  const defs: Record<string, unknown> = {};
  const names = new Map<string, string>();
  const share = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return node;
    const reduced: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties') {
        reduced[key] = Object.fromEntries(Object.entries(value as object).map(([n, sub]) => [n, share(sub)]));
      } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
        reduced[key] = share(value);
      } else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf') {
        reduced[key] = (value as unknown[]).map(share);
      } else reduced[key] = value;
    }
    const json = JSON.stringify(reduced);
    if (json.length < SHARED_SCHEMA_CHARS) return reduced;
    let name = names.get(json);
    if (!name) {
      name = `s${names.size}`;
      names.set(json, name);
      defs[name] = reduced;
    }
    return { $ref: `#/$defs/${name}` };
  };
  const root = share(schema) as SchemaObject;
  // The root itself is large: keep it inline, its definitions beside it.
  return { ...(root.$ref ? (defs[root.$ref.split('/').at(-1)!] as SchemaObject) : root), $defs: defs };
}

/**
 * A list keyword refusing two items with the same key (x-kubernetes-list-map-keys: the named fields; a set: the
 * whole item), as the API server does: Kubernetes would otherwise keep one of them.
 */
function uniqueItemsKeyword(
  keyword: string,
  keyOf: (schemaValue: unknown, item: unknown) => string | undefined,
) {
  const validate = (schemaValue: unknown, list: unknown): boolean => {
    const errors: Partial<ErrorObject>[] = [];
    const seen = new Map<string, number>();
    for (const [index, item] of (Array.isArray(list) ? list : []).entries()) {
      const key = keyOf(schemaValue, item);
      if (key === undefined) continue;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else errors.push({ keyword, message: `item ${index} repeats item ${first} (${key})`, params: {} });
    }
    (validate as { errors?: Partial<ErrorObject>[] }).errors = errors;
    return errors.length === 0;
  };
  return { keyword, type: 'array' as const, errors: true, validate };
}

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, verbose: true });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
  // Markers the schemas carry for the API server's merge logic and CEL rules; the int-or-string ones come with
  // their own anyOf, so only the list ones need checking here.
  for (const keyword of [
    'x-kubernetes-int-or-string',
    'x-kubernetes-map-type',
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-embedded-resource',
    'x-kubernetes-validations',
  ]) {
    ajv.addKeyword({ keyword });
  }
  ajv.addKeyword(
    uniqueItemsKeyword('x-kubernetes-list-map-keys', (keys, item) =>
      (keys as string[])
        .map((key) => `${key}=${JSON.stringify((item as Record<string, unknown>)?.[key])}`)
        .join(', '),
    ),
  );
  ajv.addKeyword(
    uniqueItemsKeyword('x-kubernetes-list-type', (type, item) =>
      type === 'set' ? JSON.stringify(item) : undefined,
    ),
  );
  return ajv;
}

export interface CrdCheck {
  /** "KServe InferenceService v0.15.2": which schema, in words. */
  source: string;
  validate: ValidateFunction;
}

const SOURCES: Record<string, string> = {
  'serving.kserve.io': 'KServe v0.15.2',
  'keda.sh': 'KEDA v2.17.2',
  'monitoring.coreos.com': 'prometheus-operator v0.86.2',
};

let checks: Map<string, CrdCheck> | undefined;

/** The vendored CRDs by "group/version/Kind", compiled once on first use. */
export function crdChecks(): Map<string, CrdCheck> {
  if (checks) return checks;
  const ajv = newAjv();
  const compiled = new Map<string, CrdCheck>();
  for (const file of readdirSync(crdsDir).filter((name) => name.endsWith('.json'))) {
    const crd = JSON.parse(readFileSync(join(crdsDir, file), 'utf8')) as VendoredCrd;
    compiled.set(`${crd.group}/${crd.version}/${crd.kind}`, {
      source: `${SOURCES[crd.group] ?? crd.group} ${crd.kind}`,
      validate: ajv.compile(sharedSubschemas(strictSchema(crd.schema) as SchemaObject)),
    });
  }
  checks = compiled;
  return compiled;
}

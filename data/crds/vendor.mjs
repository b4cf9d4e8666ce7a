#!/usr/bin/env node
/**
 * Regenerates the vendored schemas in this folder from upstream CRD YAML (see README.md for the sources):
 *   node data/crds/vendor.mjs <crd.yaml>...
 * Keeps the served version's openAPIV3Schema without descriptions or status (Compass validates what it renders,
 * not what controllers report), and of the InferenceService only the predictor, the part Compass renders.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

const here = dirname(fileURLToPath(import.meta.url));

/** The schema without `description` keywords; property names (which may be "description") are kept. */
function withoutDescriptions(schema) {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (typeof schema !== 'object' || schema === null) return schema;
  const kept = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' && typeof value === 'string') continue;
    kept[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, withoutDescriptions(sub)]))
        : withoutDescriptions(value);
  }
  return kept;
}

for (const file of process.argv.slice(2)) {
  const crd = load(readFileSync(file, 'utf8'));
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  const schema = withoutDescriptions(version.schema.openAPIV3Schema);
  delete schema.properties.status;
  if (crd.spec.names.kind === 'InferenceService') {
    schema.properties.spec.properties = { predictor: schema.properties.spec.properties.predictor };
    schema.properties.spec.required = ['predictor'];
  }
  const out = {
    group: crd.spec.group,
    version: version.name,
    kind: crd.spec.names.kind,
    schema,
  };
  writeFileSync(join(here, `${crd.spec.names.kind}.json`), `${JSON.stringify(out, null, 2)}\n`);
}

/** Kubernetes objects as plain data, and their YAML. */
import { dump, loadAll } from 'js-yaml';
import type { KubeObject } from '../kube/objects.js';

/** "InferenceService llm/chat": how problems and previews name an object, however malformed it is. */
export function objectRef(object: unknown): string {
  const { kind, metadata } = (object ?? {}) as {
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
  };
  const namespace = typeof metadata?.namespace === 'string' ? `${metadata.namespace}/` : '';
  const name = typeof metadata?.name === 'string' ? metadata.name : '(no name)';
  return `${typeof kind === 'string' ? kind : 'object'} ${namespace}${name}`;
}

/** The documents of a multi-document YAML stream, empty ones dropped. */
export function parseYamlDocuments(text: string): unknown[] {
  return loadAll(text).filter((document) => document !== null && document !== undefined);
}

/** Objects as YAML documents separated by `---`, as kubectl apply -f reads them. */
export function manifestsYaml(objects: readonly KubeObject[]): string {
  return objects.map((object) => dump(object, { lineWidth: -1, noRefs: true })).join('---\n');
}

/** Slack caps a modal's text block at 3000 characters. */
const PREVIEW_CHARS = 2900;

/** A copy without `labels` and `annotations` maps: bookkeeping a reviewer does not need to see. */
function withoutBookkeeping(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutBookkeeping);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'labels' && key !== 'annotations')
      .map(([key, field]) => [key, withoutBookkeeping(field)]),
  );
}

/**
 * What a reviewer checks before approving: the objects as YAML without labels and annotations, cut at a line
 * boundary (saying how much is left out) when longer than `maxChars`.
 */
export function manifestPreview(objects: readonly KubeObject[], maxChars = PREVIEW_CHARS): string {
  const yaml = manifestsYaml(objects.map((object) => withoutBookkeeping(object) as KubeObject));
  if (yaml.length <= maxChars) return yaml;
  const lines = yaml.split('\n');
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    // Leave room for the note saying what was left out.
    if (length + line.length + 1 > maxChars - 40) break;
    kept.push(line);
    length += line.length + 1;
  }
  return `${kept.join('\n')}\n… ${lines.length - kept.length} more lines`;
}

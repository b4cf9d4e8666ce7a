/**
 * Where a value sits in a parsed document, written the way a maintainer finds it there: ["spec", "containers", 0,
 * "resources", "nvidia.com/gpu"] → spec.containers[0].resources["nvidia.com/gpu"]. Zod issue paths, manifest fields and
 * data-file fields all print through it; the empty path prints as "".
 */
export function fieldPath(parts: readonly PropertyKey[]): string {
  return parts.reduce<string>((path, part) => {
    if (typeof part === 'number' || (typeof part === 'string' && /^\d+$/.test(part)))
      return `${path}[${part}]`;
    const key = String(part);
    if (!/^[A-Za-z_]\w*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
    return path === '' ? key : `${path}.${key}`;
  }, '');
}

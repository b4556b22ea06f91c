/** JSON with object keys sorted at every level, so `{a, b}` and `{b, a}` give the same text (cache keys, request fingerprints). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner instanceof Date || inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    return Object.fromEntries(Object.keys(inner).sort().map((k) => [k, (inner as Record<string, unknown>)[k]]));
  }) ?? 'undefined';
}

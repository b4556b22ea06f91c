import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so `{a, b}` and `{b, a}` give the same text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner instanceof Date || inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    return Object.fromEntries(Object.keys(inner).sort().map((k) => [k, (inner as Record<string, unknown>)[k]]));
  }) ?? 'undefined';
}

/**
 * The default key of a @Cached call: the method's name and a SHA-1 of the stable JSON of its
 * arguments (so equal arguments share an entry regardless of property order).
 */
export function argumentsKey(method: string, args: unknown[]): string {
  const digest = createHash('sha1').update(stableStringify(args)).digest('base64url');
  return `${method}:${digest}`;
}

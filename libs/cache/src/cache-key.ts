import { createHash } from 'node:crypto';
import { stableStringify } from '@stockroom/core';

/**
 * The default key of a @Cached call: the method's name and a SHA-1 of the stable JSON of its
 * arguments (so equal arguments share an entry regardless of property order).
 */
export function argumentsKey(method: string, args: unknown[]): string {
  const digest = createHash('sha1').update(stableStringify(args)).digest('base64url');
  return `${method}:${digest}`;
}

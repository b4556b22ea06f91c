/**
 * Builds every key as `{prefix}:{area}:{...}`. Parts that may come from users are encoded, so they
 * cannot add a separator, a glob character or a hash tag and so cannot reach another namespace.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  key(area: string, ...parts: Array<string | number>): string {
    return [this.prefix, area, ...parts.map(RedisKeys.part)].join(':');
  }

  /** A key whose `{tag}` pins it to one cluster slot, with the keys that share the tag. */
  tagged(area: string, tag: string, ...suffix: string[]): string {
    // Per request on the throttler's path: no array to join.
    let key = `${this.prefix}:${area}:{${tag}}`;
    for (const part of suffix) key += `:${part}`;
    return key;
  }

  static part(value: string | number): string {
    return encodeURIComponent(String(value)).replace(/[*!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
}

import type { CacheOptions } from './cache-options';
import { RedisKeys } from '@stockroom/redis';

export interface NamespaceOptions {
  /** Seconds; defaults to CACHE_TTL_SECONDS. */
  ttl?: number;
  /** XFetch beta for this namespace; defaults to CACHE_EARLY_REFRESH_BETA; 0 = no early refresh. */
  beta?: number;
  /** Keep this namespace out of the in-process L1. */
  l1?: boolean;
}

export interface CacheWriteOptions {
  /** Seconds, for this call. */
  ttl?: number;
  /** A monotonic version of the value (the row's `version`): an older stamp never replaces a newer one. */
  stamp?: number;
  /** Tags whose invalidation also drops this entry. */
  tags?: string[];
}

export interface GetOrLoadOptions<T> extends Omit<CacheWriteOptions, 'stamp'> {
  /** The value's version, e.g. `(row) => row?.version`. */
  stamp?: (value: T) => number | undefined;
  /** Cache a null/undefined result too (default: no, every miss asks the loader). */
  cacheNull?: boolean;
  /** A rendering of a loaded value stored beside it (see `Rendering`). */
  render?: Rendering<T>;
}

/**
 * A text made from a cached value (e.g. its HTTP body), stored beside it so `getCachedRendering`
 * can answer without decoding the value; it lives and dies with the entry. `version` names how
 * it is made: a rendering of another version (an older deploy) is not used, the value is
 * decoded and rendered again instead.
 */
export interface Rendering<T> {
  readonly version: string;
  render(value: T): string;
}

/** What is stored beside a value: `<version>\n<rendering>`. */
export function storedRendering<T>(rendering: Rendering<T>, value: T): string {
  return `${rendering.version}\n${rendering.render(value)}`;
}

/** The rendering stored beside a value when it is of this version; the version is ASCII, so only the rendering is decoded. */
export function renderingOfVersion(stored: Buffer | undefined, rendering: Pick<Rendering<unknown>, 'version'>): string | undefined {
  const prefix = `${rendering.version}\n`;
  if (!stored || stored.length < prefix.length || stored.toString('latin1', 0, prefix.length) !== prefix) return undefined;
  return stored.toString('utf8', prefix.length);
}

export interface Entry {
  payload?: Buffer;
  /** The rendering stored beside the payload (`storedRendering`), when there is one. */
  rendering?: Buffer;
  stamp?: number;
  generations: string;
  expiresAt: number;
  loadMs: number;
  tombstone: boolean;
}

export interface Target {
  namespace: string;
  entryKey: string;
  readonly leaseKey: string;
  generationNames: string[];
  generationKeys: string[];
  ttlMs: number;
  beta: number;
  l1: boolean;
}

/** A target is made per lookup, and an L1 hit never needs its lease: that key is made when asked for. */
class LookupTarget implements Target {
  constructor(
    readonly namespace: string,
    readonly entryKey: string,
    readonly generationNames: string[],
    readonly generationKeys: string[],
    readonly ttlMs: number,
    readonly beta: number,
    readonly l1: boolean,
  ) {}

  get leaseKey(): string {
    return `${this.entryKey}:lease`;
  }
}

const NAMESPACE = /^[a-z][a-z0-9-]{0,39}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9:_.-]{0,99}$/;
/** How long past its logical expiry an entry may still be served while one caller reloads it. */
export const MAX_GRACE_MS = 60_000;
/** A tombstone stamp above any row version: nothing older may be cached over a deletion. */
export const DELETED_STAMP = Number.MAX_SAFE_INTEGER;

export class InvalidCacheNameError extends Error {}

const NEWLINE = 0x0a;
const TOMBSTONE = 0x74; // 't'

/** A key with no entry, or an entry that cannot be read: a plain miss. */
function noEntry(): Entry {
  return { generations: '', expiresAt: 0, loadMs: 0, tombstone: false };
}

/**
 * Reads an entry as `cache-set.lua` stores it, one string: a header line
 * `<kind><stamp>|<generations>|<expiry>|<load ms>|<payload bytes>` (kind `v` a value, `t` a
 * tombstone), the payload, then the rendering. An entry from other generations, or a tombstone,
 * has no payload.
 */
export function parseEntry(raw: Buffer | null, currentGenerations: string): Entry {
  const end = raw ? raw.indexOf(NEWLINE) : -1;
  if (!raw || end < 1) return noEntry();
  const [stamp, generations, expiresAt, loadMs, size] = raw.toString('latin1', 1, end).split('|');
  const payloadEnd = end + 1 + Number(size);
  if (!(payloadEnd <= raw.length)) return noEntry();
  const tombstone = raw[0] === TOMBSTONE;
  // An entry from older generations (invalidated) is a plain miss, never served stale.
  const current = !tombstone && generations === currentGenerations;
  return {
    payload: current ? raw.subarray(end + 1, payloadEnd) : undefined,
    rendering: current && payloadEnd < raw.length ? raw.subarray(payloadEnd) : undefined,
    stamp: stamp ? Number(stamp) : undefined,
    generations,
    expiresAt: Number(expiresAt),
    loadMs: Number(loadMs),
    tombstone,
  };
}

/** XFetch: refresh early with a probability that grows as expiry nears and with the load time. */
export function refreshEarly(entry: Entry, beta: number, now: number): boolean {
  if (beta <= 0) return false;
  return now - entry.loadMs * beta * Math.log(Math.random()) >= entry.expiresAt;
}

interface Space {
  defaults: NamespaceOptions | undefined;
  keyPrefix: string;
  generationNames: string[];
  generationKeys: string[];
  ttlMs: number;
  beta: number;
  l1: boolean;
}

/** Where an entry lives and how long: keys, generation names, TTL and early-refresh settings. */
export class CacheTargets {
  private readonly spaces = new Map<string, Space>();

  constructor(
    private readonly keys: RedisKeys,
    private readonly options: Pick<CacheOptions, 'ttlSeconds' | 'earlyRefreshBeta'>,
    private readonly namespaces: ReadonlyMap<string, NamespaceOptions>,
  ) {}

  graceMs(target: Target): number {
    return Math.min(target.ttlMs, MAX_GRACE_MS);
  }

  /** Runs on every lookup: what depends on the namespace alone is worked out once per namespace. */
  target(namespace: string, key: string, options: { ttl?: number; tags?: string[] } = {}): Target {
    const space = this.space(namespace);
    if (key.length === 0) throw new InvalidCacheNameError('a cache key cannot be empty');
    const tags = options.tags ?? [];
    tags.forEach((tag) => this.assertTag(tag));
    const generationNames = tags.length === 0 ? space.generationNames : [...space.generationNames, ...tags.map((tag) => this.generationName('tag', tag))];
    // The key is the hash tag, so the entry and its lease share a cluster slot.
    const entryKey = `${space.keyPrefix}{${RedisKeys.part(key)}}`;
    return new LookupTarget(
      namespace,
      entryKey,
      generationNames,
      tags.length === 0 ? space.generationKeys : generationNames.map((name) => this.generationKey(name)),
      options.ttl !== undefined ? options.ttl * 1000 : space.ttlMs,
      space.beta,
      space.l1,
    );
  }

  private space(namespace: string): Space {
    let space = this.spaces.get(namespace);
    const defaults = this.namespaces.get(namespace);
    // Defaults may be declared after a first lookup: the memo follows the declaration.
    if (space && space.defaults === defaults) return space;
    this.assertNamespace(namespace);
    const generationNames = [this.generationName('ns', namespace)];
    space = {
      defaults,
      keyPrefix: `${this.keys.key('cache', namespace)}:`,
      generationNames,
      generationKeys: generationNames.map((name) => this.generationKey(name)),
      ttlMs: (defaults?.ttl ?? this.options.ttlSeconds) * 1000,
      beta: defaults?.beta ?? this.options.earlyRefreshBeta,
      l1: defaults?.l1 ?? true,
    };
    this.spaces.set(namespace, space);
    return space;
  }

  generationName(kind: 'ns' | 'tag', name: string): string {
    return `${kind}:${name}`;
  }

  generationKey(name: string): string {
    return this.keys.key('cache', 'gen', name);
  }

  assertNamespace(namespace: string): void {
    if (!NAMESPACE.test(namespace)) throw new InvalidCacheNameError(`invalid cache namespace ${JSON.stringify(namespace)}`);
  }

  assertTag(tag: string): void {
    if (!TAG.test(tag)) throw new InvalidCacheNameError(`invalid cache tag ${JSON.stringify(tag)}`);
  }
}

import { Logger } from '@nestjs/common';
import type { RedisClient } from '@stockroom/redis';
import type { CacheEvent } from './cache-events';
import type { CacheTargets, Target } from './cache-target';
import type { LocalTier } from './local-tier';

/** What the log needs of the outside: a Redis call behind the circuit, and the event channel. */
export interface InvalidationLogPorts {
  redis: Pick<RedisClient, 'get' | 'incr'>;
  /** `call` through the process's circuit, `fallback()` when Redis is unavailable. */
  guarded<T>(call: () => Promise<T>, fallback: () => T): Promise<T>;
  /** Sends events to the other instances (their L1s). */
  publish(events: CacheEvent[]): Promise<void>;
  /** Whether the event channel delivers other instances' events to this one. */
  listening(): boolean;
}

/**
 * The generations side of the cache: a namespace or tag is a counter in Redis that entries record
 * when stored, so an invalidation is one INCR. Writes this process could not record while Redis
 * was away are kept as "pending" and replayed (as bumps) before Redis is read again; generations
 * read or received are remembered (with L1 on or off), which lets a lookup skip reading them.
 */
export class InvalidationLog {
  private readonly logger = new Logger('RedisCache');
  /** Namespaces and tags whose invalidation could not reach Redis; bumped before Redis is read again. */
  private readonly pending = new Set<string>();

  constructor(
    private readonly targets: CacheTargets,
    private readonly local: LocalTier,
    private readonly ports: InvalidationLogPorts,
  ) {}

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Retires every entry recorded under these generations; kept for later when Redis is away. */
  async bump(names: string[]): Promise<void> {
    const { redis } = this.ports;
    const bumped = await this.ports.guarded(
      () => Promise.all(names.map(async (name) => ({ name, value: await redis.incr(this.targets.generationKey(name)) }))),
      () => undefined,
    );
    if (!bumped) {
      names.forEach((name) => this.pending.add(name));
      this.local.reset();
      return;
    }
    bumped.forEach(({ name, value }) => this.local.learnGeneration(name, value));
    await this.ports.publish(bumped.map(({ name, value }) => ({ type: 'generation', name, value })));
  }

  /** A write this process could not record: retire the whole namespace (and tags) once Redis is back. */
  markPending(target: Target): void {
    target.generationNames.forEach((name) => this.pending.add(name));
    this.local.delete(target.entryKey);
  }

  /** Before Redis is read after an outage, retire what writes during the outage may have left stale. */
  async replayPending(): Promise<void> {
    const names = [...this.pending];
    const values = await Promise.all(names.map((name) => this.ports.redis.incr(this.targets.generationKey(name))));
    names.forEach((name) => this.pending.delete(name));
    this.logger.log(`replayed ${names.length} invalidation(s) missed during the Redis outage`);
    await this.ports.publish(names.map((name, i) => ({ type: 'generation', name, value: values[i] })));
  }

  /**
   * The target's generations as this process knows them, when that is current up to a message's
   * delivery: the channel listens, and each was learned within CACHE_L1_TTL_MS. Else undefined: read them.
   */
  known(target: Target): string | undefined {
    return this.ports.listening() ? this.local.signature(target.generationNames) : undefined;
  }

  async read(target: Target): Promise<string> {
    return this.learn(target, await Promise.all(target.generationKeys.map((key) => this.ports.redis.get(key))));
  }

  /** Generations as read from Redis (in `generationKeys` order), remembered, as an entry records them. */
  learn(target: Target, values: Array<string | null>): string {
    const numbers = values.map((value) => Number(value ?? 0));
    target.generationNames.forEach((name, i) => this.local.learnGeneration(name, numbers[i]));
    return numbers.join(',');
  }

  /** Another instance's events: its writes evict here, its bumps are learned. */
  apply(events: CacheEvent[]): void {
    for (const event of events) {
      if (event.type === 'evict') this.local.delete(event.key);
      else this.local.learnGeneration(event.name, event.value);
    }
  }
}

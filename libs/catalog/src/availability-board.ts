import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig, JsonRepresentation } from '@stockroom/core';
import { MAX_GRACE_MS, RedisCacheService } from '@stockroom/cache';
import { ProductRepository } from './product.repository';

/** Rows are asked for again this long after they changed: a change becomes visible at its commit, a little after its UPDATE set updated_at. */
const LOOKBACK_MS = 5_000;

interface Known {
  available: number;
  seenAt: number;
}

/**
 * Each product's sellable quantity (`stock - reserved`), at most about CATALOG_AVAILABILITY_REFRESH_MS
 * old, without retiring a cached product on every reservation (a hot product takes thousands a
 * second): once per interval the instance asks MySQL which rows changed lately (updated_at,
 * indexed) and keeps their quantities here. Rendered products and pages carry the board's figure
 * in place of the one their cached copy was loaded with.
 *
 * A product absent from the board has not changed since every cached copy of it was loaded: at
 * boot the board reads every row changed within the cache's TTL and grace, and it forgets a
 * product only once every copy older than its last change has expired. Polls that fail are
 * retried at the next interval over a window that covers the gap.
 */
@Injectable()
export class AvailabilityBoard implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Availability');
  private readonly known = new Map<number, Known>();
  private readonly overlaid = new WeakMap<JsonRepresentation, { available: number; representation: JsonRepresentation }>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastPollAt = 0;
  private failing = false;
  /** Bumped whenever a quantity changes: renderings made at an older version are made again. */
  version = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly products: ProductRepository,
    private readonly cache: RedisCacheService,
  ) {}

  /** Whether figures are overlaid at all: with the cache off every read comes fresh from MySQL. */
  get enabled(): boolean {
    return this.cache.enabled;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    // Every copy a cache may hold was loaded within its TTL and grace: older changes are in them.
    await this.poll(this.retentionMs()).catch(() => undefined);
    this.timer = setInterval(() => void this.refresh(), this.config.catalog.availabilityRefreshMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** The board's figure for a product, when it changed lately. */
  available(productId: number): number | undefined {
    return this.known.get(productId)?.available;
  }

  /**
   * A product's rendering with the board's figure as `available` (the last field ProductResponse
   * renders), with its own ETag; the same object while the figure stays the same. `once`: the
   * base was made for this request alone (read from Redis), so nothing is remembered for it.
   */
  overlay(base: JsonRepresentation, productId: number, once = false): JsonRepresentation {
    const available = this.available(productId);
    if (available === undefined) return base;
    const made = once ? undefined : this.overlaid.get(base);
    if (made?.available === available) return made.representation;
    const at = base.body.lastIndexOf(',"available":');
    const representation =
      at < 0 || base.body.slice(at + 13, -1) === String(available)
        ? base
        : new JsonRepresentation(`${base.body.slice(0, at)},"available":${available}}`, `${base.etag.slice(0, -1)}.${available}"`);
    if (!once) this.overlaid.set(base, { available, representation });
    return representation;
  }

  /** One poll: the rows changed since the last successful poll began, and a lookback for late commits. */
  refresh(): Promise<void> {
    const window = this.lastPollAt === 0 ? this.retentionMs() : Date.now() - this.lastPollAt + LOOKBACK_MS;
    return this.poll(window).catch(() => undefined);
  }

  private poll(windowMs: number): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      const startedAt = Date.now();
      try {
        const rows = await this.products.availabilityChangedWithin(windowMs);
        let changed = false;
        for (const { id, available } of rows) {
          const known = this.known.get(id);
          if (known?.available === available) continue;
          this.known.set(id, { available, seenAt: startedAt });
          changed = true;
        }
        if (changed) this.version++;
        this.lastPollAt = startedAt;
        this.forgetExpired(startedAt);
        if (this.failing) this.logger.log('availability figures are current again');
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.logger.warn(`availability figures not refreshed (${(error as Error).message}); retrying every interval`);
        this.failing = true;
        throw error;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** A product whose last change predates every cached copy's load is what those copies say. */
  private forgetExpired(now: number): void {
    const before = now - this.retentionMs();
    for (const [id, known] of this.known) if (known.seenAt < before) this.known.delete(id);
  }

  private retentionMs(): number {
    return this.config.cache.ttlSeconds * 1000 + MAX_GRACE_MS + LOOKBACK_MS;
  }
}

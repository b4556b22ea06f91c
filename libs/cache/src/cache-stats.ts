import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '@stockroom/core';

export type CacheOutcome = 'hit' | 'l1_hit' | 'miss' | 'stale' | 'coalesced' | 'bypass';

export interface CacheCounters {
  hits: number;
  l1Hits: number;
  misses: number;
  staleServed: number;
  coalesced: number;
  loads: number;
  earlyRefreshes: number;
  staleSetsRefused: number;
  decodeErrors: number;
  redisFallbacks: number;
  outages: number;
}

/** Prometheus counters are the one source of the cache's numbers; /stats/cache reads them too. */
@Injectable()
export class CacheStats {
  private readonly lookups: Counter<'namespace' | 'outcome'>;
  private readonly events: Counter<'event'>;

  constructor(registry: MetricsRegistry) {
    this.lookups = new Counter({
      name: 'stockroom_cache_lookups_total',
      help: 'Cache lookups by namespace and outcome (hit, l1_hit, miss, stale, coalesced, bypass)',
      labelNames: ['namespace', 'outcome'],
      registers: [registry],
    });
    this.events = new Counter({
      name: 'stockroom_cache_events_total',
      help: 'Cache events: loads, early refreshes, refused stale sets, decode errors, Redis fallbacks, outages',
      labelNames: ['event'],
      registers: [registry],
    });
  }

  lookup(namespace: string, outcome: CacheOutcome): void {
    this.lookups.inc({ namespace, outcome });
  }

  event(event: 'load' | 'early_refresh' | 'stale_set_refused' | 'decode_error' | 'redis_fallback' | 'outage'): void {
    this.events.inc({ event });
  }

  async snapshot(): Promise<CacheCounters> {
    const lookups = await this.lookups.get();
    const events = await this.events.get();
    const byOutcome = (outcome: CacheOutcome) =>
      lookups.values.filter((v) => v.labels.outcome === outcome).reduce((sum, v) => sum + v.value, 0);
    const byEvent = (event: string) => events.values.find((v) => v.labels.event === event)?.value ?? 0;
    return {
      hits: byOutcome('hit'),
      l1Hits: byOutcome('l1_hit'),
      misses: byOutcome('miss'),
      staleServed: byOutcome('stale'),
      coalesced: byOutcome('coalesced'),
      loads: byEvent('load'),
      earlyRefreshes: byEvent('early_refresh'),
      staleSetsRefused: byEvent('stale_set_refused'),
      decodeErrors: byEvent('decode_error'),
      redisFallbacks: byEvent('redis_fallback'),
      outages: byEvent('outage'),
    };
  }
}

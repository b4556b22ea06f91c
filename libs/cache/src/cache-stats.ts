import { Injectable, Optional } from '@nestjs/common';
import { Registry } from 'prom-client';
import { CounterSeries, HotCounter, MetricsRegistry } from '@stockroom/core';

export type CacheOutcome = 'hit' | 'l1_hit' | 'miss' | 'stale' | 'coalesced' | 'bypass';
export type CacheStatsEvent = 'load' | 'early_refresh' | 'stale_set_refused' | 'decode_error' | 'redis_fallback' | 'outage';

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

/**
 * Prometheus counters are the one source of the cache's numbers; /stats/cache reads them too.
 * Every lookup counts, so they are hot-path counters: one addition per event.
 */
@Injectable()
export class CacheStats {
  private readonly lookups: HotCounter;
  private readonly events: HotCounter;
  private readonly lookupSeries = new Map<string, CounterSeries>();

  /** Without the app's registry (an app with no /metrics) the counters still feed the stats. */
  constructor(@Optional() appRegistry?: MetricsRegistry) {
    const registry: Registry = appRegistry ?? new Registry();
    this.lookups = new HotCounter(
      'stockroom_cache_lookups_total',
      'Cache lookups by namespace and outcome (hit, l1_hit, miss, stale, coalesced, bypass)',
      ['namespace', 'outcome'],
      registry,
    );
    this.events = new HotCounter(
      'stockroom_cache_events_total',
      'Cache events: loads, early refreshes, refused stale sets, decode errors, Redis fallbacks, outages',
      ['event'],
      registry,
    );
  }

  lookup(namespace: string, outcome: CacheOutcome): void {
    const key = `${namespace} ${outcome}`;
    let series = this.lookupSeries.get(key);
    if (!series) {
      series = this.lookups.series(namespace, outcome);
      this.lookupSeries.set(key, series);
    }
    series.inc();
  }

  event(event: CacheStatsEvent): void {
    this.events.series(event).inc();
  }

  async snapshot(): Promise<CacheCounters> {
    const lookups = this.lookups.get();
    const events = this.events.get();
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

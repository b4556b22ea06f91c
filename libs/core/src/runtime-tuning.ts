import { setFlagsFromString } from 'node:v8';
import type { AppConfig } from './config/app-config';

/**
 * Under sustained load V8 lets the old generation grow to up to four times what survived the last
 * full GC before collecting again, which is mostly dead request objects: the API's live heap is
 * about 55 MB with 10,000 products in L1, its RSS under load was 270-340 MB. A fixed growth
 * factor (V8's `--heap-growing-percent`, read at every full GC) keeps RSS under 200 MB at the
 * same throughput (docs/BENCHMARKS.md), without a hard heap limit that a large L1 could hit.
 */
export function tuneRuntime(config: Pick<AppConfig, 'runtime'>): void {
  if (config.runtime.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.runtime.heapGrowingPercent}`);
  // V8 allocates objects straight into the old generation from allocation sites whose objects
  // mostly survived a scavenge. Under load a scavenge always finds the requests in flight alive, so
  // it pretenured Node's and Fastify's per-request objects: they then died in the old generation,
  // a full GC every half second and scavenges four times as long (docs/DESIGN.md, "Memory under load").
  if (!config.runtime.pretenuring) setFlagsFromString('--no-allocation-site-pretenuring');
}

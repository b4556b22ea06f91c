import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';

/** The one Prometheus registry of a process; libs register their counters on it. */
export class MetricsRegistry extends Registry {}

@Global()
@Module({
  providers: [{ provide: MetricsRegistry, useFactory: () => new MetricsRegistry() }],
  exports: [MetricsRegistry],
})
export class MetricsModule {}

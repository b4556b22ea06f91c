import { Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@stockroom/core';

export type IntakeKind = 'order' | 'reservation';

/** Group commit's shape in production: how big the groups are, and how many requests wait for one. */
@Injectable()
export class IntakeMetrics {
  private readonly sizes: Histogram<'intake'>;
  private readonly pending = new Map<IntakeKind, () => number>();

  constructor(registry: MetricsRegistry) {
    this.sizes = new Histogram({
      name: 'stockroom_intake_group_size',
      help: 'Requests written per group-commit transaction, by intake (order, reservation)',
      labelNames: ['intake'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    });
    const pending = this.pending;
    new Gauge({
      name: 'stockroom_intake_waiting',
      help: 'Requests waiting for their group to be written, by intake (none of them has been answered)',
      labelNames: ['intake'],
      registers: [registry],
      collect() {
        for (const [intake, count] of pending) this.set({ intake }, count());
      },
    });
  }

  /** Reports an intake's waiting requests when scraped; the returned function records each group's size. */
  track(intake: IntakeKind, waiting: () => number): (size: number) => void {
    this.pending.set(intake, waiting);
    return (size) => this.sizes.observe({ intake }, size);
  }
}

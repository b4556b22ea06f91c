import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@stockroom/core';
import { OrderQueue } from './order-queue';

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children'] as const;

/** Queue depth (read from Redis when scraped), job durations and outcomes, on the process registry. */
@Injectable()
export class OrderMetrics {
  readonly jobs: Counter<'job' | 'outcome'>;
  readonly duration: Histogram<'job' | 'outcome'>;
  readonly rescheduled: Counter;
  readonly sweepFailures: Counter;
  readonly refunds: Counter;
  readonly revived: Counter;

  constructor(registry: MetricsRegistry, queue: OrderQueue) {
    this.jobs = new Counter({
      name: 'stockroom_queue_jobs_total',
      help: 'Jobs run by this process, by job name and outcome (confirmed, failed, skipped, retry, done)',
      labelNames: ['job', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'stockroom_queue_job_duration_seconds',
      help: 'Time from a job starting to its outcome',
      labelNames: ['job', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.rescheduled = new Counter({
      name: 'stockroom_queue_maintenance_rescheduled_total',
      help: 'Times this worker found the maintenance schedule missing from Redis and scheduled it again',
      registers: [registry],
    });
    this.sweepFailures = new Counter({
      name: 'stockroom_order_sweep_failures_total',
      help: 'Orders the maintenance sweep could not expire (each is retried by the next sweep)',
      registers: [registry],
    });
    this.refunds = new Counter({
      name: 'stockroom_payment_refunds_total',
      help: 'Payments refunded because their order had left pending (expired) while it was charged',
      registers: [registry],
    });
    this.revived = new Counter({
      name: 'stockroom_order_jobs_revived_total',
      help: 'Pending orders the maintenance sweep gave a job again (their job was lost from Redis, or had failed)',
      registers: [registry],
    });
    new Gauge({
      name: 'stockroom_queue_depth',
      help: 'Jobs in the orders queue by state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await queue.queue.getJobCounts(...STATES).catch(() => undefined);
        if (!counts) return;
        for (const state of STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
  }
}

import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { hostname } from 'node:os';
import { AppConfig } from '@stockroom/core';
import { RedisConnections } from '@stockroom/redis';
import { MAINTENANCE, ORDERS_QUEUE, OrderQueue, PROCESS_ORDER, ProcessOrderJob } from './order-queue';
import { OrderProcessing } from './order-processing.service';
import { OrderMetrics } from './order-metrics';
import { queuePrefix } from './queue.module';

/**
 * The BullMQ worker of the orders queue, built here rather than with `@Processor()`: its
 * concurrency and lock come from runtime config, and it must close (finishing or handing back
 * its jobs) before the Redis connections do.
 */
@Injectable()
export class OrderWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OrderWorker');
  private worker?: Worker;
  private watchdog?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly connections: RedisConnections,
    private readonly processing: OrderProcessing,
    private readonly orderQueue: OrderQueue,
    private readonly metrics: OrderMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { concurrency, lockMs } = this.config.worker;
    this.worker = new Worker(ORDERS_QUEUE, (job) => this.run(job), {
      connection: this.connections.create({ name: 'orders-worker', queue: true }),
      prefix: queuePrefix(this.config),
      // Recorded on each job as processedBy (Bull Board shows it).
      name: `${hostname()}:${process.pid}`,
      concurrency,
      // A worker killed mid-job stops renewing its lock; another takes the job after lockMs (checked every lockMs / 2).
      lockDuration: lockMs,
      stalledInterval: Math.max(250, Math.floor(lockMs / 2)),
      maxStalledCount: 5,
    });
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('error', (error) => this.logger.warn(`worker: ${error.message}`));
    await this.schedule();
    // The schedule lives in Redis: a Redis that lost its data (FLUSHALL, a failover that dropped
    // writes) would leave reservations unexpired until a worker restarts, so each worker checks it.
    const every = Math.min(60_000, Math.max(1_000, this.config.orders.sweepIntervalMs));
    this.watchdog = setInterval(() => void this.reschedule(), every).unref();
    this.logger.log(`processing ${ORDERS_QUEUE} (concurrency ${concurrency})`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.watchdog);
    // Waits for jobs in progress; a job that cannot finish keeps its lock and is retried elsewhere.
    await this.worker?.close();
  }

  /** One schedule for every worker: upserting it is idempotent. */
  private async schedule(): Promise<void> {
    // BullMQ trims a finished set by count across every job in it, so a smaller count here would
    // evict the orders' own history: a finished sweep removes only itself, a failed one keeps the orders' bound.
    await this.orderQueue.queue.upsertJobScheduler(
      MAINTENANCE,
      { every: this.config.orders.sweepIntervalMs },
      { name: MAINTENANCE, opts: { removeOnComplete: true, removeOnFail: { count: this.config.orders.keepFailed } } },
    );
  }

  private async reschedule(): Promise<void> {
    try {
      if (await this.orderQueue.queue.getJobScheduler(MAINTENANCE)) return;
      await this.schedule();
      this.metrics.rescheduled.inc();
      this.logger.warn('the maintenance schedule was missing from Redis (its data was lost?): scheduled again');
    } catch (error) {
      // Redis away: the next check tries again.
      this.logger.debug(`maintenance schedule check: ${(error as Error).message}`);
    }
  }

  private async run(job: Job): Promise<unknown> {
    const started = performance.now();
    let outcome = 'retry';
    try {
      if (job.name === PROCESS_ORDER) outcome = await this.processing.process((job.data as ProcessOrderJob).orderId);
      else if (job.name === MAINTENANCE) {
        const result = await this.processing.sweep();
        outcome = 'done';
        return result;
      } else outcome = 'skipped';
      return { outcome };
    } finally {
      this.metrics.jobs.inc({ job: job.name, outcome });
      this.metrics.duration.observe({ job: job.name, outcome }, (performance.now() - started) / 1000);
    }
  }

  /** Out of attempts: the job stays visible as failed (dead letter) and the order gives its stock back. */
  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job || job.name !== PROCESS_ORDER || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const { orderId } = job.data as ProcessOrderJob;
    try {
      await this.processing.fail(orderId, `gave up after ${job.attemptsMade} attempts: ${error.message}`);
    } catch (failure) {
      // The expiry sweep releases it later.
      this.logger.error(`order ${orderId}: could not fail it after its last attempt: ${(failure as Error).message}`);
    }
  }
}

import { Logger, Module } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { AppConfig } from '@stockroom/core';
import { RedisConnections } from '@stockroom/redis';
import { ORDERS_QUEUE } from './order-queue';

/** One hash tag for every BullMQ key (`{<prefix>:bull}:orders:…`), so its scripts run on a Redis Cluster. */
export const queuePrefix = (config: AppConfig): string => `{${config.redis.keyPrefix}:bull}`;

/**
 * The orders queue under @nestjs/bullmq's token (`@InjectQueue(ORDERS_QUEUE)`, `getQueueToken`),
 * built here rather than by `BullModule.registerQueue` so its error listener is attached before
 * its connection can fail (BullMQ prints errors nobody listens to) and its connection comes from
 * the one factory.
 */
@Module({
  providers: [
    {
      provide: getQueueToken(ORDERS_QUEUE),
      inject: [AppConfig, RedisConnections],
      useFactory: (config: AppConfig, connections: RedisConnections): Queue => {
        const logger = new Logger('OrderQueue');
        const queue = new Queue(ORDERS_QUEUE, { connection: connections.create({ name: 'orders-queue', queue: true }), prefix: queuePrefix(config) });
        // RedisConnections logs the connection's own errors, once each.
        let last = '';
        queue.on('error', (error: Error) => {
          if (error.message !== last) logger.debug(`queue: ${error.message}`);
          last = error.message;
        });
        return Object.assign(queue, { onApplicationShutdown: () => queue.close() });
      },
    },
  ],
  exports: [getQueueToken(ORDERS_QUEUE)],
})
export class QueueModule {}

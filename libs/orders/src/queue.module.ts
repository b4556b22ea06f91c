import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { AppConfig } from '@stockroom/core';
import { RedisConnections } from '@stockroom/redis';
import { ORDERS_QUEUE } from './order-queue';

/** One hash tag for every BullMQ key (`{<prefix>:bull}:orders:…`), so its scripts run on a Redis Cluster. */
export const queuePrefix = (config: AppConfig): string => `{${config.redis.keyPrefix}:bull}`;

@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig, RedisConnections],
      useFactory: (config: AppConfig, connections: RedisConnections) => ({
        connection: connections.create({ name: 'orders-queue', queue: true }),
        prefix: queuePrefix(config),
      }),
    }),
    BullModule.registerQueue({ name: ORDERS_QUEUE }),
  ],
  exports: [BullModule],
})
export class QueueModule {}

import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@stockroom/core';
import { createRedisConnection } from './redis-connection.factory';
import type { RedisClient } from './redis-connection.factory';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** Inject the shared command connection with `@InjectRedis()`. */
export const InjectRedis = (): ParameterDecorator => Inject(REDIS_CLIENT);

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    // QUIT lets pending replies arrive; a connection that is not up is dropped (and stops reconnecting).
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [AppConfig],
      useFactory: (config: AppConfig): RedisClient => {
        const client = createRedisConnection(config, { name: 'commands' });
        const logger = new Logger('Redis');
        let lastError = '';
        // Log each distinct failure once instead of once per reconnect attempt.
        client.on('error', (error: Error) => {
          if (error.message !== lastError) logger.warn(`redis error: ${error.message}`);
          lastError = error.message;
        });
        client.on('ready', () => {
          if (lastError) logger.log('redis connection restored');
          lastError = '';
        });
        return client;
      },
    },
    RedisLifecycle,
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule {}

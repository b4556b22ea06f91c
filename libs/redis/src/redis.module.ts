import { DynamicModule, Inject, Injectable, Logger, Module, ModuleMetadata, OnApplicationShutdown, Optional, Provider } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { AsyncModuleOptions, asyncOptionsProvider, MetricsRegistry } from '@stockroom/core';
import Redis from 'ioredis';
import { createRedisConnection, RedisConnectionOptions } from './redis-connection.factory';
import { refuseCrossSlotCommands } from './slot-guard';
import type { RedisClient } from './redis-connection.factory';
import { RedisKeys } from './redis-keys';
import { RedisCircuit } from './redis-circuit';
import { REDIS_OPTIONS, resolveRedisOptions } from './redis-options';
import type { RedisModuleOptions, ResolvedRedisOptions } from './redis-options';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export const REQUEST_REDIS_CLIENT = Symbol('REQUEST_REDIS_CLIENT');

/** The shared connection for background work (flushers, write-behind): no command deadline. */
export const InjectRedis = (): ParameterDecorator => Inject(REDIS_CLIENT);

/**
 * The shared connection for calls a request waits for: each command has a deadline
 * (REDIS_TIMEOUT_MS); run them through the `RedisCircuit` with a fallback.
 */
export const InjectRequestRedis = (): ParameterDecorator => Inject(REQUEST_REDIS_CLIENT);

/**
 * Opens named connections through the one factory and closes them all at shutdown. Features that
 * need their own connection (a subscriber, a tighter timeout) ask here rather than `new Redis()`.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly open: RedisClient[] = [];
  private readonly names = new Map<RedisClient, string>();
  private readonly logger = new Logger('Redis');

  constructor(
    @Inject(REDIS_OPTIONS) private readonly options: ResolvedRedisOptions,
    @Optional() registry?: MetricsRegistry,
  ) {
    const { names } = this;
    if (registry) {
      new Gauge({
        name: 'stockroom_redis_connection_ready',
        help: 'Named Redis connections of this process: 1 ready, 0 not (reconnecting, closed)',
        labelNames: ['connection'],
        registers: [registry],
        collect() {
          for (const [client, connection] of names) this.set({ connection }, client.status === 'ready' ? 1 : 0);
        },
      });
      new Gauge({
        name: 'stockroom_redis_pending_commands',
        help: 'Commands sent or queued and not answered yet, per named connection (a Redis that hangs makes it grow)',
        labelNames: ['connection'],
        registers: [registry],
        collect() {
          for (const [client, connection] of names) this.set({ connection }, pendingCommands(client));
        },
      });
    }
  }

  create(options: RedisConnectionOptions): RedisClient {
    const client = createRedisConnection(this.options, options);
    if (this.options.assertSlots && client instanceof Redis) refuseCrossSlotCommands(client);
    let lastError = '';
    // Log each distinct failure once instead of once per reconnect attempt.
    client.on('error', (error: Error) => {
      if (error.message !== lastError) this.logger.warn(`redis ${options.name}: ${error.message}`);
      lastError = error.message;
    });
    client.on('ready', () => {
      if (lastError) this.logger.log(`redis ${options.name}: connection restored`);
      lastError = '';
    });
    this.open.push(client);
    this.names.set(client, options.name);
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.open.map(async (client) => {
        // QUIT lets pending replies arrive; a connection that is not up is dropped (and stops reconnecting).
        if (client.status !== 'ready') return client.disconnect();
        await client.quit().catch(() => client.disconnect());
      }),
    );
  }
}

/** ioredis keeps sent commands until their reply (replies come in order) and queues the rest while offline. */
export function pendingCommands(client: RedisClient): number {
  const queues = client as unknown as { commandQueue?: { length: number }; offlineQueue?: { length: number } };
  return (queues.commandQueue?.length ?? 0) + (queues.offlineQueue?.length ?? 0);
}

const PROVIDERS: Provider[] = [
  RedisConnections,
  {
    provide: REDIS_CLIENT,
    inject: [RedisConnections],
    useFactory: (connections: RedisConnections): RedisClient => connections.create({ name: 'commands' }),
  },
  {
    provide: REQUEST_REDIS_CLIENT,
    inject: [RedisConnections, REDIS_OPTIONS, RedisCircuit],
    useFactory: (connections: RedisConnections, options: ResolvedRedisOptions, circuit: RedisCircuit): RedisClient => {
      // Concurrent requests' throttle counts and session reads share writes (and Redis's reads) instead of one each.
      const client = connections.create({ name: 'requests', commandTimeoutMs: options.timeoutMs, writeCoalescing: true });
      circuit.watch(client);
      return client;
    },
  },
  {
    provide: RedisCircuit,
    inject: [REDIS_OPTIONS],
    useFactory: (options: ResolvedRedisOptions) => new RedisCircuit(options.retryMs),
  },
  {
    provide: RedisKeys,
    inject: [REDIS_OPTIONS],
    useFactory: (options: ResolvedRedisOptions) => new RedisKeys(options.keyPrefix),
  },
];

/**
 * Connections (one factory, closed at shutdown), the key builder, the request-path circuit.
 * Global once imported, like Nest's ConfigModule: every feature injects the same connections.
 * Needs nothing else from the app; with a MetricsRegistry present it also reports its connections.
 */
@Module({})
export class RedisModule {
  static forRoot(options: RedisModuleOptions = {}): DynamicModule {
    return RedisModule.with([{ provide: REDIS_OPTIONS, useValue: resolveRedisOptions(options) }]);
  }

  static forRootAsync(options: AsyncModuleOptions<RedisModuleOptions>): DynamicModule {
    return RedisModule.with([asyncOptionsProvider(REDIS_OPTIONS, options, resolveRedisOptions)], options.imports);
  }

  private static with(options: Provider[], imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      imports,
      providers: [...options, ...PROVIDERS],
      exports: [REDIS_CLIENT, REQUEST_REDIS_CLIENT, RedisCircuit, RedisConnections, RedisKeys],
    };
  }
}

export * from './redis-connection.factory';
export * from './redis-preflight';
export * from './redis.module';
export * from './redis.health';
export * from './redis-keys';
export * from './lua-scripts';
export * from './slot-guard';
export * from './redis-circuit';

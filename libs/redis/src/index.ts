// The lib's public surface: the module and its options, connections, keys, the circuit, Lua registration, the boot probe, health, per-turn GETs.
export * from './redis-connection.factory';
export * from './redis-preflight';
export * from './redis.module';
export * from './redis-options';
export * from './redis.health';
export * from './redis-keys';
export * from './lua-scripts';
export * from './redis-circuit';
export * from './turn-gets';
